// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn connect [ADDR] PORT [--hold SECONDS] [--json]
 *
 * Bind a TCP socket to ADDR:PORT and connect it to ADDR:PORT: a simultaneous
 * open with itself. Then write a message and read it back from the same
 * socket, print the 4-tuple and the TCP state, and hold the socket open if
 * asked.
 */
#define _DEFAULT_SOURCE	/* struct tcp_info */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "json.h"
#include "selfconn.h"

#define CMD "connect"
#define DEFAULT_ADDR "127.0.0.1"
#define ECHO_TIMEOUT_S 10
#define HOLD_MAX (365UL * 24 * 3600)

struct connect_opts {
	const char *addr;
	uint16_t port;
	unsigned long hold;	/* seconds to keep the socket open */
	int json;
};

void sc_connect_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s " CMD " [ADDR] PORT [--hold SECONDS] [--json]\n"
		"\n"
		"Bind a TCP socket to ADDR:PORT and connect it to ADDR:PORT, so that\n"
		"it connects to itself. Write a message and read it back from the\n"
		"same socket, then print\n"
		"\n"
		"  FAMILY LOCAL -> REMOTE STATE\n"
		"\n"
		"e.g. 'inet 127.0.0.1:18082 -> 127.0.0.1:18082 ESTAB', addresses as\n"
		"in /proc/selfconn.\n"
		"\n"
		"  ADDR            IPv4 or IPv6 address, default " DEFAULT_ADDR ". One\n"
		"                  with a ':' is IPv6 (brackets allowed); an IPv4-mapped\n"
		"                  ::ffff:a.b.c.d uses an AF_INET6 socket.\n"
		"  PORT            1 to 65535\n"
		"  --hold SECONDS  keep the connection open that long before closing\n"
		"  --json          one JSON object (schema 1) instead: {\"schema\":1,\n"
		"                  \"command\":\"connect\",\"family\":F,\"local\":L,\n"
		"                  \"remote\":R,\"state\":S}\n"
		"  -h, --help      this help\n"
		"  -V, --version   the version of selfconn\n"
		"\n"
		"Exit status: 0 the self-connect was made, 2 connection refused,\n"
		"1 any other error, 64 bad usage.\n", prog);
}

enum { OPT_HOLD = 256, OPT_JSON };

static const struct option connect_options[] = {
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int connect_option(void *opts, const struct option *opt, const char *arg,
			  const struct sc_cmdline *cl)
{
	struct connect_opts *o = opts;

	if (opt->val == OPT_JSON) {
		o->json = 1;
		return 0;
	}
	return sc_option_uint(cl, opt, arg, 0, HOLD_MAX, &o->hold);
}

/* [ADDR] PORT and the options: SC_CMDLINE_*. */
static int parse_args(const char *prog, int argc, char **argv, struct connect_opts *o)
{
	const struct sc_cmdline cl = {
		.prog = prog, .cmd = CMD, .options = connect_options,
		.max_args = 2, .option = connect_option,
	};
	char **args;
	int nargs, ret;

	memset(o, 0, sizeof(*o));
	ret = sc_cmdline_parse(&cl, argc, argv, o, &args, &nargs);
	if (ret != SC_CMDLINE_RUN)
		return ret;
	o->addr = nargs == 2 ? args[0] : DEFAULT_ADDR;
	if (sc_arg_port(prog, CMD, nargs ? args[nargs - 1] : NULL, &o->port))
		return SC_CMDLINE_BAD;
	return SC_CMDLINE_RUN;
}

/* Write msg and read it back on the same socket: 0, or an errno. */
static int echo_self(int fd, const char *msg, size_t len)
{
	struct timeval tv = { .tv_sec = ECHO_TIMEOUT_S };
	char buf[128];
	size_t got = 0;
	ssize_t n;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return errno;
	for (size_t off = 0; off < len; off += (size_t)n) {
		n = write(fd, msg + off, len - off);
		if (n < 0)
			return errno;
	}
	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0)
			return errno == EAGAIN ? ETIMEDOUT : errno;
		if (n == 0)
			return ECONNRESET;
		got += (size_t)n;
	}
	return memcmp(buf, msg, len) ? EPROTO : 0;
}

static void print_json(int family, const char *local, const char *remote, int state)
{
	struct sc_json j;

	sc_json_begin_document(&j, stdout, CMD);
	sc_json_member_str(&j, "family", sc_family_name(family));
	sc_json_member_str(&j, "local", local);
	sc_json_member_str(&j, "remote", remote);
	sc_json_member_str(&j, "state", sc_tcp_state_name(state));
	sc_json_end(&j);
}

static int do_connect(const char *prog, const struct connect_opts *o)
{
	struct sockaddr_storage ss, local, peer;
	char lbuf[64], pbuf[64], msg[128];
	socklen_t len, llen = sizeof(local), plen = sizeof(peer);
	int fd, err, state, off = 0;

	if (sc_arg_addr(prog, CMD, o->addr, o->port, &ss, &len))
		return SC_EXIT_USAGE;
	sc_format_addr((struct sockaddr *)&ss, lbuf, sizeof(lbuf));

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		sc_err(prog, CMD, errno, "socket(%s)", sc_family_name(ss.ss_family));
		return SC_EXIT_FAIL;
	}
	/* An IPv4-mapped address needs a dual-stack socket. */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) {
		sc_err(prog, CMD, errno, "IPV6_V6ONLY");
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		sc_err(prog, CMD, errno, "bind %s", lbuf);
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		err = errno;
		sc_err(prog, CMD, err, "connect %s to itself", lbuf);
		close(fd);
		return err == ECONNREFUSED ? SC_EXIT_REFUSED : SC_EXIT_FAIL;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &llen) ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen)) {
		sc_err(prog, CMD, errno, "getsockname/getpeername");
		goto fail;
	}
	sc_format_addr((struct sockaddr *)&local, lbuf, sizeof(lbuf));
	sc_format_addr((struct sockaddr *)&peer, pbuf, sizeof(pbuf));
	if (llen != plen || memcmp(&local, &peer, llen)) {
		sc_err(prog, CMD, 0, "%s connected to %s, not to itself", lbuf, pbuf);
		goto fail;
	}
	snprintf(msg, sizeof(msg), "selfconn %ld %s\n", (long)getpid(), lbuf);
	err = echo_self(fd, msg, strlen(msg));
	if (err) {
		sc_err(prog, CMD, err, "%s: reading back what it wrote", lbuf);
		goto fail;
	}
	state = sc_tcp_state(fd);
	if (state < 0) {
		sc_err(prog, CMD, errno, "TCP_INFO");
		goto fail;
	}
	if (o->json)
		print_json(local.ss_family, lbuf, pbuf, state);
	else
		printf("%s %s -> %s %s\n", sc_family_name(local.ss_family), lbuf, pbuf,
		       sc_tcp_state_name(state));
	if (fflush(stdout)) {
		sc_err(prog, CMD, errno, "stdout");
		goto fail;
	}
	if (o->hold)
		sc_hold(o->hold);
	close(fd);
	return SC_EXIT_OK;
fail:
	close(fd);
	return SC_EXIT_FAIL;
}

int sc_connect_main(const char *prog, int argc, char **argv)
{
	struct connect_opts o;
	int ret = parse_args(prog, argc, argv, &o);

	if (ret != SC_CMDLINE_RUN)
		return sc_cmdline_exit(ret, prog, sc_connect_usage);
	return do_connect(prog, &o);
}
