// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn reuse [ADDR] [--json]
 *
 * The 4-tuple rule, step by step, with real sockets on ADDR: a connection
 * is unique by its 4-tuple, not by its local port. connect() judges the
 * 4-tuple in the established hash (EADDRNOTAVAIL when it would repeat,
 * __inet_check_established()); bind() judges the port alone in the bind
 * hash (EADDRINUSE, inet_csk_get_port()). Each syscall's result is checked
 * against what the kernel's rules say it must be.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "selfconn.h"

#define CMD "reuse"
#define DEFAULT_ADDR "127.0.0.1"
#define NSOCKS 12

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

struct reuse_ctx {
	const char *prog;
	int json;
	int first;		/* no JSON call printed yet */
	int unexpected;		/* results that broke the rule */
	struct sockaddr_storage addr;	/* ADDR, port 0 */
	socklen_t alen;
	int fd[NSOCKS];
	const char *name[NSOCKS];
	int nfd;
};

void sc_reuse_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s " CMD " [ADDR] [--json]\n"
		"\n"
		"The 4-tuple rule, step by step, with real sockets on ADDR (default\n"
		DEFAULT_ADDR "; IPv6 works too):\n"
		"\n"
		"  listen         three listeners d1 d2 d3 (bind port 0, listen)\n"
		"  share-port     s1 s2 s3 with SO_REUSEADDR bind one local port P and\n"
		"                 connect to d1 d2 d3: three connections, one local port\n"
		"  repeat-4-tuple s4 binds P too and connects to d1: EADDRNOTAVAIL, the\n"
		"                 4-tuple P -> d1 exists (connect() checks the 4-tuple)\n"
		"  bind-conflict  s5 binds P without SO_REUSEADDR: EADDRINUSE (bind()\n"
		"                 checks the port alone)\n"
		"  bind0          b1 binds port 0: the kernel reserves a port Q at once;\n"
		"                 b2 binding Q gets EADDRINUSE before b1 ever connects\n"
		"  no-port        n1 with IP_BIND_ADDRESS_NO_PORT binds port 0: no port\n"
		"                 yet (getsockname says 0); connect() chooses it\n"
		"\n"
		"Each syscall prints one line, '=' and its result (ok or the errno name),\n"
		"checked against the rule; the last line is result=as-expected or\n"
		"result=unexpected. The sockets are closed at the end.\n"
		"\n"
		"  --json      one JSON object (schema 1): {\"schema\":1,\"command\":\"reuse\",\n"
		"              \"address\":A,\"calls\":[{\"step\":S,\"socket\":N,\"call\":C,\n"
		"              \"arg\":A,\"result\":\"ok\"|ERRNO,\"expected\":\"ok\"|ERRNO,\n"
		"              \"local\":L|null,\"remote\":R|null,\"state\":S|null}],\n"
		"              \"as_expected\":BOOL}\n"
		"  -h, --help  this help\n"
		"\n"
		"Exit status: 0 every result as the rules say, 1 error or an unexpected\n"
		"result, 64 bad usage.\n", prog);
}

static const char *result_name(int err)
{
	return !err ? "ok" : sc_errname(err) ? sc_errname(err) : "error";
}

/* Local (and remote, if connected) of fd into l and r ("" if none). */
static void endpoints(int fd, char *l, char *r, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	l[0] = '\0';
	r[0] = '\0';
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		sc_format_addr((struct sockaddr *)&ss, l, len);
	if (!strcmp(l, "0.0.0.0:0") || !strcmp(l, "[::]:0"))
		l[0] = '\0';	/* not bound yet */
	sl = sizeof(ss);
	if (!getpeername(fd, (struct sockaddr *)&ss, &sl))
		sc_format_addr((struct sockaddr *)&ss, r, len);
}

static void json_opt(FILE *out, int *first, const char *key, const char *v)
{
	sc_json_key(out, first, key);
	if (v && *v)
		sc_json_str(out, v);
	else
		fputs("null", out);
}

/* Print one syscall's result; count it if it broke the rule. */
static void report(struct reuse_ctx *c, const char *step, int i, const char *call,
		   const char *arg, int err, int expect)
{
	char l[64], r[64];
	int state = -1, first = 1;

	endpoints(c->fd[i], l, r, sizeof(l));
	if (r[0])
		state = sc_tcp_state(c->fd[i]);
	if (err != expect)
		c->unexpected++;
	if (c->json) {
		fputs(c->first ? "\n{" : ",\n{", stdout);
		c->first = 0;
		json_opt(stdout, &first, "step", step);
		json_opt(stdout, &first, "socket", c->name[i]);
		json_opt(stdout, &first, "call", call);
		json_opt(stdout, &first, "arg", arg);
		json_opt(stdout, &first, "result", result_name(err));
		json_opt(stdout, &first, "expected", result_name(expect));
		json_opt(stdout, &first, "local", l);
		json_opt(stdout, &first, "remote", r);
		json_opt(stdout, &first, "state", state < 0 ? NULL : sc_tcp_state_name(state));
		fputc('}', stdout);
		return;
	}
	printf("%s %s(%s) = %s", c->name[i], call, arg, result_name(err));
	if (r[0])
		printf(", %s -> %s %s", l, r, sc_tcp_state_name(state));
	else if (l[0])
		printf(", local %s", l);
	if (err != expect)
		printf("  UNEXPECTED: the rule says %s", result_name(expect));
	putchar('\n');
}

static void step(struct reuse_ctx *c, const char *name, const char *what)
{
	if (!c->json)
		printf("# %s: %s\n", name, what);
}

/* A new socket named name: its index, or -1 after a message. */
static int new_sock(struct reuse_ctx *c, const char *name)
{
	int fd, off = 0;

	if (c->nfd == NSOCKS)
		return -1;
	fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && c->addr.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		sc_err(c->prog, CMD, errno, "socket(%s)", sc_family_name(c->addr.ss_family));
		return -1;
	}
	c->fd[c->nfd] = fd;
	c->name[c->nfd] = name;
	return c->nfd++;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);	/* same offset in v6 */
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static int local_port(const struct reuse_ctx *c, int i)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(c->fd[i], (struct sockaddr *)&ss, &len) ? -1 : port_of(&ss);
}

static int do_setsockopt(struct reuse_ctx *c, const char *st, int i, int level,
			 int opt, const char *name)
{
	int one = 1, err;

	err = setsockopt(c->fd[i], level, opt, &one, sizeof(one)) ? errno : 0;
	report(c, st, i, "setsockopt", name, err, 0);
	return err;
}

static int do_bind(struct reuse_ctx *c, const char *st, int i, uint16_t port, int expect)
{
	struct sockaddr_storage a = c->addr;
	char arg[64];
	int err;

	set_port(&a, port);
	sc_format_addr((struct sockaddr *)&a, arg, sizeof(arg));
	err = bind(c->fd[i], (struct sockaddr *)&a, c->alen) ? errno : 0;
	report(c, st, i, "bind", arg, err, expect);
	return err;
}

static int do_connect(struct reuse_ctx *c, const char *st, int i, uint16_t port, int expect)
{
	struct sockaddr_storage a = c->addr;
	char arg[64];
	int err;

	set_port(&a, port);
	sc_format_addr((struct sockaddr *)&a, arg, sizeof(arg));
	err = connect(c->fd[i], (struct sockaddr *)&a, c->alen) ? errno : 0;
	report(c, st, i, "connect", arg, err, expect);
	return err;
}

/* Three listeners; their ports in dst[]. */
static int listeners(struct reuse_ctx *c, uint16_t dst[3])
{
	static const char * const names[] = { "d1", "d2", "d3" };
	int i, s, err;

	step(c, "listen", "three destinations");
	for (i = 0; i < 3; i++) {
		s = new_sock(c, names[i]);
		if (s < 0 || do_bind(c, "listen", s, 0, 0))
			return -1;
		err = listen(c->fd[s], 8) ? errno : 0;
		report(c, "listen", s, "listen", "8", err, 0);
		if (err || local_port(c, s) <= 0)
			return -1;
		dst[i] = (uint16_t)local_port(c, s);
	}
	return 0;
}

/* s1 s2 s3 share a local port; *port is it. */
static int share_port(struct reuse_ctx *c, const uint16_t dst[3], uint16_t *port)
{
	static const char * const names[] = { "s1", "s2", "s3" };
	const char *st = "share-port";
	int i, s;

	step(c, st, "three connections from one local port (SO_REUSEADDR on each)");
	for (i = 0; i < 3; i++) {
		s = new_sock(c, names[i]);
		if (s < 0 || do_setsockopt(c, st, s, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR") ||
		    do_bind(c, st, s, i ? *port : 0, 0))
			return -1;
		if (!i && local_port(c, s) <= 0)
			return -1;
		if (!i)
			*port = (uint16_t)local_port(c, s);
		if (do_connect(c, st, s, dst[i], 0))
			return -1;
	}
	return 0;
}

static int repeat_and_conflict(struct reuse_ctx *c, const uint16_t dst[3], uint16_t port)
{
	const char *st = "repeat-4-tuple";
	int s;

	step(c, st, "the same local port to a destination it is connected to already");
	s = new_sock(c, "s4");
	if (s < 0 || do_setsockopt(c, st, s, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR") ||
	    do_bind(c, st, s, port, 0))
		return -1;
	do_connect(c, st, s, dst[0], EADDRNOTAVAIL);
	st = "bind-conflict";
	step(c, st, "the same local port without SO_REUSEADDR");
	s = new_sock(c, "s5");
	if (s < 0)
		return -1;
	do_bind(c, st, s, port, EADDRINUSE);
	return 0;
}

static int bind0_and_no_port(struct reuse_ctx *c, const uint16_t dst[3])
{
	const char *st = "bind0";
	int s, q;

	step(c, st, "bind() to port 0 reserves a port before any connect()");
	s = new_sock(c, "b1");
	if (s < 0 || do_bind(c, st, s, 0, 0))
		return -1;
	q = local_port(c, s);
	if (q <= 0)
		return -1;
	s = new_sock(c, "b2");
	if (s < 0)
		return -1;
	do_bind(c, st, s, (uint16_t)q, EADDRINUSE);
	st = "no-port";
	step(c, st, "IP_BIND_ADDRESS_NO_PORT: bind() takes the address, connect() the port");
	s = new_sock(c, "n1");
	if (s < 0 || do_setsockopt(c, st, s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
				   "IP_BIND_ADDRESS_NO_PORT") ||
	    do_bind(c, st, s, 0, 0))
		return -1;
	if (local_port(c, s) != 0) {
		sc_err(c->prog, CMD, 0, "n1 got port %d at bind() despite IP_BIND_ADDRESS_NO_PORT",
		       local_port(c, s));
		c->unexpected++;
	}
	if (do_connect(c, st, s, dst[1], 0))
		return -1;
	if (local_port(c, s) <= 0)
		c->unexpected++;
	return 0;
}

static int run(struct reuse_ctx *c, const char *addr)
{
	uint16_t dst[3], port = 0;
	char a[64];
	int ret;

	if (sc_parse_addr(addr, 0, &c->addr, &c->alen)) {
		sc_usage_err(c->prog, CMD, "'%s' is not an IPv4 or IPv6 address", addr);
		return SC_EXIT_USAGE;
	}
	sc_format_host((struct sockaddr *)&c->addr, a, sizeof(a));
	if (c->json) {
		printf("{\"schema\":%d,\"command\":\"reuse\",\"address\":", SC_JSON_SCHEMA);
		sc_json_str(stdout, a);
		fputs(",\"calls\":[", stdout);
	} else {
		printf("reuse: the 4-tuple rule on %s: a connection is unique by its "
		       "4-tuple, not by its local port\n", a);
	}
	ret = listeners(c, dst) || share_port(c, dst, &port) ||
	      repeat_and_conflict(c, dst, port) || bind0_and_no_port(c, dst);
	if (c->json)
		printf("\n],\"as_expected\":%s}\n", ret || c->unexpected ? "false" : "true");
	else
		printf("result=%s\n", ret || c->unexpected ? "unexpected" : "as-expected");
	while (c->nfd)
		close(c->fd[--c->nfd]);
	if (fflush(stdout) || ferror(stdout)) {
		sc_err(c->prog, CMD, errno, "write");
		return SC_EXIT_FAIL;
	}
	if (ret)
		sc_err(c->prog, CMD, 0, "stopped: a step could not be set up");
	else if (c->unexpected)
		sc_err(c->prog, CMD, 0, "%d result%s broke the rule", c->unexpected,
		       c->unexpected == 1 ? "" : "s");
	return ret || c->unexpected ? SC_EXIT_FAIL : SC_EXIT_OK;
}

int sc_reuse_main(const char *prog, int argc, char **argv)
{
	struct reuse_ctx c;
	const char *addr = NULL;
	int i;

	memset(&c, 0, sizeof(c));
	c.prog = prog;
	c.first = 1;
	for (i = 1; i < argc; i++) {
		if (sc_is_help(argv[i])) {
			sc_reuse_usage(stdout, prog);
			return SC_EXIT_OK;
		}
		if (!strcmp(argv[i], "--json")) {
			c.json = 1;
		} else if (argv[i][0] == '-' && !strchr(argv[i], ':')) {
			sc_usage_err(prog, CMD, "unknown option '%s'", argv[i]);
			return SC_EXIT_USAGE;
		} else if (addr) {
			sc_usage_err(prog, CMD, "too many arguments");
			return SC_EXIT_USAGE;
		} else {
			addr = argv[i];
		}
	}
	return run(&c, addr ? addr : DEFAULT_ADDR);
}
