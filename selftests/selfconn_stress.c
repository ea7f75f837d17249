// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn_stress: everything selfconn does, all at once, for a while.
 *
 *   selfconn_stress [--seconds N]     (default 15, or $SELFCONN_STRESS_SECONDS)
 *
 * In a network namespace of its own, threads at the same time:
 *   - connect to a listener and close first (TIME-WAIT), accept;
 *   - connect sockets to themselves (IPv4, IPv6, IPv4-mapped) and close them;
 *   - open listeners, accept one connection each and close them;
 *   - read /proc/selfconn in full, in tiny reads, and as per-descriptor
 *     port queries, keeping their descriptors open across reloads;
 *   - change the watched ports;
 *   - toggle net.selfconn.refuse here and in namespaces of their own,
 *     with self-connects that it refuses;
 *   - create namespaces, set them up (sockets, watched ports, refuse, an
 *     open /proc/selfconn) and drop them with their sockets still there;
 *   - remove and insert the module ($SELFCONN_KO) again and again.
 *
 * Every read must be consistent output (a header whose rows=N matches
 * the N rows that follow, each row and report line well formed, reports in
 * ascending port order, nothing shaped like a kernel address) or a clean
 * error: ENOENT (the file is gone: opened while the module was out) or EIO
 * (a descriptor whose file was removed under it: proc_entry_rundown();
 * lseek() on one is EINVAL, proc_reg_llseek()).
 * Writes may also get ENOENT for an unwatched port and ENOSPC past 64
 * ports; socket calls whatever a busy loopback gives (ECONNREFUSED from
 * refuse, EADDRINUSE, EADDRNOTAVAIL, ETIMEDOUT...). Anything else fails.
 * At the end the module must unload, load again and read consistently.
 * Splats and kmemleak are the lane's to check (lane/guest-init).
 *
 * TAP on stdout; the figures in a "# stress:" line. Exit 0 if all passed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "selfconn_lib.h"

#define ST_PROC		"/proc/selfconn"
#define ST_SYSCTL	"/proc/sys/net/selfconn/refuse"
#define ST_MODNAME	"selfconn"
#define ST_LISTEN	18200	/* the loopback churn's listener */
#define ST_SELF		18300	/* self-connects: ST_SELF .. + ST_NSELF - 1 */
#define ST_NSELF	64
/*
 * Watched ports: a few, since every report walks the established hash
 * (ehash-remote); 64 of them make a read take seconds under KASAN and TCG.
 * ENOSPC is ns.sixty_fifth_port's (selfconn_port.c).
 */
#define ST_WATCH	18300
#define ST_NWATCH	16
#define ST_LPORT	18400	/* listener churn: 32 ports */
#define ST_BUF		(1 << 20)
#define ST_TOGGLERS	3	/* the first in the main namespace */

enum st_count {
	C_CONNECT, C_SELF, C_SELF_REFUSED, C_TIMEWAIT, C_ACCEPT, C_LISTENERS,
	C_READ, C_TINY, C_QUERY, C_READ_ERR, C_WATCH, C_TOGGLE, C_REFUSED,
	C_NETNS, C_RELOAD, C_UNLOAD_MS, C_LOAD_MS, C_NR
};

static const char * const st_count_names[C_NR] = {
	"connections", "selfconnects", "selfconnects_refused", "timewait",
	"accepts", "listeners", "reads", "tiny_reads", "queries", "read_errors",
	"watch_writes", "sysctl_toggles", "refused", "netns", "reloads",
	"unload_ms", "load_ms",
};

struct st_ctx {
	atomic_bool stop;
	atomic_long count[C_NR];
	atomic_int reload_params;	/* refuse_default of the last load */
	pthread_mutex_t lock;		/* protects the failure record */
	int unexpected;			/* errnos no call may get */
	int inconsistent;		/* reads that were not consistent */
	char first_bad[512];
	char *bad_text;			/* the first inconsistent read */
	const char *ko;
	int main_ns;			/* the stress namespace */
	int holder_ns;			/* refuse=1 there: see st_hold_hooks() */
};

struct st_thread {
	struct st_ctx *ctx;
	pthread_t tid;
	int id;
	unsigned int seed;
	const char *name;
	char *buf;
};

/* ---- bookkeeping ---- */

static void st_add(struct st_ctx *c, enum st_count k)
{
	atomic_fetch_add(&c->count[k], 1);
}

static void st_unexpected(struct st_thread *t, const char *what, int err)
{
	struct st_ctx *c = t->ctx;

	pthread_mutex_lock(&c->lock);
	if (!c->unexpected++)
		snprintf(c->first_bad, sizeof(c->first_bad), "%s %d: %s: %s",
			 t->name, t->id, what, strerror(err));
	pthread_mutex_unlock(&c->lock);
}

static void st_inconsistent(struct st_thread *t, const char *why, const char *text)
{
	struct st_ctx *c = t->ctx;

	pthread_mutex_lock(&c->lock);
	if (!c->inconsistent++ && !c->unexpected) {
		snprintf(c->first_bad, sizeof(c->first_bad), "%s %d: %s", t->name, t->id, why);
		c->bad_text = strdup(text);
	}
	pthread_mutex_unlock(&c->lock);
}

static bool st_stopping(struct st_thread *t)
{
	return atomic_load(&t->ctx->stop);
}

static void st_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long st_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int st_rand(struct st_thread *t, int n)
{
	return rand_r(&t->seed) % n;
}

/* ---- checking what was read ---- */

static bool st_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * Something shaped like a kernel address or a hashed pointer: 16 or more
 * hex digits, or 0x and 8 or more (IPv6 groups have 4 at most).
 */
static bool st_has_address(const char *s)
{
	const char *p = s, *q;
	bool prefix;
	size_t run;

	while (*p) {
		prefix = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
		q = prefix ? p + 2 : p;
		run = strspn(q, "0123456789abcdefABCDEF");
		if (run >= 16 || (prefix && run >= 8))
			return true;
		p = q + (run ? run : 1);
	}
	return false;
}

static const char * const st_states[] = {
	"SYN-SENT", "SYN-RECV", "ESTAB", "FIN-WAIT-1", "FIN-WAIT-2",
	"CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT",
};

static bool st_state(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(st_states) / sizeof(st_states[0]); i++)
		if (!strcmp(s, st_states[i]))
			return true;
	return false;
}

/* The port of "a.b.c.d:P" (inet) or "[...]:P" (inet6), or -1. */
static int st_addr_port(const char *fam, const char *addr)
{
	const char *colon = strrchr(addr, ':');

	if (!colon || !st_digits(colon + 1, strlen(colon + 1)))
		return -1;
	if (!strcmp(fam, "inet6") && (addr[0] != '[' || colon[-1] != ']'))
		return -1;
	if (!strcmp(fam, "inet") && (addr[0] == '[' || strchr(addr, ']')))
		return -1;
	return atoi(colon + 1);
}

/* "family address state uid inode timer_ms": NULL or what is wrong. */
static const char *st_check_row(char *line)
{
	char fam[8], addr[64], state[16], uid[16], ino[24], timer[24], extra[2];
	int port;

	if (sscanf(line, "%7s %63s %15s %15s %23s %23s %1s", fam, addr, state, uid, ino,
		   timer, extra) != 6)
		return "a row without its 6 fields";
	if (strcmp(fam, "inet") && strcmp(fam, "inet6"))
		return "a row of an unknown family";
	port = st_addr_port(fam, addr);
	if (port < ST_SELF || port >= ST_SELF + ST_NSELF)
		return "a row on a port no self-connect of this namespace uses";
	if (!st_state(state))
		return "a row in a state the established hash cannot hold";
	if (!st_digits(uid, strlen(uid)) || !st_digits(ino, strlen(ino)))
		return "a row whose uid or inode is no number";
	/* a timer only for a timewait socket: TIME-WAIT or FIN-WAIT-2, no owner */
	if (!strcmp(timer, "-"))
		return strcmp(state, "TIME-WAIT") ? NULL : "a TIME-WAIT row without a timer";
	if (!st_digits(timer, strlen(timer)) || strcmp(ino, "0") || strcmp(uid, "0") ||
	    (strcmp(state, "TIME-WAIT") && strcmp(state, "FIN-WAIT-2")))
		return "a row whose timer does not fit its state";
	return NULL;
}

static const char * const st_sections[] = {
	"bhash", "bhash-owner", "bhash2", "bhash2-owner", "listener",
	"ehash-local", "ehash-remote", "verdict", "summary",
};

/* "port P SECTION ...": NULL or what is wrong. */
static const char *st_check_report_line(const char *line, int port)
{
	char sec[24];
	int p;
	size_t i;

	if (sscanf(line, "port %d %23s", &p, sec) != 2 || p != port)
		return "a report line of another port";
	for (i = 0; i < sizeof(st_sections) / sizeof(st_sections[0]); i++)
		if (!strcmp(sec, st_sections[i]))
			return NULL;
	return "a report line of an unknown section";
}

/*
 * A whole plain read (query < 0) or the report of one port: NULL if
 * consistent, or why not. Splits text into lines.
 */
static const char *st_check_split(char *text, int query)
{
	char *line, *save = NULL, *end = text + strlen(text);
	int rows, n = 0, port = query, last = 0, reports = 0;
	bool summary = true;
	const char *why;

	if (end == text || end[-1] != '\n')
		return "does not end with a newline";
	if (st_has_address(text))
		return "something shaped like a kernel address";
	line = strtok_r(text, "\n", &save);
	if (query < 0) {
		if (sscanf(line, "# selfconn v1 rows=%d ", &rows) != 1 ||
		    !strstr(line, " attempts=") || !strstr(line, " refused="))
			return "a bad header";
		line = strtok_r(NULL, "\n", &save);
		if (!line || strcmp(line, "# family address state uid inode timer_ms"))
			return "a bad column line";
		for (n = 0; n < rows; n++) {
			line = strtok_r(NULL, "\n", &save);
			if (!line || line[0] == '#')
				return "fewer rows than rows=N";
			why = st_check_row(line);
			if (why)
				return why;
		}
		line = strtok_r(NULL, "\n", &save);
	}
	for (; line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# port ", 7)) {
			if (!summary)
				return "a report without its summary";
			port = atoi(line + 7);
			if ((query >= 0 && (reports || port != query)) ||
			    (query < 0 && port <= last))
				return "reports not one per port in ascending order";
			last = port;
			reports++;
			summary = false;
			continue;
		}
		if (!reports)
			return "more rows than rows=N";
		why = st_check_report_line(line, port);
		if (why)
			return why;
		summary = !strncmp(strchr(line + 5, ' ') + 1, "summary ", 8);
	}
	if (!summary)
		return "the last report has no summary";
	if (query >= 0 && reports != 1)
		return "a query without its report";
	if (reports > 64)
		return "more than 64 reports";
	return NULL;
}

static const char *st_check(const char *text, int query)
{
	char *copy = strdup(text);
	const char *why = copy ? st_check_split(copy, query) : "out of memory";

	free(copy);
	return why;
}

/* ---- small socket helpers ---- */

/* kind 0: 127.0.0.1, 1: ::1, 2: ::ffff:127.0.0.1 */
static socklen_t st_addr(int kind, int port, struct sockaddr_storage *ss)
{
	static const char *const addr[] = { "127.0.0.1", "::1", "::ffff:127.0.0.1" };

	return sct_sockaddr(kind ? AF_INET6 : AF_INET, addr[kind], port, ss);
}

static int st_socket(int kind)
{
	struct timeval tv = { 1, 0 };
	int fd = socket(kind ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* What a busy loopback may answer. */
static bool st_net_errno(int err)
{
	return err == ECONNREFUSED || err == EADDRINUSE || err == EADDRNOTAVAIL ||
	       err == ETIMEDOUT || err == EINPROGRESS || err == EAGAIN ||
	       err == ECONNRESET || err == EPIPE || err == ENOBUFS;
}

static void st_net_fail(struct st_thread *t, const char *what, int err)
{
	if (!st_net_errno(err))
		st_unexpected(t, what, err);
}

/* A connected socket to kind:port, or -1 (errno set). */
static int st_connect(int kind, int port, int bind_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = st_socket(kind), err;

	if (fd < 0)
		return -1;
	if (bind_port) {
		len = st_addr(kind, bind_port, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len))
			goto fail;
	}
	len = st_addr(kind, port, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len))
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static int st_listen(int kind, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = st_addr(kind, port, &ss);
	int fd = st_socket(kind), err;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 512)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static void st_rst_close(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* ---- the threads ---- */

/* Accepts on ST_LISTEN, reads to EOF, closes. */
static void *st_acceptor(void *arg)
{
	struct st_thread *t = arg;
	int l = st_listen(0, ST_LISTEN), fd;
	char b[64];

	if (l < 0) {
		st_unexpected(t, "listen", errno);
		return NULL;
	}
	while (!st_stopping(t)) {
		struct pollfd p = { .fd = l, .events = POLLIN };

		if (poll(&p, 1, 100) != 1)
			continue;
		fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		st_add(t->ctx, C_ACCEPT);
		while (read(fd, b, sizeof(b)) > 0)
			;
		close(fd);
	}
	close(l);
	return NULL;
}

/* Connects, writes, closes first: the client ends in TIME-WAIT. */
static void *st_churn(void *arg)
{
	struct st_thread *t = arg;
	int fd;

	while (!st_stopping(t)) {
		fd = st_connect(0, ST_LISTEN, 0);
		if (fd < 0) {
			st_net_fail(t, "connect", errno);
			st_sleep_ms(5);
			continue;
		}
		st_add(t->ctx, C_CONNECT);
		if (write(fd, "x", 1) == 1)
			st_add(t->ctx, C_TIMEWAIT);
		close(fd);
		st_sleep_ms(1);	/* leave the readers some CPU */
	}
	return NULL;
}

/* Self-connects of the three kinds; some closed plainly (TIME-WAIT rows). */
static void *st_self(void *arg)
{
	struct st_thread *t = arg;
	int held[8] = { -1, -1, -1, -1, -1, -1, -1, -1 }, n = 0, fd, port, kind;

	while (!st_stopping(t)) {
		kind = n % 3;
		port = ST_SELF + st_rand(t, ST_NSELF);
		fd = st_connect(kind, port, port);
		if (fd < 0) {
			if (errno == ECONNREFUSED)
				st_add(t->ctx, C_SELF_REFUSED);
			else
				st_net_fail(t, "self-connect", errno);
		} else {
			st_add(t->ctx, C_SELF);
			if (held[n % 8] >= 0) {
				if (st_rand(t, 2))
					st_rst_close(held[n % 8]);
				else
					close(held[n % 8]);
			}
			held[n % 8] = fd;
		}
		n++;
		st_sleep_ms(2);
	}
	for (n = 0; n < 8; n++)
		if (held[n] >= 0)
			st_rst_close(held[n]);
	return NULL;
}

/* Listeners that accept one connection, then everything closes. */
static void *st_listeners(void *arg)
{
	struct st_thread *t = arg;
	int l, c, a, port, kind;

	while (!st_stopping(t)) {
		port = ST_LPORT + st_rand(t, 32);
		kind = st_rand(t, 2);
		l = st_listen(kind, port);
		if (l < 0) {
			st_net_fail(t, "listen", errno);
			st_sleep_ms(5);
			continue;
		}
		st_add(t->ctx, C_LISTENERS);
		c = st_connect(kind, port, 0);
		if (c >= 0) {
			a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
			if (a >= 0) {
				st_add(t->ctx, C_ACCEPT);
				close(a);
			}
			close(c);
		}
		close(l);
		st_sleep_ms(1);
	}
	return NULL;
}

/* Open the file: the descriptor, or -1 after waiting out an unload. */
static int st_open_proc(struct st_thread *t, int flags)
{
	int fd = open(ST_PROC, flags | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		st_sleep_ms(2);	/* the module is out */
	else
		st_unexpected(t, "open " ST_PROC, errno);
	return -1;
}

/*
 * Back to offset 0. lseek() on a file removed under its descriptor is
 * EINVAL (proc_reg_llseek()), not EIO: errno becomes EIO for the callers.
 */
static int st_seek0(int fd)
{
	if (!lseek(fd, 0, SEEK_SET))
		return 0;
	if (errno == EINVAL)
		errno = EIO;
	return -1;
}

/* A read from offset 0 to EOF in chunks of at most chunk bytes. */
static ssize_t st_read_all(int fd, char *buf, size_t size, size_t chunk)
{
	size_t len = 0;
	ssize_t n;

	if (st_seek0(fd))
		return -1;
	while (len < size - 1) {
		n = read(fd, buf + len, chunk < size - 1 - len ? chunk : size - 1 - len);
		if (n < 0)
			return -1;
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	return len;
}

/* A read error on a descriptor kept open: EIO after a reload, or unexpected. */
static void st_read_error(struct st_thread *t, int *fd, int err)
{
	if (err != EIO && err != ENOENT)
		st_unexpected(t, "read " ST_PROC, err);
	st_add(t->ctx, C_READ_ERR);
	close(*fd);
	*fd = -1;
}

/* id 0: full reads; 1: tiny reads (1 to 7 bytes); 2: port queries. */
static void *st_reader(void *arg)
{
	struct st_thread *t = arg;
	int fd = -1, port = 0;
	const char *why;
	ssize_t n;

	while (!st_stopping(t)) {
		if (fd < 0 && (fd = st_open_proc(t, t->id == 2 ? O_RDWR : O_RDONLY)) < 0)
			continue;
		if (t->id == 2) {
			char cmd[16];

			port = st_rand(t, 2) ? ST_SELF + st_rand(t, ST_NSELF) :
					       ST_LPORT + st_rand(t, 32);
			if (st_rand(t, 4) == 0)
				port = ST_LISTEN;
			snprintf(cmd, sizeof(cmd), "%d\n", port);
			/* at offset 0; no pwrite() on a seq_file (ESPIPE) */
			if (st_seek0(fd) || write(fd, cmd, strlen(cmd)) < 0) {
				st_read_error(t, &fd, errno);
				continue;
			}
		}
		n = st_read_all(fd, t->buf, ST_BUF, t->id == 1 ? 1 + st_rand(t, 7) : ST_BUF);
		if (n < 0) {
			st_read_error(t, &fd, errno);
			continue;
		}
		st_add(t->ctx, t->id == 0 ? C_READ : t->id == 1 ? C_TINY : C_QUERY);
		why = st_check(t->buf, t->id == 2 ? port : -1);
		if (why)
			st_inconsistent(t, why, t->buf);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Watch, unwatch, clear; one descriptor kept open across reloads. */
static void *st_writer(void *arg)
{
	struct st_thread *t = arg;
	int fd = -1, r, err;
	char cmd[16];

	while (!st_stopping(t)) {
		if (fd < 0 && (fd = st_open_proc(t, O_WRONLY)) < 0)
			continue;
		r = st_rand(t, 100);
		if (r == 0)
			snprintf(cmd, sizeof(cmd), "clear\n");
		else
			snprintf(cmd, sizeof(cmd), r < 50 ? "%d\n" : "-%d\n",
				 ST_WATCH + st_rand(t, ST_NWATCH));
		if (write(fd, cmd, strlen(cmd)) >= 0) {
			st_add(t->ctx, C_WATCH);
			continue;
		}
		err = errno;
		if (err == ENOENT || err == ENOSPC) {
			st_add(t->ctx, C_WATCH);
		} else if (err == EIO) {
			close(fd);
			fd = -1;
		} else {
			st_unexpected(t, "watch", err);
		}
		st_sleep_ms(1);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* 0, or an errno that is fine while the module comes and goes. */
static int st_write_sysctl(struct st_thread *t, const char *val)
{
	int fd = open(ST_SYSCTL, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0) {
		err = errno;
	} else {
		if (write(fd, val, strlen(val)) < 0)
			err = errno;
		close(fd);
	}
	if (err && err != ENOENT)
		st_unexpected(t, "write " ST_SYSCTL, err);
	return err;
}

/* Toggles refuse (id 0: in the main namespace) and self-connects. */
static void *st_toggler(void *arg)
{
	struct st_thread *t = arg;
	int fd, i = 0;

	if (t->id && (sct_new_netns())) {
		st_unexpected(t, "own namespace", errno);
		return NULL;
	}
	while (!st_stopping(t)) {
		if (!st_write_sysctl(t, i++ & 1 ? "1\n" : "0\n"))
			st_add(t->ctx, C_TOGGLE);
		if (t->id) {
			fd = st_connect(t->id % 3, 18500, 18500);
			if (fd >= 0)
				st_rst_close(fd);
			else if (errno == ECONNREFUSED)
				st_add(t->ctx, C_REFUSED);
			else
				st_net_fail(t, "self-connect", errno);
		}
		st_sleep_ms(t->id ? 3 : 50);
	}
	return NULL;
}

/* One namespace, set up and dropped with its sockets and an open file. */
static void st_one_netns(struct st_thread *t)
{
	int l = -1, c = -1, a = -1, self = -1, pfd = -1, tw;
	char cmd[16];

	if (unshare(CLONE_NEWNET)) {
		if (errno != ENOMEM)
			st_unexpected(t, "unshare", errno);
		return;
	}
	st_add(t->ctx, C_NETNS);
	sct_lo_up();
	st_write_sysctl(t, st_rand(t, 2) ? "1\n" : "0\n");
	l = st_listen(1, 18600);
	c = l < 0 ? -1 : st_connect(2, 18600, 0);
	a = c < 0 ? -1 : accept4(l, NULL, NULL, SOCK_CLOEXEC);
	tw = st_connect(2, 18600, 0);
	if (tw >= 0)
		close(tw);	/* a client that closes first */
	self = st_connect(0, 18601, 18601);
	pfd = open(ST_PROC, O_WRONLY | O_CLOEXEC);
	if (pfd >= 0) {
		snprintf(cmd, sizeof(cmd), "%d\n", 18600 + st_rand(t, 2));
		if (write(pfd, cmd, strlen(cmd)) < 0 && errno != EIO)
			st_unexpected(t, "watch in a new namespace", errno);
	}
	if (setns(t->ctx->main_ns, CLONE_NEWNET))
		st_unexpected(t, "setns", errno);
	st_sleep_ms(st_rand(t, 20));
	/* the last reference goes with these: the namespace is torn down */
	if (self >= 0)
		close(self);
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	if (pfd >= 0)
		close(pfd);
}

static void *st_netns(void *arg)
{
	struct st_thread *t = arg;

	while (!st_stopping(t)) {
		st_one_netns(t);
		st_sleep_ms(10);
	}
	return NULL;
}

/* ---- the module ---- */

/*
 * refuse=1 in a namespace of its own keeps the kernel's nf_hooks_needed
 * static key on while the togglers come and go: multi-threaded QEMU TCG
 * can leave a vCPU looping on a jump label patched under it
 * (kprobe_int3_handler() retries an int3 its stale translation still
 * holds). A reload resets it, so the reloader sets it again.
 */
static void st_hold_hooks(struct st_thread *t)
{
	struct st_ctx *c = t->ctx;

	if (c->holder_ns < 0)
		return;
	if (setns(c->holder_ns, CLONE_NEWNET)) {
		st_unexpected(t, "setns", errno);
		return;
	}
	st_write_sysctl(t, "1\n");
	if (setns(c->main_ns, CLONE_NEWNET))
		st_unexpected(t, "setns", errno);
}

static void *st_reloader(void *arg)
{
	struct st_thread *t = arg;
	long start;
	int err;

	/*
	 * Thirteen busy threads share two slow CPUs (KASAN under TCG): the
	 * reloader would get a reload in 25 s. Ahead of them, it reloads as
	 * often as the kernel lets it.
	 */
	if (setpriority(PRIO_PROCESS, gettid(), -10))
		st_unexpected(t, "setpriority", errno);
	while (!st_stopping(t)) {
		st_sleep_ms(100 + st_rand(t, 300));
		start = st_now_ms();
		err = sct_module_unload();
		atomic_fetch_add(&t->ctx->count[C_UNLOAD_MS], st_now_ms() - start);
		if (err) {
			st_unexpected(t, "delete_module", -err);
			continue;
		}
		st_sleep_ms(st_rand(t, 50));
		start = st_now_ms();
		err = sct_module_load(t->ctx->ko, st_rand(t, 4) ? "" : "refuse_default=1");
		atomic_fetch_add(&t->ctx->count[C_LOAD_MS], st_now_ms() - start);
		if (err) {
			st_unexpected(t, "finit_module", -err);
			break;
		}
		st_add(t->ctx, C_RELOAD);
		st_hold_hooks(t);
	}
	return NULL;
}

/* ---- main ---- */

static void st_usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--seconds N]\n"
		"  Stress selfconn: connections, self-connects, readers, watch writes,\n"
		"  refuse toggles, namespaces and module reloads ($SELFCONN_KO), all at\n"
		"  once, for N seconds (default 15, or $SELFCONN_STRESS_SECONDS). TAP.\n",
		prog);
}

static int st_seconds(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("SELFCONN_STRESS_SECONDS");
	int secs = env && atoi(env) > 0 ? atoi(env) : 15, o;

	while ((o = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			secs = atoi(optarg);
			if (secs <= 0) {
				fprintf(stderr, "%s: --seconds: a positive number: %s\n", argv[0], optarg);
				exit(64);
			}
			break;
		case 'h':
			st_usage(stdout, argv[0]);
			exit(0);
		default:
			st_usage(stderr, argv[0]);
			exit(64);
		}
	}
	if (optind != argc) {
		st_usage(stderr, argv[0]);
		exit(64);
	}
	return secs;
}

struct st_role {
	const char *name;
	void *(*fn)(void *);
	int n;
};

static const struct st_role st_roles[] = {
	{ "acceptor", st_acceptor, 1 },
	{ "churn", st_churn, 2 },
	{ "self", st_self, 1 },
	{ "listeners", st_listeners, 1 },
	{ "reader", st_reader, 3 },
	{ "writer", st_writer, 1 },
	{ "toggler", st_toggler, ST_TOGGLERS },
	{ "netns", st_netns, 1 },
	{ "reloader", st_reloader, 1 },
};

#define ST_MAX_THREADS	16

/* Every part did something at least once (reloads only with a module). */
static bool st_all_ran(struct st_ctx *c)
{
	static const enum st_count parts[] = {
		C_CONNECT, C_SELF, C_READ, C_TINY, C_QUERY, C_WATCH, C_TOGGLE, C_NETNS,
	};
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!atomic_load(&c->count[parts[i]]))
			return false;
	return !c->ko || atomic_load(&c->count[C_RELOAD]);
}

static int st_tap(int *n, bool ok, const char *what)
{
	printf("%s %d %s\n", ok ? "ok" : "not ok", ++*n, what);
	return ok ? 0 : 1;
}

/* A final plain read, checked: NULL or why not. */
static const char *st_final_read(char *buf)
{
	int fd = open(ST_PROC, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return "cannot open " ST_PROC;
	n = st_read_all(fd, buf, ST_BUF, ST_BUF);
	close(fd);
	if (n < 0)
		return "cannot read " ST_PROC;
	return st_check(buf, -1);
}

int main(int argc, char **argv)
{
	static struct st_ctx ctx;
	struct st_thread th[ST_MAX_THREADS];
	int secs = st_seconds(argc, argv), nth = 0, i, k, t = 0, failed = 0;
	const char *why, *ko = getenv("SELFCONN_KO");
	char *final;
	size_t r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (geteuid() || access(ST_PROC, F_OK)) {
		printf("1..0 # SKIP needs root and selfconn.ko loaded\n");
		return 4;
	}
	ctx.ko = ko && *ko && !access(ko, R_OK) ? ko : NULL;
	pthread_mutex_init(&ctx.lock, NULL);
	if (sct_new_netns()) {
		printf("1..0 # SKIP no network namespace: %s\n", strerror(errno));
		return 4;
	}
	ctx.main_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ctx.holder_ns = -1;
	if (!unshare(CLONE_NEWNET)) {
		int fd = open(ST_SYSCTL, O_WRONLY | O_CLOEXEC);

		if (fd >= 0 && write(fd, "1\n", 2) == 2)
			ctx.holder_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		if (setns(ctx.main_ns, CLONE_NEWNET)) {
			printf("Bail out! setns: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("1..5\n# stress: %d s; module reloads: %s\n", secs,
	       ctx.ko ? ctx.ko : "none (SELFCONN_KO not set)");

	for (r = 0; r < sizeof(st_roles) / sizeof(st_roles[0]); r++) {
		if (st_roles[r].fn == st_reloader && !ctx.ko)
			continue;
		for (k = 0; k < st_roles[r].n; k++, nth++) {
			th[nth] = (struct st_thread){
				.ctx = &ctx, .id = k, .name = st_roles[r].name,
				.seed = 1 + nth, .buf = malloc(ST_BUF),
			};
			if (!th[nth].buf || pthread_create(&th[nth].tid, NULL, st_roles[r].fn, &th[nth])) {
				printf("Bail out! cannot start thread %s\n", st_roles[r].name);
				return 1;
			}
		}
	}
	sleep(secs);
	/* a slow kernel (KASAN under TCG) gets up to 3 times as long */
	for (i = 0; !st_all_ran(&ctx) && i < 3 * secs; i++)
		sleep(1);
	if (i)
		printf("# stress: %d s more until every part ran\n", i);
	secs += i;
	atomic_store(&ctx.stop, true);
	for (i = 0; i < nth; i++) {
		pthread_join(th[i].tid, NULL);
		free(th[i].buf);
	}

	printf("# stress:");
	for (k = 0; k < C_NR; k++)
		printf(" %s=%ld", st_count_names[k], atomic_load(&ctx.count[k]));
	printf(" seconds=%d threads=%d\n", secs, nth);

	failed |= st_tap(&t, !ctx.inconsistent,
			 "readers got consistent output or a clean error");
	if (ctx.inconsistent)
		printf("# %d inconsistent read(s); the first: %s\n# ---\n%s# ---\n",
		       ctx.inconsistent, ctx.first_bad, ctx.bad_text ? ctx.bad_text : "");
	failed |= st_tap(&t, !ctx.unexpected, "no call got an unexpected errno");
	if (ctx.unexpected)
		printf("# %d unexpected errno(s); the first: %s\n", ctx.unexpected, ctx.first_bad);
	failed |= st_tap(&t, st_all_ran(&ctx), "every part ran");

	/* the module unloads at the end, and comes back with its defaults */
	if (access(ST_PROC, F_OK) && ctx.ko)
		sct_module_load(ctx.ko, "");
	if (ctx.ko) {
		int err = sct_module_unload();

		failed |= st_tap(&t, !err, "the module unloads at the end");
		if (err)
			printf("# delete_module: %s\n", strerror(-err));
		err = sct_module_load(ctx.ko, "");
		if (err)
			printf("# finit_module: %s\n", strerror(-err));
	} else {
		printf("ok %d the module unloads at the end # SKIP SELFCONN_KO not set\n", ++t);
	}
	final = malloc(ST_BUF);
	why = final ? st_final_read(final) : "out of memory";
	failed |= st_tap(&t, !why, "a final read is consistent");
	if (why)
		printf("# final read: %s\n", why);
	free(final);
	return failed ? 1 : 0;
}
