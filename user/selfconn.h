/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selfconn(8): the companion of selfconn.ko. One source file per subcommand
 * family; commands.c dispatches. No global state: everything a command
 * needs is passed to it.
 */
#ifndef SELFCONN_USER_H
#define SELFCONN_USER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* Exit codes shared by all subcommands. */
enum {
	SC_EXIT_OK = 0,		/* done (connect: the self-connect was made) */
	SC_EXIT_FAIL = 1,	/* any other error */
	SC_EXIT_REFUSED = 2,	/* connect: ECONNREFUSED; race: none in --max */
	SC_EXIT_FOUND = 1,	/* list --check: a self-connect exists */
	SC_EXIT_UNKNOWN = 3,	/* list --check: could not find out */
	SC_EXIT_USAGE = 64,	/* bad command line (EX_USAGE) */
};

struct sc_command {
	const char *name;
	const char *summary;
	int (*run)(const char *prog, int argc, char **argv);
	void (*usage)(FILE *out, const char *prog);
};

/* commands.c: the commands, NULL-terminated; main() */
extern const struct sc_command sc_commands[];
const struct sc_command *sc_command_find(const char *name);
int sc_main(int argc, char **argv);

/* connect.c */
int sc_connect_main(const char *prog, int argc, char **argv);
void sc_connect_usage(FILE *out, const char *prog);

/* metrics.c */
int sc_metrics_main(const char *prog, int argc, char **argv);
void sc_metrics_usage(FILE *out, const char *prog);

/* port.c */
int sc_port_main(const char *prog, int argc, char **argv);
void sc_port_usage(FILE *out, const char *prog);

/* list.c */
int sc_list_main(const char *prog, int argc, char **argv);
void sc_list_usage(FILE *out, const char *prog);

/* race.c */
int sc_race_main(const char *prog, int argc, char **argv);
void sc_race_usage(FILE *out, const char *prog);

/* reuse.c */
int sc_reuse_main(const char *prog, int argc, char **argv);
void sc_reuse_usage(FILE *out, const char *prog);

/* simopen.c */
int sc_simopen_main(const char *prog, int argc, char **argv);
void sc_simopen_usage(FILE *out, const char *prog);

/* tcpstate.c */
const char *sc_tcp_state_name(int state);
int sc_tcp_state_by_name(const char *s, size_t n);
int sc_tcp_state_is_connection(int state);

/* util.c */
const char *sc_errname(int err);
void sc_err(const char *prog, const char *cmd, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void sc_usage_err(const char *prog, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sc_parse_port(const char *s, uint16_t *port);
int sc_parse_uint(const char *s, unsigned long max, unsigned long *out);
int sc_parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss,
		  socklen_t *len);
void sc_format_addr(const struct sockaddr *sa, char *buf, size_t len);
void sc_format_host(const struct sockaddr *sa, char *buf, size_t len);
const char *sc_family_name(int family);
int sc_read_all(int fd, char **out);
int sc_grow(void **v, size_t *cap, size_t n, size_t size, size_t first);
int sc_tcp_state(int fd);
long long sc_now_ms(void);
void sc_hold(unsigned long seconds);

#endif
