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

#include "cmdline.h"
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
	struct sc_json j;	/* the --json document */
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
		"  -V, --version\n"
		"              the version of selfconn\n"
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

/* One syscall's result, and the socket after it. */
struct call {
	const char *step, *name, *arg;
	int sock, err, expect;
	char local[64], remote[64];	/* "" if none */
	int state;			/* -1 if not connected */
};

/* One call as an item of "calls", on a line of its own. */
static void json_call(struct sc_json *j, const struct reuse_ctx *c, const struct call *k)
{
	sc_json_line_break(j);
	sc_json_obj_begin(j);
	sc_json_member_str_or_null(j, "step", k->step);
	sc_json_member_str_or_null(j, "socket", c->name[k->sock]);
	sc_json_member_str_or_null(j, "call", k->name);
	sc_json_member_str_or_null(j, "arg", k->arg);
	sc_json_member_str_or_null(j, "result", result_name(k->err));
	sc_json_member_str_or_null(j, "expected", result_name(k->expect));
	sc_json_member_str_or_null(j, "local", k->local);
	sc_json_member_str_or_null(j, "remote", k->remote);
	sc_json_member_str_or_null(j, "state",
				   k->state < 0 ? NULL : sc_tcp_state_name(k->state));
	sc_json_end(j);
}

/* "s1 connect(127.0.0.1:80) = ok, 127.0.0.1:5000 -> 127.0.0.1:80 ESTAB" */
static void text_call(const struct reuse_ctx *c, const struct call *k)
{
	printf("%s %s(%s) = %s", c->name[k->sock], k->name, k->arg, result_name(k->err));
	if (k->remote[0])
		printf(", %s -> %s %s", k->local, k->remote, sc_tcp_state_name(k->state));
	else if (k->local[0])
		printf(", local %s", k->local);
	if (k->err != k->expect)
		printf("  UNEXPECTED: the rule says %s", result_name(k->expect));
	putchar('\n');
}

/* Print one syscall's result; count it if it broke the rule. */
static void report(struct reuse_ctx *c, const char *step, int i, const char *call,
		   const char *arg, int err, int expect)
{
	struct call k = { .step = step, .name = call, .arg = arg, .sock = i,
			  .err = err, .expect = expect, .state = -1 };

	endpoints(c->fd[i], k.local, k.remote, sizeof(k.local));
	if (k.remote[0])
		k.state = sc_tcp_state(c->fd[i]);
	if (err != expect)
		c->unexpected++;
	if (c->json)
		json_call(&c->j, c, &k);
	else
		text_call(c, &k);
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

/* The first line, or the --json document up to the items of "calls". */
static void print_head(struct reuse_ctx *c)
{
	char a[64];

	sc_format_host((struct sockaddr *)&c->addr, a, sizeof(a));
	if (!c->json) {
		printf("reuse: the 4-tuple rule on %s: a connection is unique by its "
		       "4-tuple, not by its local port\n", a);
		return;
	}
	sc_json_begin_document(&c->j, stdout, CMD);
	sc_json_member_str(&c->j, "address", a);
	sc_json_key(&c->j, "calls");
	sc_json_arr_begin(&c->j);
}

/* The last line, or the rest of the --json document. */
static void print_tail(struct reuse_ctx *c, int as_expected)
{
	if (!c->json) {
		printf("result=%s\n", as_expected ? "as-expected" : "unexpected");
		return;
	}
	sc_json_line_break(&c->j);
	sc_json_end(&c->j);
	sc_json_member_bool(&c->j, "as_expected", as_expected);
	sc_json_end(&c->j);
}

static int run(struct reuse_ctx *c, const char *addr)
{
	uint16_t dst[3], port = 0;
	int ret;

	if (sc_arg_addr(c->prog, CMD, addr, 0, &c->addr, &c->alen))
		return SC_EXIT_USAGE;
	print_head(c);
	ret = listeners(c, dst) || share_port(c, dst, &port) ||
	      repeat_and_conflict(c, dst, port) || bind0_and_no_port(c, dst);
	print_tail(c, !ret && !c->unexpected);
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

enum { OPT_JSON = 256 };

static const struct option reuse_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int reuse_option(void *opts, const struct option *opt, const char *arg,
			const struct sc_cmdline *cl)
{
	struct reuse_ctx *c = opts;

	(void)opt;
	(void)arg;
	(void)cl;
	c->json = 1;
	return 0;
}

int sc_reuse_main(const char *prog, int argc, char **argv)
{
	const struct sc_cmdline cl = {
		.prog = prog, .cmd = CMD, .options = reuse_options,
		.max_args = 1, .option = reuse_option,
	};
	struct reuse_ctx c;
	char **args;
	int nargs, ret;

	memset(&c, 0, sizeof(c));
	c.prog = prog;
	ret = sc_cmdline_parse(&cl, argc, argv, &c, &args, &nargs);
	if (ret != SC_CMDLINE_RUN)
		return sc_cmdline_exit(ret, prog, sc_reuse_usage);
	return run(&c, nargs ? args[0] : DEFAULT_ADDR);
}
