/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line of selfconn and of each of its commands, parsed one way:
 * getopt_long() with the command's own long options plus -h/--help and
 * -V/--version. So --opt=V and --opt V are the same, options may come after
 * the arguments, and -- ends the options, in every command.
 */
#ifndef SELFCONN_CMDLINE_H
#define SELFCONN_CMDLINE_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* At most this many options of a command's own. */
#define SC_MAX_OPTIONS 8

enum sc_cmdline_result {
	SC_CMDLINE_RUN,		/* parsed: run the command */
	SC_CMDLINE_HELP,	/* -h or --help */
	SC_CMDLINE_VERSION,	/* -V or --version */
	SC_CMDLINE_BAD,		/* bad usage, said on stderr */
};

struct sc_cmdline {
	const char *prog;		/* "selfconn" */
	const char *cmd;		/* "connect"; NULL for selfconn itself */
	const struct option *options;	/* the command's own, long only (val
					 * above 255); { 0 } ends them */
	int max_args;			/* arguments (not options), at most */
	int stop_at_arg;		/* options end at the first argument */
	/* One of those options was given: 0, or -1 after sc_usage_err(). */
	int (*option)(void *opts, const struct option *opt, const char *arg,
		      const struct sc_cmdline *cl);
};

int sc_cmdline_parse(const struct sc_cmdline *cl, int argc, char **argv,
		     void *opts, char ***args, int *nargs);
int sc_cmdline_exit(int result, const char *prog,
		    void (*usage)(FILE *out, const char *prog));
int sc_option_uint(const struct sc_cmdline *cl, const struct option *opt,
		   const char *arg, unsigned long min, unsigned long max,
		   unsigned long *out);
int sc_arg_port(const char *prog, const char *cmd, const char *s, uint16_t *port);
int sc_arg_addr(const char *prog, const char *cmd, const char *s, uint16_t port,
		struct sockaddr_storage *ss, socklen_t *len);
void sc_print_version(FILE *out, const char *prog);

#endif
