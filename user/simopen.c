// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn simopen [ADDR] [--delay MS] [--json]
 *
 * A true simultaneous open (RFC 793 figure 8, the four-way handshake): two
 * sockets, each bound to its own port, connect to each other at the same
 * time, with no listener. On loopback a SYN arrives before the other side
 * has called connect(), so the command delays every packet on lo with netem,
 * inside a private network namespace (unshare(CLONE_NEWNET)): nothing on the
 * system is touched, and everything goes away when the command exits.
 */
#define _GNU_SOURCE	/* unshare() */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "json.h"
#include "selfconn.h"

#define CMD "simopen"
#define DEFAULT_ADDR "127.0.0.1"
#define DEFAULT_DELAY 100UL
#define MAX_DELAY 10000UL
#define POLL_MS 2
#define MAX_STATES 8

struct side {
	const char *name;
	int fd;
	struct sockaddr_storage local, peer;
	char lbuf[64], pbuf[64];
	int states[MAX_STATES];	/* the TCP states it went through */
	int nstates;
	int err;		/* SO_ERROR, if the connect failed */
};

struct simopen_opts {
	const char *addr;
	unsigned long delay_ms;
	int json;
};

void sc_simopen_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s " CMD " [ADDR] [--delay MS] [--json]\n"
		"\n"
		"A true simultaneous open (the four-way handshake of RFC 793): sockets a\n"
		"and b, each bound to its own port on ADDR, connect() to each other at\n"
		"the same time; no socket listens, none is accepted. Each SYN finds the\n"
		"other socket in SYN-SENT, both go through SYN-RECV to ESTAB.\n"
		"\n"
		"To make that reliable, every packet on lo is delayed by MS ms with\n"
		"'tc qdisc add dev lo root netem delay MSms' (iproute2's tc, run by the\n"
		"command). All of it happens in a private network namespace made with\n"
		"unshare(CLONE_NEWNET): nothing on the system changes, and the namespace,\n"
		"lo's qdisc and the sockets go away when the command exits. That needs\n"
		"CAP_SYS_ADMIN and CAP_NET_ADMIN (root), tc in PATH and sch_netem.\n"
		"\n"
		"  ADDR        IPv4 or IPv6 loopback address, default " DEFAULT_ADDR "\n"
		"  --delay MS  netem delay on lo, 1 to %lu ms (default %lu)\n"
		"  --json      one JSON object (schema 1): {\"schema\":1,\"command\":\"simopen\",\n"
		"              \"address\":A,\"delay_ms\":N,\"elapsed_ms\":N,\"sockets\":[{\"name\":\n"
		"              \"a\",\"local\":L,\"remote\":R,\"states\":[S...],\"state\":S}, {b}],\n"
		"              \"data_exchanged\":BOOL,\"simultaneous_open\":BOOL}\n"
		"  -h, --help  this help\n"
		"  -V, --version\n"
		"              the version of selfconn\n"
		"\n"
		"Prints each syscall and its result, each socket's states, and last\n"
		"result=simultaneous-open or result=failed.\n"
		"\n"
		"Exit status: 0 both sockets ESTAB with each other, 1 error or not a\n"
		"simultaneous open, 64 bad usage.\n", prog, MAX_DELAY, DEFAULT_DELAY);
}

/* Brings lo up: 0 or an errno. */
static int lo_up(void)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = errno;
	close(fd);
	return err;
}

/* tc qdisc add dev lo root netem delay MSms: 0 or -1 after a message. */
static int netem(const char *prog, unsigned long delay_ms)
{
	char delay[32];
	pid_t pid;
	int st;

	snprintf(delay, sizeof(delay), "%lums", delay_ms);
	pid = fork();
	if (pid < 0) {
		sc_err(prog, CMD, errno, "fork");
		return -1;
	}
	if (!pid) {
		execlp("tc", "tc", "qdisc", "add", "dev", "lo", "root", "netem",
		       "delay", delay, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			sc_err(prog, CMD, errno, "waitpid");
			return -1;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		sc_err(prog, CMD, 0, "tc (iproute2) not found in PATH");
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		sc_err(prog, CMD, 0, "tc qdisc add dev lo root netem delay %s failed "
		       "(is sch_netem available?)", delay);
		return -1;
	}
	return 0;
}

/* The private namespace with a slow lo: 0 or -1 after a message. */
static int setup_netns(const char *prog, unsigned long delay_ms)
{
	int err;

	if (unshare(CLONE_NEWNET)) {
		err = errno;
		sc_err(prog, CMD, err, "unshare(CLONE_NEWNET)%s",
		       err == EPERM ? " (needs CAP_SYS_ADMIN and CAP_NET_ADMIN: run as root)" : "");
		return -1;
	}
	err = lo_up();
	if (err) {
		sc_err(prog, CMD, err, "bring lo up");
		return -1;
	}
	return netem(prog, delay_ms);
}

static void note_state(struct side *s)
{
	int st = sc_tcp_state(s->fd);

	if (st > 0 && s->nstates < MAX_STATES &&
	    (!s->nstates || s->states[s->nstates - 1] != st))
		s->states[s->nstates++] = st;
}

static int open_side(const char *prog, const struct sockaddr_storage *addr,
		     socklen_t alen, struct side *s, int json)
{
	socklen_t len = sizeof(s->local);
	char arg[64];

	s->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		sc_err(prog, CMD, errno, "socket");
		return -1;
	}
	sc_format_addr((const struct sockaddr *)addr, arg, sizeof(arg));
	if (bind(s->fd, (const struct sockaddr *)addr, alen) ||
	    getsockname(s->fd, (struct sockaddr *)&s->local, &len)) {
		sc_err(prog, CMD, errno, "%s bind(%s)", s->name, arg);
		return -1;
	}
	sc_format_addr((struct sockaddr *)&s->local, s->lbuf, sizeof(s->lbuf));
	if (!json)
		printf("%s bind(%s) = ok, local %s\n", s->name, arg, s->lbuf);
	return 0;
}

static int start_connect(const char *prog, struct side *s, const struct side *to,
			 socklen_t alen, int json)
{
	int err;

	err = connect(s->fd, (const struct sockaddr *)&to->local, alen) ? errno : 0;
	note_state(s);
	if (err && err != EINPROGRESS) {
		sc_err(prog, CMD, err, "%s connect(%s)", s->name, to->lbuf);
		return -1;
	}
	if (!json)
		printf("%s connect(%s) = %s, %s\n", s->name, to->lbuf,
		       err ? "EINPROGRESS" : "ok",
		       s->nstates ? sc_tcp_state_name(s->states[0]) : "?");
	return 0;
}

/* Whether s's connect() is over: 1 done, 0 still going; sets s->err. */
static int settled(struct side *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };
	socklen_t len = sizeof(s->err);

	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &s->err, &len))
		s->err = errno;
	return 1;
}

/* Both handshakes, watched every POLL_MS ms: 0 or -1 after a message. */
static int handshake(const char *prog, struct side *s, unsigned long delay_ms)
{
	long long deadline = sc_now_ms() + 10 * (long long)delay_ms + 10000;
	struct timespec ts = { .tv_nsec = POLL_MS * 1000000L };
	int i, done[2] = { 0, 0 };

	while (!(done[0] && done[1]) && sc_now_ms() < deadline) {
		nanosleep(&ts, NULL);
		for (i = 0; i < 2; i++) {
			note_state(&s[i]);
			done[i] = done[i] || settled(&s[i]);
		}
	}
	for (i = 0; i < 2; i++) {
		note_state(&s[i]);
		if (!done[i]) {
			sc_err(prog, CMD, ETIMEDOUT, "%s connect(%s)", s[i].name,
			       s[1 - i].lbuf);
			return -1;
		}
		if (s[i].err) {
			sc_err(prog, CMD, s[i].err, "%s connect(%s)", s[i].name,
			       s[1 - i].lbuf);
			return -1;
		}
	}
	return 0;
}

/* A byte each way: 0 if both arrived. */
static int exchange(struct side *s)
{
	struct pollfd p;
	char c;
	int i;

	for (i = 0; i < 2; i++) {
		c = (char)('a' + i);
		if (write(s[i].fd, &c, 1) != 1)
			return -1;
		p.fd = s[1 - i].fd;
		p.events = POLLIN;
		if (poll(&p, 1, 5000) != 1 || read(s[1 - i].fd, &c, 1) != 1 ||
		    c != 'a' + i)
			return -1;
	}
	return 0;
}

/* Each one's peer is the other one, and both are ESTAB. */
static int verify(struct side *s)
{
	socklen_t len;
	int i, ok = 1;

	for (i = 0; i < 2; i++) {
		len = sizeof(s[i].peer);
		if (getpeername(s[i].fd, (struct sockaddr *)&s[i].peer, &len)) {
			ok = 0;
			continue;
		}
		sc_format_addr((struct sockaddr *)&s[i].peer, s[i].pbuf, sizeof(s[i].pbuf));
		ok = ok && !strcmp(s[i].pbuf, s[1 - i].lbuf) &&
		     sc_tcp_state(s[i].fd) == TCP_ESTABLISHED;
	}
	return ok;
}

static void print_text(const struct side *s, int ok, int data, long long ms)
{
	int i, j;

	for (i = 0; i < 2; i++) {
		printf("%s states:", s[i].name);
		for (j = 0; j < s[i].nstates; j++)
			printf("%s %s", j ? " ->" : "", sc_tcp_state_name(s[i].states[j]));
		putchar('\n');
	}
	for (i = 0; i < 2; i++)
		printf("%s %s -> %s %s\n", s[i].name, s[i].lbuf, s[i].pbuf[0] ? s[i].pbuf : "?",
		       sc_tcp_state_name(sc_tcp_state(s[i].fd)));
	printf("data: a -> b and b -> a %s\n", data ? "ok" : "FAILED");
	printf("elapsed_ms=%lld result=%s\n", ms, ok && data ?
	       "simultaneous-open (both ESTAB, no listen(), no accept())" : "failed");
}

/* One socket: {"name":N,"local":L,"remote":R,"states":[S...],"state":S} */
static void json_side(struct sc_json *j, const struct side *s)
{
	int i;

	sc_json_obj_begin(j);
	sc_json_member_str(j, "name", s->name);
	sc_json_member_str(j, "local", s->lbuf);
	sc_json_member_str(j, "remote", s->pbuf);
	sc_json_key(j, "states");
	sc_json_arr_begin(j);
	for (i = 0; i < s->nstates; i++)
		sc_json_str(j, sc_tcp_state_name(s->states[i]));
	sc_json_end(j);
	sc_json_member_str(j, "state", sc_tcp_state_name(sc_tcp_state(s->fd)));
	sc_json_end(j);
}

static void print_json(const struct simopen_opts *o, const struct side *s,
		       int ok, int data, long long ms)
{
	struct sc_json j;
	char a[64];

	sc_format_host((const struct sockaddr *)&s[0].local, a, sizeof(a));
	sc_json_begin_document(&j, stdout, CMD);
	sc_json_member_str(&j, "address", a);
	sc_json_member_uint(&j, "delay_ms", o->delay_ms);
	sc_json_member_int(&j, "elapsed_ms", ms);
	sc_json_key(&j, "sockets");
	sc_json_arr_begin(&j);
	json_side(&j, &s[0]);
	json_side(&j, &s[1]);
	sc_json_end(&j);
	sc_json_member_bool(&j, "data_exchanged", data);
	sc_json_member_bool(&j, "simultaneous_open", ok && data);
	sc_json_end(&j);
}

static int run(const char *prog, const struct simopen_opts *o)
{
	struct side s[2] = { { .name = "a", .fd = -1 }, { .name = "b", .fd = -1 } };
	struct sockaddr_storage addr;
	socklen_t alen;
	long long start;
	int ret = SC_EXIT_FAIL, ok, data, i;

	if (sc_arg_addr(prog, CMD, o->addr, 0, &addr, &alen))
		return SC_EXIT_USAGE;
	if (setup_netns(prog, o->delay_ms))
		return SC_EXIT_FAIL;
	if (!o->json)
		printf("simopen: private network namespace, lo up, "
		       "tc qdisc add dev lo root netem delay %lums\n", o->delay_ms);
	if (open_side(prog, &addr, alen, &s[0], o->json) ||
	    open_side(prog, &addr, alen, &s[1], o->json))
		goto out;
	start = sc_now_ms();
	if (start_connect(prog, &s[0], &s[1], alen, o->json) ||
	    start_connect(prog, &s[1], &s[0], alen, o->json) ||
	    handshake(prog, s, o->delay_ms))
		goto out;
	ok = verify(s);
	data = ok && !exchange(s);
	if (o->json)
		print_json(o, s, ok, data, sc_now_ms() - start);
	else
		print_text(s, ok, data, sc_now_ms() - start);
	if (fflush(stdout) || ferror(stdout))
		sc_err(prog, CMD, errno, "write");
	else if (ok && data)
		ret = SC_EXIT_OK;
out:
	for (i = 0; i < 2; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	return ret;
}

enum { OPT_DELAY = 256, OPT_JSON };

static const struct option simopen_options[] = {
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int simopen_option(void *opts, const struct option *opt, const char *arg,
			  const struct sc_cmdline *cl)
{
	struct simopen_opts *o = opts;

	if (opt->val == OPT_DELAY)
		return sc_option_uint(cl, opt, arg, 1, MAX_DELAY, &o->delay_ms);
	o->json = 1;
	return 0;
}

int sc_simopen_main(const char *prog, int argc, char **argv)
{
	const struct sc_cmdline cl = {
		.prog = prog, .cmd = CMD, .options = simopen_options,
		.max_args = 1, .option = simopen_option,
	};
	struct simopen_opts o = { .addr = DEFAULT_ADDR, .delay_ms = DEFAULT_DELAY };
	char **args;
	int nargs, ret;

	ret = sc_cmdline_parse(&cl, argc, argv, &o, &args, &nargs);
	if (ret != SC_CMDLINE_RUN)
		return sc_cmdline_exit(ret, prog, sc_simopen_usage);
	if (nargs)
		o.addr = args[0];
	return run(prog, &o);
}
