// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn_bench: what it costs to find self-connects and to ask who
 * occupies a port, next to the tools people use today.
 *
 * For each size N it makes, in a network namespace of its own, about N
 * loopback TCP sockets: a busy port (a listener with N/20 clients, each
 * accepted: N/10 sockets), a quiet port (a listener alone), four
 * self-connects, and connections to other listeners for the rest. Then it
 * times, as the median of ROUNDS rounds (each round runs every case once):
 *
 *   ss -tan                      ss -tan '( sport = :BUSY )'
 *   cat /proc/net/tcp            /proc/selfconn with 4 KiB and 1 MiB reads
 *   the port report of the quiet and of the busy port (4 KiB and 1 MiB reads),
 *   and the busy port's first read alone (copying its report, one page)
 *
 * and prints one Markdown table, with the ratios that matter. A benchmark,
 * not a test: it asserts nothing about time. Needs root, ss(8) in PATH
 * and selfconn.ko loaded.
 *
 * Usage: selfconn_bench [--rounds R] [N...]   (default: 2000 200000)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUSY_PORT	9000
#define QUIET_PORT	9001
#define SELF_PORT	9100	/* self-connects: 9100..9103 */
#define NR_SELF		4
#define FILL_PORT	10000	/* filler listeners: 10000.. */
#define FILL_PER_PORT	20000	/* connections per filler listener */
#define MAX_SIZES	4
#define MAX_ROUNDS	51
#define KIB		1024

extern char **environ;

enum bench_case {
	CASE_SS,
	CASE_SS_SPORT,
	CASE_NET_TCP,
	CASE_SELFCONN_4K,
	CASE_SELFCONN_1M,
	CASE_QUIET_4K,
	CASE_BUSY_FIRST,
	CASE_BUSY_4K,
	CASE_BUSY_1M,
	NR_CASES,
};

static const char *const case_names[NR_CASES] = {
	[CASE_SS]		= "`ss -tan`",
	[CASE_SS_SPORT]		= "`ss -tan '( sport = :9000 )'`",
	[CASE_NET_TCP]		= "`cat /proc/net/tcp` (128 KiB reads)",
	[CASE_SELFCONN_4K]	= "`/proc/selfconn`, 4 KiB reads",
	[CASE_SELFCONN_1M]	= "`/proc/selfconn`, 1 MiB reads",
	[CASE_QUIET_4K]		= "report of a quiet port, 4 KiB reads",
	[CASE_BUSY_FIRST]	= "report of port 9000 (busy), its first 4 KiB read only",
	[CASE_BUSY_4K]		= "report of port 9000 (busy), 4 KiB reads",
	[CASE_BUSY_1M]		= "report of port 9000 (busy), 1 MiB reads",
};

struct bench_size {
	int	sockets;		/* made */
	double	ms[NR_CASES];		/* medians */
	size_t	bytes[NR_CASES];	/* output of one run */
};

static void die(const char *what)
{
	fprintf(stderr, "selfconn_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die(path);
	close(fd);
}

/* ---- the sockets ---- */

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return a;
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

static int listener(int port)
{
	struct sockaddr_in a = loopback(port);
	int fd = tcp_socket();

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128))
		die("listen");
	return fd;
}

/* A client of @lfd and the socket accept() gives: two sockets. */
static void connect_pair(int lfd, int port)
{
	struct sockaddr_in a = loopback(port);
	int fd = tcp_socket();

	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	if (accept4(lfd, NULL, NULL, SOCK_CLOEXEC) < 0)
		die("accept");
}

static void self_connect(int port)
{
	struct sockaddr_in a = loopback(port);
	int fd = tcp_socket();

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("self-connect");
}

static void lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		die("lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		die("lo up");
	close(fd);
}

/* A fresh namespace holding about @n sockets; returns how many it made. */
static int make_sockets(int n)
{
	int busy_clients = n / 20, made = 0, lfd = -1, i;
	struct rlimit rl = { n + 1024, n + 1024 };

	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET)");
	lo_up();
	write_file("/proc/sys/net/ipv4/ip_local_port_range", "20000 65000");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE");

	for (i = 0; i < NR_SELF; i++)
		self_connect(SELF_PORT + i);
	made += NR_SELF;
	listener(QUIET_PORT);
	lfd = listener(BUSY_PORT);
	made += 2;
	for (i = 0; i < busy_clients; i++)
		connect_pair(lfd, BUSY_PORT);
	made += 2 * busy_clients;
	for (i = 0; made + 2 <= n; i++) {
		if (i % FILL_PER_PORT == 0) {
			lfd = listener(FILL_PORT + i / FILL_PER_PORT);
			made++;
		}
		connect_pair(lfd, FILL_PORT + i / FILL_PER_PORT);
		made += 2;
	}
	return made;
}

/* ---- what is timed ---- */

/* Read @fd from offset 0 to EOF in @chunk reads: the bytes read. */
static size_t read_all(int fd, size_t chunk)
{
	static char buf[1 << 20];
	size_t total = 0;
	ssize_t r;

	if (lseek(fd, 0, SEEK_SET))
		die("lseek");
	while ((r = read(fd, buf, chunk)) > 0)
		total += r;
	if (r < 0)
		die("read");
	return total;
}

static size_t read_file(const char *path, size_t chunk)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n;

	if (fd < 0)
		die(path);
	n = read_all(fd, chunk);
	close(fd);
	return n;
}

/*
 * The report of one port, through a descriptor of its own (no privilege):
 * all of it, or (@whole false) only the first read, which copies what the
 * report needs and prints its first page.
 */
static size_t read_report(int port, size_t chunk, bool whole)
{
	static char buf[4 * KIB];
	int fd = open("/proc/selfconn", O_RDWR | O_CLOEXEC);
	char cmd[16];
	size_t n;

	if (fd < 0)
		die("/proc/selfconn");
	snprintf(cmd, sizeof(cmd), "%d\n", port);
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		die("query");
	n = whole ? read_all(fd, chunk) : (size_t)read(fd, buf, sizeof(buf));
	close(fd);
	return n;
}

/* Run ss with @filter (or none), its output to /dev/null. */
static size_t run_ss(const char *filter)
{
	char *argv[] = { "ss", "-tan", (char *)filter, NULL };
	posix_spawn_file_actions_t fa;
	int status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	errno = posix_spawnp(&pid, "ss", &fa, NULL, argv, environ);
	if (errno)
		die("ss");
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		die("ss failed");
	return 0;
}

static size_t run_case(enum bench_case c)
{
	switch (c) {
	case CASE_SS:		return run_ss(NULL);
	case CASE_SS_SPORT:	return run_ss("( sport = :9000 )");
	case CASE_NET_TCP:	return read_file("/proc/net/tcp", 128 * KIB);
	case CASE_SELFCONN_4K:	return read_file("/proc/selfconn", 4 * KIB);
	case CASE_SELFCONN_1M:	return read_file("/proc/selfconn", 1024 * KIB);
	case CASE_QUIET_4K:	return read_report(QUIET_PORT, 4 * KIB, true);
	case CASE_BUSY_FIRST:	return read_report(BUSY_PORT, 4 * KIB, false);
	case CASE_BUSY_4K:	return read_report(BUSY_PORT, 4 * KIB, true);
	case CASE_BUSY_1M:	return read_report(BUSY_PORT, 1024 * KIB, true);
	case NR_CASES:		break;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Round by round, every case once a round: a guest under TCG has slow and
 * fast spells of seconds, which then fall on every case alike instead of on
 * whichever case ran during them.
 */
static void measure(struct bench_size *s, int rounds)
{
	static double t[NR_CASES][MAX_ROUNDS];
	double start;
	int c, r;

	for (r = 0; r < rounds; r++) {
		for (c = 0; c < NR_CASES; c++) {
			start = now_ms();
			s->bytes[c] = run_case(c);
			t[c][r] = now_ms() - start;
		}
	}
	for (c = 0; c < NR_CASES; c++) {
		qsort(t[c], rounds, sizeof(t[c][0]), cmp_double);
		s->ms[c] = t[c][rounds / 2];
		fprintf(stderr, "# %d sockets: %s %.1f ms\n", s->sockets, case_names[c], s->ms[c]);
	}
}

/* One size, in a child: its namespace and sockets go away with it. */
static void bench_size(int n, int rounds, struct bench_size *out)
{
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(pfd[0]);
		out->sockets = make_sockets(n);
		fprintf(stderr, "# %d sockets made\n", out->sockets);
		measure(out, rounds);
		if (write(pfd[1], out, sizeof(*out)) != sizeof(*out))
			die("pipe write");
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], out, sizeof(*out)) != sizeof(*out))
		die("no result from the child");
	close(pfd[0]);
	waitpid(pid, &status, 0);
}

static void print_table(const struct bench_size *s, int nr, int rounds)
{
	int c, i;

	printf("| median of %d runs, ms |", rounds);
	for (i = 0; i < nr; i++)
		printf(" %d sockets |", s[i].sockets);
	printf("\n|---|");
	for (i = 0; i < nr; i++)
		printf("---:|");
	printf("\n");
	for (c = 0; c < NR_CASES; c++) {
		printf("| %s |", case_names[c]);
		for (i = 0; i < nr; i++)
			printf(" %.1f |", s[i].ms[c]);
		printf("\n");
	}
	printf("| `ss -tan` / `/proc/selfconn` (4 KiB) |");
	for (i = 0; i < nr; i++)
		printf(" %.0fx |", s[i].ms[CASE_SS] / s[i].ms[CASE_SELFCONN_4K]);
	printf("\n| `/proc/net/tcp` / `/proc/selfconn` (4 KiB) |");
	for (i = 0; i < nr; i++)
		printf(" %.0fx |", s[i].ms[CASE_NET_TCP] / s[i].ms[CASE_SELFCONN_4K]);
	printf("\n| busy / quiet port report (4 KiB) |");
	for (i = 0; i < nr; i++)
		printf(" %.2fx |", s[i].ms[CASE_BUSY_4K] / s[i].ms[CASE_QUIET_4K]);
	printf("\n| busy port report, bytes |");
	for (i = 0; i < nr; i++)
		printf(" %zu |", s[i].bytes[CASE_BUSY_4K]);
	printf("\n");
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: selfconn_bench [--rounds R] [N...]\n"
		"Times ss, /proc/net/tcp and /proc/selfconn with about N loopback\n"
		"TCP sockets (default: 2000 200000), R runs each (default 5).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct bench_size sizes[MAX_SIZES] = {};
	int rounds = 5, nr = 0, opt, i;

	while ((opt = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || argc - optind > MAX_SIZES) {
		usage(stderr);
		return 64;
	}
	if (optind == argc) {
		bench_size(2000, rounds, &sizes[nr++]);
		bench_size(200000, rounds, &sizes[nr++]);
	}
	for (i = optind; i < argc; i++)
		bench_size(atoi(argv[i]), rounds, &sizes[nr++]);
	print_table(sizes, nr, rounds);
	return 0;
}
