// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn race [ADDR] [PORT] [--max N] [--hold SECONDS] [--json]
 *
 * The accidental self-connect: connect() without bind() to ADDR:PORT, where
 * PORT lies inside ip_local_port_range and nothing listens, again and again,
 * until the kernel picks PORT as the ephemeral source port. The SYN then
 * goes to the socket that sent it, and connect() succeeds.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "json.h"
#include "selfconn.h"

#define CMD "race"
#define DEFAULT_ADDR "127.0.0.1"
#define DEFAULT_MAX 100000UL
#define MAX_MAX 100000000UL
#define HOLD_MAX (365UL * 24 * 3600)
#define RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"
#define RESERVED_PATH "/proc/sys/net/ipv4/ip_local_reserved_ports"

struct race_opts {
	const char *addr;
	uint16_t port;		/* 0: pick a free even one */
	unsigned long max;
	unsigned long hold;
	int json;
};

struct race_result {
	struct sockaddr_storage dst;
	socklen_t dlen;
	unsigned int lo, hi;	/* ip_local_port_range */
	unsigned long attempts, refused;
	long long elapsed_ms;
	int made;		/* a self-connect happened */
	int state;		/* its TCP state */
};

void sc_race_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s " CMD " [ADDR] [PORT] [--max N] [--hold SECONDS] [--json]\n"
		"\n"
		"Reproduce the accidental self-connect: connect() without bind() to\n"
		"ADDR:PORT, where PORT lies inside net.ipv4.ip_local_port_range and\n"
		"nothing listens, again and again, until the kernel picks PORT as the\n"
		"source port and the socket connects to itself. Each refused attempt\n"
		"(ECONNREFUSED) is closed at once; a self-connect made is closed at the\n"
		"end (after --hold), leaving its TIME-WAIT. Nothing is changed on the\n"
		"system: a small ip_local_port_range (per network namespace) makes it\n"
		"quick, the default one can take tens of thousands of attempts.\n"
		"\n"
		"  ADDR            IPv4 or IPv6 address (also ::ffff:a.b.c.d), default\n"
		"                  " DEFAULT_ADDR "\n"
		"  PORT            inside ip_local_port_range and not reserved; default a\n"
		"                  free even one (connect() prefers even ports since\n"
		"                  Linux 4.2, an odd PORT only comes after them)\n"
		"  --max N         stop after N attempts (default %lu)\n"
		"  --hold SECONDS  keep a self-connect open that long\n"
		"  --json          one JSON object (schema 1): {\"schema\":1,\n"
		"                  \"command\":\"race\",\"address\":A,\"port\":P,\n"
		"                  \"range\":[LO,HI],\"max\":N,\"attempts\":N,\n"
		"                  \"refused\":N,\"elapsed_ms\":N,\"self_connect\":BOOL,\n"
		"                  \"state\":S|null}\n"
		"  -h, --help      this help\n"
		"  -V, --version   the version of selfconn\n"
		"\n"
		"Prints the plan, then one line:\n"
		"  attempts=N refused=N elapsed_ms=N result=self-connect|none [state=S]\n"
		"\n"
		"Exit status: 0 a self-connect happened, 2 none within --max attempts\n"
		"(all refused, e.g. with net.selfconn.refuse=1), 1 error (e.g.\n"
		"something listens on ADDR:PORT), 64 bad usage.\n", prog, DEFAULT_MAX);
}

enum { OPT_MAX = 256, OPT_HOLD, OPT_JSON };

static const struct option race_options[] = {
	{ "max", required_argument, NULL, OPT_MAX },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int race_option(void *opts, const struct option *opt, const char *arg,
		       const struct sc_cmdline *cl)
{
	struct race_opts *o = opts;

	if (opt->val == OPT_MAX)
		return sc_option_uint(cl, opt, arg, 1, MAX_MAX, &o->max);
	if (opt->val == OPT_HOLD)
		return sc_option_uint(cl, opt, arg, 0, HOLD_MAX, &o->hold);
	o->json = 1;
	return 0;
}

/* [ADDR] [PORT]: one argument is PORT if it is a number, else ADDR. */
static int parse_addr_port(const char *prog, char **args, int nargs, struct race_opts *o)
{
	if (nargs == 2) {
		o->addr = args[0];
		return sc_arg_port(prog, CMD, args[1], &o->port);
	}
	if (nargs == 1 && sc_parse_port(args[0], &o->port))
		o->addr = args[0];
	return 0;
}

/* [ADDR] [PORT] and the options: SC_CMDLINE_*. */
static int parse_args(const char *prog, int argc, char **argv, struct race_opts *o)
{
	const struct sc_cmdline cl = {
		.prog = prog, .cmd = CMD, .options = race_options,
		.max_args = 2, .option = race_option,
	};
	char **args;
	int nargs, ret;

	memset(o, 0, sizeof(*o));
	o->max = DEFAULT_MAX;
	o->addr = DEFAULT_ADDR;
	ret = sc_cmdline_parse(&cl, argc, argv, o, &args, &nargs);
	if (ret != SC_CMDLINE_RUN)
		return ret;
	return parse_addr_port(prog, args, nargs, o) ? SC_CMDLINE_BAD : SC_CMDLINE_RUN;
}

static int read_range(unsigned int *lo, unsigned int *hi)
{
	FILE *f = fopen(RANGE_PATH, "re");
	int n;

	if (!f)
		return errno;
	n = fscanf(f, "%u %u", lo, hi);
	fclose(f);
	return n == 2 && *lo <= *hi && *hi <= 65535 ? 0 : EINVAL;
}

/* Whether port is in ip_local_reserved_ports ("1,5-7"); 0 if unreadable. */
static int reserved(unsigned int port)
{
	unsigned int a, b;
	char buf[4096], *p, *save = NULL;
	FILE *f = fopen(RESERVED_PATH, "re");
	int n, hit = 0;

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	for (p = strtok_r(buf, ",\n", &save); p && !hit; p = strtok_r(NULL, ",\n", &save)) {
		n = sscanf(p, "%u-%u", &a, &b);
		if (n == 1)
			b = a;
		hit = n >= 1 && port >= a && port <= b;
	}
	return hit;
}

static int new_socket(int family)
{
	int fd, off = 0;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether ADDR:port can be bound now (nothing holds it): 1, 0, or -errno. */
static int port_free(const struct sockaddr_storage *ss, socklen_t len, uint16_t port)
{
	struct sockaddr_storage a = *ss;
	int fd, ret;

	((struct sockaddr_in *)&a)->sin_port = htons(port);	/* same offset in v6 */
	fd = new_socket(a.ss_family);
	if (fd < 0)
		return -errno;
	ret = bind(fd, (struct sockaddr *)&a, len) ? (errno == EADDRINUSE ? 0 : -errno) : 1;
	close(fd);
	return ret;
}

/* A free even port of [lo, hi] not reserved, from a varying start; 0 if none. */
static uint16_t pick_port(const struct race_result *r)
{
	unsigned int first = (r->lo + 1) & ~1U, n, i, p;
	struct timespec ts;

	if (first > r->hi)
		return 0;
	n = (r->hi - first) / 2 + 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (i = 0; i < n; i++) {
		p = first + 2 * ((((unsigned int)ts.tv_nsec ^ (unsigned int)getpid()) + i) % n);
		if (!reserved(p) && port_free(&r->dst, r->dlen, (uint16_t)p) == 1)
			return (uint16_t)p;
	}
	return 0;
}

/* A connect() that succeeded: a self-connect (1), or someone else's (-1). */
static int judge(const char *prog, int fd, struct race_result *r)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	char lbuf[64], dbuf[64];

	sc_format_addr((struct sockaddr *)&r->dst, dbuf, sizeof(dbuf));
	if (getsockname(fd, (struct sockaddr *)&local, &llen)) {
		sc_err(prog, CMD, errno, "getsockname");
		return -1;
	}
	sc_format_addr((struct sockaddr *)&local, lbuf, sizeof(lbuf));
	if (llen != r->dlen || memcmp(&local, &r->dst, llen)) {
		sc_err(prog, CMD, 0, "attempt %lu: connect %s from %s succeeded: something "
		       "listens on %s, this is no race", r->attempts, dbuf, lbuf, dbuf);
		return -1;
	}
	r->made = 1;
	r->state = sc_tcp_state(fd);
	return 1;
}

/* The attempts: 0 when done (made or not), -1 on an error. */
static int race(const char *prog, const struct race_opts *o, struct race_result *r)
{
	long long start = sc_now_ms();
	char dbuf[64];
	int fd, ret = 0;

	sc_format_addr((struct sockaddr *)&r->dst, dbuf, sizeof(dbuf));
	while (r->attempts < o->max && !r->made && !ret) {
		fd = new_socket(r->dst.ss_family);
		if (fd < 0) {
			sc_err(prog, CMD, errno, "socket");
			return -1;
		}
		r->attempts++;
		if (!connect(fd, (struct sockaddr *)&r->dst, r->dlen)) {
			ret = judge(prog, fd, r) < 0 ? -1 : 0;
			if (r->made && !o->json) {
				printf("attempt %lu: connect(%s) from %s: ok, %s\n", r->attempts,
				       dbuf, dbuf, "connected to itself");
				fflush(stdout);
			}
			if (r->made && o->hold)
				sc_hold(o->hold);
		} else if (errno == ECONNREFUSED) {
			r->refused++;
		} else {
			sc_err(prog, CMD, errno, "attempt %lu: connect %s", r->attempts, dbuf);
			ret = -1;
		}
		close(fd);
	}
	r->elapsed_ms = sc_now_ms() - start;
	return ret;
}

static void print_json(const struct race_opts *o, const struct race_result *r, uint16_t port)
{
	struct sc_json j;
	char a[64];

	sc_format_host((struct sockaddr *)&r->dst, a, sizeof(a));
	sc_json_begin_document(&j, stdout, CMD);
	sc_json_member_str(&j, "address", a);
	sc_json_member_uint(&j, "port", port);
	sc_json_key(&j, "range");
	sc_json_arr_begin(&j);
	sc_json_uint(&j, r->lo);
	sc_json_uint(&j, r->hi);
	sc_json_end(&j);
	sc_json_member_uint(&j, "max", o->max);
	sc_json_member_uint(&j, "attempts", r->attempts);
	sc_json_member_uint(&j, "refused", r->refused);
	sc_json_member_int(&j, "elapsed_ms", r->elapsed_ms);
	sc_json_member_bool(&j, "self_connect", r->made);
	sc_json_member_str_or_null(&j, "state", r->made ? sc_tcp_state_name(r->state) : NULL);
	sc_json_end(&j);
}

static int run(const char *prog, const struct race_opts *o)
{
	struct race_result r;
	uint16_t port = o->port;
	char dbuf[64];
	int err;

	memset(&r, 0, sizeof(r));
	if (sc_arg_addr(prog, CMD, o->addr, 1, &r.dst, &r.dlen))
		return SC_EXIT_USAGE;
	err = read_range(&r.lo, &r.hi);
	if (err) {
		sc_err(prog, CMD, err, "read " RANGE_PATH);
		return SC_EXIT_FAIL;
	}
	if (!port) {
		port = pick_port(&r);
		if (!port) {
			sc_err(prog, CMD, 0, "no free even port in ip_local_port_range %u-%u",
			       r.lo, r.hi);
			return SC_EXIT_FAIL;
		}
	} else if (port < r.lo || port > r.hi || reserved(port)) {
		sc_err(prog, CMD, 0, "port %u is %s: connect() never picks it "
		       "(ip_local_port_range is %u-%u)", port,
		       reserved(port) ? "in ip_local_reserved_ports" :
		       "outside ip_local_port_range", r.lo, r.hi);
		return SC_EXIT_FAIL;
	} else if (port & 1) {
		fprintf(stderr, "%s %s: port %u is odd: connect() tries the even ports of "
			"the range first, this may take long\n", prog, CMD, port);
	}
	((struct sockaddr_in *)&r.dst)->sin_port = htons(port);
	sc_format_addr((struct sockaddr *)&r.dst, dbuf, sizeof(dbuf));
	if (!o->json) {
		printf("race: connect() without bind() to %s, ip_local_port_range %u-%u, "
		       "at most %lu attempts\n", dbuf, r.lo, r.hi, o->max);
		fflush(stdout);
	}
	if (race(prog, o, &r))
		return SC_EXIT_FAIL;
	if (o->json)
		print_json(o, &r, port);
	else
		printf("attempts=%lu refused=%lu elapsed_ms=%lld result=%s%s%s\n",
		       r.attempts, r.refused, r.elapsed_ms, r.made ? "self-connect" : "none",
		       r.made ? " state=" : "", r.made ? sc_tcp_state_name(r.state) : "");
	if (fflush(stdout) || ferror(stdout)) {
		sc_err(prog, CMD, errno, "write");
		return SC_EXIT_FAIL;
	}
	return r.made ? SC_EXIT_OK : SC_EXIT_REFUSED;
}

int sc_race_main(const char *prog, int argc, char **argv)
{
	struct race_opts o;
	int ret;

	ret = parse_args(prog, argc, argv, &o);
	if (ret != SC_CMDLINE_RUN)
		return sc_cmdline_exit(ret, prog, sc_race_usage);
	return run(prog, &o);
}
