// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of reading /proc/selfconn with small and large read() calls.
 *
 * A benchmark, not a test: it asserts nothing about time and is not run by
 * `make check` (`make bench` runs it in a guest). In a network namespace of
 * its own it makes N self-connects (default 4000, IPv4 loopback), then reads
 * /proc/selfconn to EOF with read() calls of 1 KiB, 4 KiB, 64 KiB and 1 MiB,
 * ROUNDS times each, and prints the median time of one full read and the
 * number of read() calls. /proc/net/tcp, which lists the same sockets, is
 * read the same way for comparison.
 *
 * Usage: selfconn_read_bench [N [ROUNDS]]   (root: needs unshare(CLONE_NEWNET))
 */
#define _GNU_SOURCE
#include <sys/resource.h>

#include "selfconn_lib.h"

#define BENCH_PORT_BASE	20000
#define BENCH_MAX_N	20000
#define BENCH_MAX_ROUNDS 101

static const size_t bench_sizes[] = { 1024, 4096, 65536, 1 << 20 };

static const char *const bench_files[] = { "/proc/selfconn", "/proc/net/tcp" };

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One read of @path to EOF in @size-byte read() calls: bytes, or -errno. */
static long long read_all(const char *path, char *buf, size_t size,
			  unsigned long *calls)
{
	long long total = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*calls = 0;
	do {
		n = read(fd, buf, size);
		(*calls)++;
		if (n > 0)
			total += n;
	} while (n > 0);
	if (n < 0)
		total = -errno;
	close(fd);
	return total;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int bench_file(const char *path, char *buf, int rounds)
{
	long long ns[BENCH_MAX_ROUNDS], bytes = 0, t0;
	unsigned long calls = 0;
	unsigned int s;
	int r;

	for (s = 0; s < sizeof(bench_sizes) / sizeof(bench_sizes[0]); s++) {
		for (r = 0; r < rounds; r++) {
			t0 = now_ns();
			bytes = read_all(path, buf, bench_sizes[s], &calls);
			ns[r] = now_ns() - t0;
			if (bytes < 0) {
				fprintf(stderr, "read %s: %s\n", path, strerror((int)-bytes));
				return -1;
			}
		}
		qsort(ns, rounds, sizeof(ns[0]), cmp_ll);
		printf("%-15s read_size=%-7zu bytes=%-8lld calls=%-6lu median_us=%lld min_us=%lld max_us=%lld\n",
		       path, bench_sizes[s], bytes, calls, ns[rounds / 2] / 1000,
		       ns[0] / 1000, ns[rounds - 1] / 1000);
	}
	return 0;
}

static int parse(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	int n = 4000, rounds = 11, i, made = 0;
	struct rlimit rl;
	char *buf;
	unsigned int f;

	if (argc > 3 || (argc > 1 && parse(argv[1], 1, BENCH_MAX_N, &n)) ||
	    (argc > 2 && parse(argv[2], 1, BENCH_MAX_ROUNDS, &rounds))) {
		fprintf(stderr, "usage: %s [N (1-%d) [ROUNDS (1-%d)]]\n", argv[0],
			BENCH_MAX_N, BENCH_MAX_ROUNDS);
		return 64;
	}
	if (sct_new_netns()) {
		perror("a network namespace with lo up");
		return 1;
	}
	rl.rlim_cur = rl.rlim_max = n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("setrlimit(RLIMIT_NOFILE)");
		return 1;
	}
	for (i = 0; i < n; i++) {
		int fd = sct_self_connect(AF_INET, "127.0.0.1", BENCH_PORT_BASE + i, 0);

		if (fd < 0) {
			fprintf(stderr, "self-connect to port %d: %s\n",
				BENCH_PORT_BASE + i, strerror(-fd));
			return 1;
		}
		made++;
	}
	buf = malloc(1 << 20);
	if (!buf)
		return 1;
	printf("# selfconn_read_bench: %d self-connects, %d rounds per read size\n",
	       made, rounds);
	for (f = 0; f < sizeof(bench_files) / sizeof(bench_files[0]); f++)
		if (bench_file(bench_files[f], buf, rounds))
			return 1;
	free(buf);
	return 0;
}
