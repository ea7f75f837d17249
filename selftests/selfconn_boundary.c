// SPDX-License-Identifier: GPL-2.0
/*
 * Privilege and namespace boundaries of /proc/selfconn and
 * net.selfconn.refuse, and no kernel address in anything selfconn prints.
 *
 * - uid 65534 reads both files and cannot write either; a descriptor keeps
 *   the rights of whoever opened /proc/selfconn, while the sysctl checks
 *   the writer.
 * - A process in a network namespace owned by a child user namespace (root
 *   there, uid 100000 outside) sets its own namespace's sysctl and watched
 *   ports, cannot touch the initial namespace's by any descriptor it holds,
 *   and sees none of the initial namespace's sockets in any row or report;
 *   the initial namespace sees none of its sockets either.
 * - Nothing read from /proc/selfconn, the sysctl, the module's parameters,
 *   the companion or the module's log lines looks like a kernel address.
 *
 * The namespace test works in the namespace the program starts in (the
 * initial one, in the lane); the others in fresh ones. Needs root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define BD_PROC		"/proc/selfconn"
#define BD_SYSCTL	"/proc/sys/net/selfconn/refuse"
#define BD_PARAMS	"/sys/module/selfconn/parameters"
#define BD_TIMEOUT	120	/* seconds per test: QEMU without KVM, KASAN */
#define BD_NOBODY	65534
#define BD_OUTSIDE	100000	/* the child user namespace's uid/gid 0 */
#define BD_TEXT		32768

/* Ports of the initial namespace's sockets; the child reuses BD_SELF4. */
#define BD_SELF4	18130
#define BD_SELF6	18131
#define BD_LISTEN	18132
#define BD_TW		18133
#define BD_WATCH	18134	/* watched nowhere before the tests */

/* ---- small helpers (no ASSERT: children use them too) ---- */

/* Read fd from its offset to EOF into buf (NUL-terminated): 0 or errno. */
static int bd_read_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			buf[len] = '\0';
			return errno;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	return 0;
}

/* The whole of a file: 0 or errno (of open or read). */
static int bd_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	buf[0] = '\0';
	if (fd < 0)
		return errno;
	err = bd_read_fd(fd, buf, size);
	close(fd);
	return err;
}

/* One write() on fd: 0 or errno. */
static int bd_write_fd(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : errno;
}

/* open + write + close: 0 or errno. */
static int bd_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;

	if (fd < 0)
		return errno;
	err = bd_write_fd(fd, s);
	close(fd);
	return err;
}

/* A port query on a fresh read-write descriptor: 0 or errno. */
static int bd_query(int port, char *buf, size_t size)
{
	int fd = open(BD_PROC, O_RDWR | O_CLOEXEC), err;
	char cmd[16];

	buf[0] = '\0';
	if (fd < 0)
		return errno;
	snprintf(cmd, sizeof(cmd), "%d\n", port);
	err = bd_write_fd(fd, cmd);
	if (!err)
		err = bd_read_fd(fd, buf, size);
	close(fd);
	return err;
}

/*
 * Something shaped like a kernel address or a hashed pointer: a run of 16
 * or more hex digits, with or without 0x, or 0x and 8 or more. IPv6
 * groups have 4 at most, inodes and counters are short decimals.
 */
static const char *bd_kernel_address(const char *s)
{
	const char *p = s, *start;
	size_t run;

	while (*p) {
		start = p;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		for (run = 0; isxdigit((unsigned char)p[run]); run++)
			;
		if (run >= 16 || (p != start && run >= 8))
			return start;
		p += run ? run : 1;
	}
	return NULL;
}

/* The line of text that holds p, for a log. */
static const char *bd_line_at(const char *text, const char *p, char *buf, size_t size)
{
	const char *b = p, *e = strchr(p, '\n');

	while (b > text && b[-1] != '\n')
		b--;
	snprintf(buf, size, "%.*s", (int)((e ? e : p + strlen(p)) - b), b);
	return buf;
}

#define BD_NO_ADDRESS(text, what) do {						\
	const char *__a = bd_kernel_address(text);				\
	char __l[256];								\
										\
	EXPECT_EQ(NULL, __a)							\
		TH_LOG("%s: a kernel address? '%s'", what,			\
		       __a ? bd_line_at(text, __a, __l, sizeof(__l)) : "");	\
} while (0)

/* rows=N of a header, and whether N rows follow before any "# " line. */
static int bd_rows(const char *text)
{
	const char *p;
	int rows, n = 0;

	if (sscanf(text, "# selfconn v1 rows=%d", &rows) != 1)
		return -1;
	p = strchr(text, '\n');
	if (!p || strncmp(p + 1, "# family ", 9))
		return -1;
	p = strchr(p + 1, '\n');
	while (p && p[1] && p[1] != '#') {
		n++;
		p = strchr(p + 1, '\n');
	}
	return n == rows ? rows : -1;
}

static unsigned long bd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static int bd_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return fd;
}

static socklen_t bd_addr(int family, int port, struct sockaddr_storage *ss)
{
	return sct_sockaddr(family, family == AF_INET6 ? "::1" : "127.0.0.1", port, ss);
}

/* A socket connected to itself on loopback port: fd or -1. */
static int bd_self_connect(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = bd_addr(family, port, &ss);
	int fd = bd_socket(family);

	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) ||
	    connect(fd, (struct sockaddr *)&ss, len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The same on ::ffff:127.0.0.1, an IPv4-mapped AF_INET6 socket. */
static int bd_self_connect_mapped(int port)
{
	struct sockaddr_in6 a = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
	};
	int fd = bd_socket(AF_INET6);

	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a.sin6_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int bd_listener(int port)
{
	struct sockaddr_storage ss;
	socklen_t len = bd_addr(AF_INET, port, &ss);
	int fd = bd_socket(AF_INET);

	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int bd_connect(int port)
{
	struct sockaddr_storage ss;
	socklen_t len = bd_addr(AF_INET, port, &ss);
	int fd = bd_socket(AF_INET);

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ---- the sockets of a namespace ---- */

#define BD_NSOCK	6

struct bd_sockets {
	int fd[BD_NSOCK];
	unsigned long ino[BD_NSOCK];
};

/*
 * Self-connects on BD_SELF4 (v4) and BD_SELF6 (v6), a listener on BD_LISTEN
 * with a client and the accepted socket, and a listener on BD_TW whose
 * one connection ended with the client in TIME-WAIT. 0 or -1.
 */
static int bd_make_sockets(struct bd_sockets *s)
{
	int l, c, a, i;
	char b;

	s->fd[0] = bd_self_connect(AF_INET, BD_SELF4);
	s->fd[1] = bd_self_connect(AF_INET6, BD_SELF6);
	l = s->fd[2] = bd_listener(BD_LISTEN);
	s->fd[3] = l < 0 ? -1 : bd_connect(BD_LISTEN);
	s->fd[4] = s->fd[3] < 0 ? -1 : accept4(l, NULL, NULL, SOCK_CLOEXEC);
	l = s->fd[5] = bd_listener(BD_TW);
	c = l < 0 ? -1 : bd_connect(BD_TW);
	a = c < 0 ? -1 : accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		return -1;
	close(c);		/* the client closes first: TIME-WAIT */
	if (read(a, &b, 1) != 0)
		return -1;
	close(a);
	for (i = 0; i < BD_NSOCK; i++) {
		if (s->fd[i] < 0)
			return -1;
		s->ino[i] = bd_ino(s->fd[i]);
	}
	return 0;
}

static void bd_close_sockets(struct bd_sockets *s)
{
	int i;

	for (i = 0; i < BD_NSOCK; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
}

/* Whether text names inode ino as a row's inode or an inode= field. */
static bool bd_names_inode(const char *text, unsigned long ino)
{
	char f1[32];
	const char *p;

	snprintf(f1, sizeof(f1), "inode=%lu", ino);
	for (p = strstr(text, f1); p; p = strstr(p + 1, f1))
		if (!isdigit((unsigned char)p[strlen(f1)]))
			return true;
	/* rows: "family address state uid inode timer" */
	for (p = text; p; p = strchr(p, '\n')) {
		char fam[8], addr[64], state[16];
		unsigned long uid, rino;

		p += *p == '\n';
		if (sscanf(p, "%7s %63s %15s %lu %lu", fam, addr, state, &uid, &rino) == 5 &&
		    (!strcmp(fam, "inet") || !strcmp(fam, "inet6")) && rino == ino)
			return true;
	}
	return false;
}

/* A report of a port no socket of the reader's namespace holds. */
static bool bd_report_empty(const char *text, int port)
{
	char want[160];

	snprintf(want, sizeof(want), "port %d bhash none\n", port);
	if (!strstr(text, want))
		return false;
	snprintf(want, sizeof(want),
		 "port %d summary bhash_owners=0 bhash2_buckets=0 listeners=0 ehash_local=0 ehash_remote=0 timewait=0\n",
		 port);
	return strstr(text, want);
}

/* ---- child processes: results through shared memory ---- */

struct bd_child {
	int step;		/* the first check that failed, 0 if none */
	int err;		/* its errno */
	char why[160];
	char text[BD_TEXT];	/* the last file read, for the logs and the scan */
	char all[4 * BD_TEXT];	/* everything read, for the address scan */
	unsigned long own_ino;	/* the child's self-connect */
	int ready[2], go[2];	/* child -> parent, parent -> child */
};

#define BD_FAIL(c, n, ...) do {							\
	(c)->step = (n);							\
	(c)->err = errno;							\
	snprintf((c)->why, sizeof((c)->why), __VA_ARGS__);			\
	return;									\
} while (0)

static void bd_keep(struct bd_child *c)
{
	size_t used = strlen(c->all);

	snprintf(c->all + used, sizeof(c->all) - used, "%s", c->text);
}

static struct bd_child *bd_shared(void)
{
	struct bd_child *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (c == MAP_FAILED)
		return NULL;
	memset(c, 0, sizeof(*c));
	if (pipe2(c->ready, O_CLOEXEC) || pipe2(c->go, O_CLOEXEC))
		return NULL;
	return c;
}

static void bd_log_child(struct __test_metadata *_metadata, const struct bd_child *c)
{
	if (c->step)
		TH_LOG("child: step %d: %s (errno %s); last read:\n%s", c->step, c->why,
		       strerror(c->err), c->text);
}

static int bd_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- uid 65534 ---- */

static int bd_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(BD_NOBODY, BD_NOBODY, BD_NOBODY) ||
	    setresuid(BD_NOBODY, BD_NOBODY, BD_NOBODY))
		return -1;
	return 0;
}

/*
 * As nobody: both files read (the listing with its rows and the report of
 * BD_WATCH, the sysctl's value), neither written; a query works.
 * wo_root is /proc/selfconn opened write-only by root, sc_root the sysctl.
 */
static void bd_nobody_child(struct bd_child *c, int wo_root, int sc_root, unsigned long self_ino)
{
	int fd, err;
	char want[64];

	if (bd_nobody())
		BD_FAIL(c, 1, "setresuid(%d)", BD_NOBODY);
	err = bd_read(BD_PROC, c->text, sizeof(c->text));
	bd_keep(c);
	if (err)
		BD_FAIL(c, 2, "read %s: %s", BD_PROC, strerror(err));
	if (bd_rows(c->text) != 1 || !bd_names_inode(c->text, self_ino))
		BD_FAIL(c, 3, "the listing lacks the self-connect row");
	snprintf(want, sizeof(want), "# port %d\n", BD_WATCH);
	if (!strstr(c->text, want))
		BD_FAIL(c, 4, "the listing lacks the watched port's report");
	err = bd_read(BD_SYSCTL, c->text, sizeof(c->text));
	bd_keep(c);
	if (err || strcmp(c->text, "1\n"))
		BD_FAIL(c, 5, "read %s: %s", BD_SYSCTL, strerror(err));

	/* the watch commands: the file opens (0666), the write is EPERM */
	fd = open(BD_PROC, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		BD_FAIL(c, 6, "open %s write-only", BD_PROC);
	if (bd_write_fd(fd, "18135\n") != EPERM || bd_write_fd(fd, "-18134\n") != EPERM ||
	    bd_write_fd(fd, "clear\n") != EPERM)
		BD_FAIL(c, 7, "a watch command as nobody was not EPERM");
	close(fd);
	/* root's descriptor keeps root's rights: checked against the opener */
	if (bd_write_fd(wo_root, "18136\n"))
		BD_FAIL(c, 8, "root's write-only descriptor, written by nobody");
	/* the sysctl: mode 0644 stops the open; root's descriptor, the writer */
	if (open(BD_SYSCTL, O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		BD_FAIL(c, 9, "open %s for writing as nobody: not EACCES", BD_SYSCTL);
	if (open(BD_SYSCTL, O_RDWR | O_CLOEXEC) >= 0 || errno != EACCES)
		BD_FAIL(c, 10, "open %s read-write as nobody: not EACCES", BD_SYSCTL);
	if (bd_write_fd(sc_root, "0\n") != EPERM)
		BD_FAIL(c, 11, "root's sysctl descriptor, written by nobody: not EPERM");
	/* a query needs nothing */
	err = bd_query(BD_WATCH, c->text, sizeof(c->text));
	bd_keep(c);
	if (err || strncmp(c->text, "# port 18134\n", 13))
		BD_FAIL(c, 12, "query as nobody: %s", strerror(err));
}

FIXTURE(boundary) {
	bool skipped;
};

FIXTURE_SETUP(boundary)
{
	if (geteuid()) {
		self->skipped = true;
		SKIP(return, "needs root (setuid, namespaces)");
	}
	ASSERT_EQ(0, access(BD_PROC, F_OK)) TH_LOG("load selfconn.ko first");
}

FIXTURE_TEARDOWN(boundary)
{
}

#define BD_BEGIN() do { if (self->skipped) return; } while (0)

/* The watched ports of the reader's namespace, as "P P ...". */
static void bd_watched(char *out, size_t size)
{
	static char text[BD_TEXT];
	const char *p;
	size_t o = 0;

	out[0] = '\0';
	if (bd_read(BD_PROC, text, sizeof(text)))
		return;
	for (p = strstr(text, "\n# port "); p; p = strstr(p + 1, "\n# port "))
		o += snprintf(out + o, size - o, "%s%d", o ? " " : "", atoi(p + 8));
}

TEST_F_TIMEOUT(boundary, nobody_reads_never_writes, BD_TIMEOUT)
{
	struct bd_child *c;
	char watched[256];
	int selfc, wo_root, sc_root, seteuid_fd;
	pid_t pid;

	BD_BEGIN();
	ASSERT_EQ(0, sct_new_netns()) TH_LOG("new netns: %s", strerror(errno));
	ASSERT_EQ(0, bd_write(BD_PROC, "18134\n"));
	ASSERT_EQ(0, bd_write(BD_SYSCTL, "1\n"));
	ASSERT_EQ(0, bd_write(BD_SYSCTL, "0\n"));	/* a self-connect first */
	selfc = bd_self_connect(AF_INET, BD_SELF4);
	ASSERT_LE(0, selfc);
	ASSERT_EQ(0, bd_write(BD_SYSCTL, "1\n"));
	wo_root = open(BD_PROC, O_WRONLY | O_CLOEXEC);
	sc_root = open(BD_SYSCTL, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wo_root);
	ASSERT_LE(0, sc_root);
	c = bd_shared();
	ASSERT_NE(NULL, c);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		bd_nobody_child(c, wo_root, sc_root, bd_ino(selfc));
		_exit(0);
	}
	ASSERT_EQ(0, bd_wait(pid));
	bd_log_child(_metadata, c);
	EXPECT_EQ(0, c->step);
	BD_NO_ADDRESS(c->all, "read as nobody");

	/* nothing changed but what root's descriptor did */
	bd_watched(watched, sizeof(watched));
	EXPECT_STREQ("18134 18136", watched);
	EXPECT_EQ(0, bd_read(BD_SYSCTL, c->text, sizeof(c->text)));
	EXPECT_STREQ("1\n", c->text);

	/* the same process, root again: a descriptor nobody opened stays EPERM */
	ASSERT_EQ(0, setresuid(-1, BD_NOBODY, -1));
	seteuid_fd = open(BD_PROC, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, seteuid_fd);
	ASSERT_EQ(0, setresuid(-1, 0, -1));
	EXPECT_EQ(EPERM, bd_write_fd(seteuid_fd, "18137\n"));
	EXPECT_EQ(0, bd_write_fd(wo_root, "-18136\n"));
	bd_watched(watched, sizeof(watched));
	EXPECT_STREQ("18134", watched);
	close(seteuid_fd);
	close(wo_root);
	close(sc_root);
	close(selfc);
}

/* ---- a child user namespace and its network namespace ---- */

struct bd_fds {
	int wo_init;	/* /proc/selfconn, write-only, opened in the child user ns */
	int sc_init;	/* the initial namespace's sysctl, opened by real root */
	int ns_init;	/* /proc/self/ns/net of the initial namespace */
};

static int bd_map(pid_t pid, const char *file, const char *map)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return bd_write(path, map);
}

/*
 * In its own user namespace (root there is uid BD_OUTSIDE outside) and
 * then its own network namespace: everything of the initial namespace is
 * out of reach, its own is its to set, and none of the initial
 * namespace's sockets show.
 */
static void bd_userns_child(struct bd_child *c, struct bd_fds *f,
			    const struct bd_sockets *init)
{
	static const int ports[] = { BD_SELF4, BD_SELF6, BD_LISTEN, BD_TW };
	char cmd[16], b;
	int own, i, err;

	if (unshare(CLONE_NEWUSER))
		BD_FAIL(c, 1, "unshare(CLONE_NEWUSER)");
	if (write(c->ready[1], "u", 1) != 1 || read(c->go[0], &b, 1) != 1)
		BD_FAIL(c, 2, "sync");
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		BD_FAIL(c, 3, "become root of the user namespace");
	/* still in the initial network namespace, without rights over it */
	f->wo_init = open(BD_PROC, O_WRONLY | O_CLOEXEC);
	if (f->wo_init < 0)
		BD_FAIL(c, 4, "open %s write-only", BD_PROC);
	if (open(BD_SYSCTL, O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		BD_FAIL(c, 5, "open the initial sysctl for writing: not EACCES");
	if (sct_new_netns())
		BD_FAIL(c, 6, "unshare(CLONE_NEWNET)");

	/* the initial namespace: every way in is closed */
	if (bd_write_fd(f->wo_init, "18135\n") != EPERM ||
	    bd_write_fd(f->wo_init, "clear\n") != EPERM ||
	    bd_write_fd(f->wo_init, "-18132\n") != EPERM)
		BD_FAIL(c, 7, "a watch command on the initial namespace: not EPERM");
	if (bd_write_fd(f->sc_init, "1\n") != EPERM)
		BD_FAIL(c, 8, "the initial sysctl, by a descriptor root opened: not EPERM");
	if (!setns(f->ns_init, CLONE_NEWNET) || errno != EPERM)
		BD_FAIL(c, 9, "setns() into the initial namespace: not EPERM");

	/* its own namespace */
	if (bd_write(BD_SYSCTL, "1\n") || bd_read(BD_SYSCTL, c->text, sizeof(c->text)) ||
	    strcmp(c->text, "1\n"))
		BD_FAIL(c, 10, "set its own sysctl");
	if (bd_write(BD_SYSCTL, "0\n"))
		BD_FAIL(c, 11, "set its own sysctl back");
	own = bd_self_connect(AF_INET, BD_SELF4);
	if (own < 0)
		BD_FAIL(c, 12, "its own self-connect on %d", BD_SELF4);
	c->own_ino = bd_ino(own);
	for (i = 0; i < 4; i++) {
		snprintf(cmd, sizeof(cmd), "%d\n", ports[i]);
		if (bd_write(BD_PROC, cmd))
			BD_FAIL(c, 13, "watch %d in its own namespace", ports[i]);
	}

	/* what it sees: its own row and socket, nothing of the initial ones */
	err = bd_read(BD_PROC, c->text, sizeof(c->text));
	bd_keep(c);
	if (err || bd_rows(c->text) != 1 || !bd_names_inode(c->text, c->own_ino))
		BD_FAIL(c, 14, "its listing is not its one self-connect");
	for (i = 0; i < BD_NSOCK; i++)
		if (bd_names_inode(c->text, init->ino[i]))
			BD_FAIL(c, 15, "an initial namespace socket (inode %lu) shows",
				init->ino[i]);
	for (i = 1; i < 4; i++) {
		snprintf(cmd, sizeof(cmd), "# port %d\n", ports[i]);
		if (!strstr(c->text, cmd) || !bd_report_empty(strstr(c->text, cmd), ports[i]))
			BD_FAIL(c, 16, "the report of %d is not empty", ports[i]);
	}
	for (i = 0; i < 4; i++) {
		err = bd_query(ports[i], c->text, sizeof(c->text));
		bd_keep(c);
		if (err)
			BD_FAIL(c, 17, "query %d", ports[i]);
		if (i && !bd_report_empty(c->text, ports[i]))
			BD_FAIL(c, 18, "the query of %d is not empty", ports[i]);
		for (int k = 0; k < BD_NSOCK; k++)
			if (bd_names_inode(c->text, init->ino[k]))
				BD_FAIL(c, 19, "query %d shows an initial socket", ports[i]);
	}
	/* the parent looks from the initial namespace, then lets it go */
	if (write(c->ready[1], "r", 1) != 1 || read(c->go[0], &b, 1) != 1)
		BD_FAIL(c, 20, "sync");
	close(own);
}

TEST_F_TIMEOUT(boundary, child_userns_netns, BD_TIMEOUT)
{
	struct bd_sockets init;
	struct bd_fds *f;
	struct bd_child *c;
	char before[256], after[256], text[BD_TEXT], map[64], b;
	int refuse, i, st;
	pid_t pid;

	BD_BEGIN();
	ASSERT_EQ(0, bd_make_sockets(&init)) TH_LOG("sockets: %s", strerror(errno));
	ASSERT_EQ(0, bd_write(BD_PROC, "18130\n"));
	ASSERT_EQ(0, bd_write(BD_PROC, "18132\n"));
	bd_watched(before, sizeof(before));
	ASSERT_EQ(0, bd_read(BD_SYSCTL, text, sizeof(text)));
	refuse = atoi(text);

	c = bd_shared();
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, c);
	ASSERT_NE(MAP_FAILED, f);
	f->sc_init = open(BD_SYSCTL, O_WRONLY | O_CLOEXEC);
	f->ns_init = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, f->sc_init);
	ASSERT_LE(0, f->ns_init);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		bd_userns_child(c, f, &init);
		_exit(0);
	}
	/* root outside maps the child's root to BD_OUTSIDE */
	if (read(c->ready[0], &b, 1) == 1) {
		snprintf(map, sizeof(map), "0 %d 65536\n", BD_OUTSIDE);
		EXPECT_EQ(0, bd_map(pid, "uid_map", map));
		EXPECT_EQ(0, bd_map(pid, "gid_map", map));
		EXPECT_EQ(1, write(c->go[1], "g", 1));
	}
	/* while the child's sockets and watches exist */
	if (read(c->ready[0], &b, 1) == 1) {
		ASSERT_EQ(0, bd_read(BD_PROC, text, sizeof(text)));
		BD_NO_ADDRESS(text, "the initial namespace's listing");
		EXPECT_LE(2, bd_rows(text)) TH_LOG("%s", text);
		EXPECT_TRUE(bd_names_inode(text, init.ino[0])) TH_LOG("%s", text);
		EXPECT_FALSE(bd_names_inode(text, c->own_ino))
			TH_LOG("the child's socket shows here:\n%s", text);
		for (i = 0; i < 4; i++) {
			EXPECT_EQ(0, bd_query(BD_SELF4 + i, text, sizeof(text)));
			EXPECT_FALSE(bd_names_inode(text, c->own_ino))
				TH_LOG("the child's socket shows in %d:\n%s", BD_SELF4 + i, text);
			BD_NO_ADDRESS(text, "a query in the initial namespace");
		}
		EXPECT_EQ(1, write(c->go[1], "g", 1));
	}
	st = bd_wait(pid);
	bd_log_child(_metadata, c);
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, c->step);
	BD_NO_ADDRESS(c->all, "read in the child namespaces");

	bd_watched(after, sizeof(after));
	EXPECT_STREQ(before, after);
	EXPECT_STREQ("18130 18132", after);
	ASSERT_EQ(0, bd_read(BD_SYSCTL, text, sizeof(text)));
	EXPECT_EQ(refuse, atoi(text));

	EXPECT_EQ(0, bd_write(BD_PROC, "-18130\n"));
	EXPECT_EQ(0, bd_write(BD_PROC, "-18132\n"));
	close(f->sc_init);
	close(f->ns_init);
	bd_close_sockets(&init);
}

/* ---- kernel addresses ---- */

/* Run argv, its stdout into buf: the exit status, or -1. */
static int bd_run(char *const argv[], char *buf, size_t size)
{
	int pfd[2], st;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	bd_read_fd(pfd[0], buf, size);
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Every section and every kind of row at once, then everything selfconn
 * prints: no kernel address anywhere. The scanner itself must find one.
 */
TEST_F_TIMEOUT(boundary, no_kernel_address, BD_TIMEOUT)
{
	static const int ports[] = { BD_SELF4, BD_SELF6, BD_LISTEN, BD_TW };
	static char text[4 * BD_TEXT];
	struct bd_sockets s;
	char path[128], *bin = getenv("SELFCONN_BIN");
	int i, fd, kfd;
	ssize_t n;

	BD_BEGIN();
	ASSERT_NE(NULL, bd_kernel_address("x 0xffff888004a1c000 y"));
	ASSERT_NE(NULL, bd_kernel_address("ffffffffc03d5000"));
	ASSERT_NE(NULL, bd_kernel_address("(0x00000000c0ffee12)"));
	ASSERT_EQ(NULL, bd_kernel_address("inet6 [::ffff:127.0.0.1]:18084 ESTAB 0 8301 -\n"));
	ASSERT_EQ(NULL, bd_kernel_address("[ffff:ffff:ffff:ffff::1]:80 inode=4294967295"));

	ASSERT_EQ(0, sct_new_netns()) TH_LOG("new netns: %s", strerror(errno));
	ASSERT_EQ(0, bd_make_sockets(&s));
	fd = bd_self_connect_mapped(18138);	/* closed: a TIME-WAIT row */
	ASSERT_LE(0, fd);
	close(fd);
	fd = bd_self_connect_mapped(18140);
	ASSERT_LE(0, fd);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%d\n", ports[i]);
		ASSERT_EQ(0, bd_write(BD_PROC, path));
	}
	/* a refused self-connect: counters and a log line */
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kfd);
	lseek(kfd, 0, SEEK_END);
	ASSERT_EQ(0, bd_write(BD_SYSCTL, "1\n"));
	EXPECT_GT(0, bd_self_connect(AF_INET, 18139));
	EXPECT_EQ(ECONNREFUSED, errno);

	ASSERT_EQ(0, bd_read(BD_PROC, text, sizeof(text)));
	EXPECT_LE(4, bd_rows(text)) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, " refused=1")) TH_LOG("%s", text);
	BD_NO_ADDRESS(text, BD_PROC);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, bd_query(ports[i], text, sizeof(text)));
		BD_NO_ADDRESS(text, "a query");
	}
	ASSERT_EQ(0, bd_read(BD_SYSCTL, text, sizeof(text)));
	BD_NO_ADDRESS(text, BD_SYSCTL);
	snprintf(path, sizeof(path), "%s/refuse_default", BD_PARAMS);
	EXPECT_EQ(0, bd_read(path, text, sizeof(text))) TH_LOG("%s", path);
	BD_NO_ADDRESS(text, path);
	text[0] = '\0';
	for (i = 0; (size_t)i < sizeof(text) - 4096; i += n) {
		n = read(kfd, text + i, 4095);
		if (n <= 0)
			break;
		text[i + n] = '\0';
	}
	close(kfd);
	EXPECT_NE(NULL, strstr(text, "selfconn: refused self-connect 127.0.0.1:18139"))
		TH_LOG("no log line:\n%s", text);
	BD_NO_ADDRESS(text, "the kernel log since the test began");

	if (bin && !access(bin, X_OK)) {
		for (i = 0; i < 4; i++) {
			char port[16];
			char *argv[] = { bin, "port", port, NULL, NULL };

			snprintf(port, sizeof(port), "%d", ports[i]);
			EXPECT_EQ(0, bd_run(argv, text, sizeof(text)));
			BD_NO_ADDRESS(text, "selfconn port");
			argv[3] = "--json";
			EXPECT_EQ(0, bd_run(argv, text, sizeof(text)));
			BD_NO_ADDRESS(text, "selfconn port --json");
		}
	} else {
		TH_LOG("SELFCONN_BIN not set: the companion is not scanned");
	}
	close(fd);
	bd_close_sockets(&s);
}

TEST_HARNESS_MAIN
