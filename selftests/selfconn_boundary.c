// SPDX-License-Identifier: GPL-2.0
/*
 * Privilege and namespace boundaries of /proc/selfconn and net.selfconn.refuse, and no kernel
 * address in anything selfconn prints. Needs root.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define BD_MAP		"0 100000 65536\n"	/* the child user namespace's uid/gid 0..65535 */

/* The initial namespace's ports, BD_NPORT from BD_SELF4; the child reuses BD_SELF4. */
#define BD_SELF4	18130
#define BD_SELF6	18131
#define BD_LISTEN	18132
#define BD_TW		18133
#define BD_NPORT	4
#define BD_WATCH	18134	/* watched nowhere before the tests */

/* No kernel address in text (read from what); else log the line that holds one. */
static void bd_no_address(struct __test_metadata *_metadata, const char *text, const char *what)
{
	const char *a = sct_kernel_address(text), *b = a;

	while (b && b > text && b[-1] != '\n')
		b--;
	EXPECT_EQ(NULL, a) TH_LOG("%s: a kernel address? '%.*s'", what, (int)strcspn(b, "\n"), b);
}

/* A report of a port no socket of the reader's namespace holds. */
static bool bd_report_empty(const struct sct_file *f, int port)
{
	const struct sct_report *r = sct_report_of(f, port);
	char want[160];

	snprintf(want, sizeof(want), "port %d summary bhash_owners=0 bhash2_buckets=0 listeners=0 "
		 "ehash_local=0 ehash_remote=0 timewait=0", port);
	return r && r->n >= 2 && !strcmp(r->lines[0].section, "bhash") &&
	       r->lines[0].npos == 1 && !strcmp(r->lines[0].pos[0], "none") &&
	       !strcmp(r->lines[r->n - 1].text, want);
}

/* ---- the sockets of a namespace ---- */

#define BD_NSOCK	6

struct bd_sockets {
	int fd[BD_NSOCK];
	unsigned long long ino[BD_NSOCK];
};

/*
 * Self-connects on BD_SELF4 and BD_SELF6, a listener on BD_LISTEN with a client and the
 * accepted socket, and a listener on BD_TW whose client ended in TIME-WAIT.
 */
static void bd_make_sockets(struct __test_metadata *_metadata, struct bd_sockets *s)
{
	int c, a, i;

	s->fd[0] = sct_t_self_connect(_metadata, AF_INET, "127.0.0.1", BD_SELF4, 0);
	s->fd[1] = sct_t_self_connect(_metadata, AF_INET6, "::1", BD_SELF6, 0);
	s->fd[2] = sct_t_listener(_metadata, AF_INET, "127.0.0.1", BD_LISTEN, SCT_REUSEADDR);
	s->fd[4] = sct_t_client(_metadata, s->fd[2], AF_INET, "127.0.0.1", BD_LISTEN, &s->fd[3]);
	s->fd[5] = sct_t_listener(_metadata, AF_INET, "127.0.0.1", BD_TW, SCT_REUSEADDR);
	a = sct_t_client(_metadata, s->fd[5], AF_INET, "127.0.0.1", BD_TW, &c);
	sct_t_close_pair(_metadata, c, a);	/* the client closes first: TIME-WAIT */
	for (i = 0; i < BD_NSOCK; i++)
		s->ino[i] = sct_inode(s->fd[i]);
}

static void bd_close_sockets(struct bd_sockets *s)
{
	int i;

	for (i = 0; i < BD_NSOCK; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
}

/* ---- uid 65534 ---- */

/*
 * As nobody: both files read (the listing's row and BD_WATCH's report, the sysctl), neither
 * written; a query works. wo_root, sc_root: /proc/selfconn and the sysctl root opened write-only.
 */
static void bd_nobody_child(struct sct_result *c, int wo_root, int sc_root,
			    unsigned long long self_ino)
{
	struct sct_file f = {};
	char *text;
	int fd, err;

	if (sct_become_nobody())
		SCT_FAIL(c, 1, "setresuid(%d)", SCT_NOBODY);
	err = sct_cat(&f);
	sct_keep(c, f.text);
	if (err)
		SCT_FAIL(c, 2, "read %s: %s", SCT_PROC, f.err[0] ? f.err : strerror(-err));
	if (f.nrows != 1 || !sct_names_inode(&f, self_ino))
		SCT_FAIL(c, 3, "the listing lacks the self-connect row");
	if (!sct_report_of(&f, BD_WATCH))
		SCT_FAIL(c, 4, "the listing lacks the watched port's report");
	err = sct_read_file(SCT_SYSCTL, &text);
	sct_keep(c, text);
	if (err || strcmp(text, "1\n"))
		SCT_FAIL(c, 5, "read %s: %s", SCT_SYSCTL, strerror(-err));

	/* the watch commands: the file opens (0666), the write is EPERM */
	fd = open(SCT_PROC, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		SCT_FAIL(c, 6, "open %s write-only", SCT_PROC);
	if (sct_write_fd(fd, "18135\n") != -EPERM || sct_write_fd(fd, "-18134\n") != -EPERM ||
	    sct_write_fd(fd, "clear\n") != -EPERM)
		SCT_FAIL(c, 7, "a watch command as nobody was not EPERM");
	close(fd);
	/* root's descriptor keeps root's rights: checked against the opener */
	if (sct_write_fd(wo_root, "18136\n"))
		SCT_FAIL(c, 8, "root's write-only descriptor, written by nobody");
	/* the sysctl: mode 0644 stops the open; root's descriptor, the writer */
	if (open(SCT_SYSCTL, O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		SCT_FAIL(c, 9, "open %s for writing as nobody: not EACCES", SCT_SYSCTL);
	if (open(SCT_SYSCTL, O_RDWR | O_CLOEXEC) >= 0 || errno != EACCES)
		SCT_FAIL(c, 10, "open %s read-write as nobody: not EACCES", SCT_SYSCTL);
	if (open(SCT_AUDIT, O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		SCT_FAIL(c, 13, "open %s for writing as nobody: not EACCES", SCT_AUDIT);
	if (sct_write_fd(sc_root, "0\n") != -EPERM)
		SCT_FAIL(c, 11, "root's sysctl descriptor, written by nobody: not EPERM");
	/* a query needs nothing */
	err = sct_query(BD_WATCH, &f);
	sct_keep(c, f.text);
	if (err)
		SCT_FAIL(c, 12, "query as nobody: %s", f.err[0] ? f.err : strerror(-err));
}

/* Each test in a new network namespace: "initial" below is that one. */
SCT_FIXTURE(boundary, false)

TEST_F_TIMEOUT(boundary, nobody_reads_never_writes, SCT_TIMEOUT)
{
	int selfc, wo_root, sc_root, seteuid_fd;
	char *text;
	struct sct_child ch;
	struct sct_result *c;

	ASSERT_EQ(0, sct_write_file(SCT_PROC, "18134\n"));
	ASSERT_EQ(0, sct_set_refuse(1));
	ASSERT_EQ(0, sct_set_refuse(0));	/* a self-connect first */
	selfc = sct_t_self_connect(_metadata, AF_INET, "127.0.0.1", BD_SELF4, 0);
	ASSERT_EQ(0, sct_set_refuse(1));
	wo_root = open(SCT_PROC, O_WRONLY | O_CLOEXEC);
	sc_root = open(SCT_SYSCTL, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wo_root);
	ASSERT_LE(0, sc_root);
	c = sct_t_fork(_metadata, &ch);
	if (!ch.pid) {
		bd_nobody_child(c, wo_root, sc_root, sct_inode(selfc));
		_exit(0);
	}
	sct_t_reap(_metadata, &ch, c);
	bd_no_address(_metadata, c->all, "read as nobody");

	/* nothing changed but what root's descriptor did */
	EXPECT_STREQ("18134 18136", SCT_WATCHED());
	EXPECT_EQ(0, sct_read_file(SCT_SYSCTL, &text));
	EXPECT_STREQ("1\n", text ? text : "");
	free(text);

	/* the same process, root again: a descriptor nobody opened stays EPERM */
	ASSERT_EQ(0, setresuid(-1, SCT_NOBODY, -1));
	seteuid_fd = open(SCT_PROC, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, seteuid_fd);
	ASSERT_EQ(0, setresuid(-1, 0, -1));
	EXPECT_EQ(-EPERM, sct_write_fd(seteuid_fd, "18137\n"));
	EXPECT_EQ(0, sct_write_fd(wo_root, "-18136\n"));
	EXPECT_STREQ("18134", SCT_WATCHED());
	close(seteuid_fd);
	close(wo_root);
	close(sc_root);
	close(selfc);
}

/* ---- a child user namespace and its network namespace ---- */

/*
 * In its own user namespace (root there is uid 100000 outside, BD_MAP) and then its own network
 * namespace: everything of the initial namespace (its sysctl sc_init, opened by real root; its
 * netns ns_init) is out of reach, its own is its to set, and none of the initial sockets show.
 */
static void bd_userns_child(struct sct_result *c, struct sct_child *ch, int sc_init, int ns_init,
			    const struct bd_sockets *init)
{
	struct sct_file r = {};
	int own, i, k, err, wo_init;
	char cmd[16], *text;

	err = sct_enter_userns(ch);
	if (err)
		SCT_FAIL(c, 1, "unshare(CLONE_NEWUSER), mapped: %s", strerror(-err));
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		SCT_FAIL(c, 3, "become root of the user namespace");
	/* still in the initial network namespace, without rights over it */
	wo_init = open(SCT_PROC, O_WRONLY | O_CLOEXEC);
	if (wo_init < 0)
		SCT_FAIL(c, 4, "open %s write-only", SCT_PROC);
	if (open(SCT_SYSCTL, O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES ||
	    open(SCT_AUDIT, O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		SCT_FAIL(c, 5, "open the initial sysctls for writing: not EACCES");
	if (sct_new_netns())
		SCT_FAIL(c, 6, "unshare(CLONE_NEWNET)");

	/* the initial namespace: every way in is closed */
	if (sct_write_fd(wo_init, "18135\n") != -EPERM ||
	    sct_write_fd(wo_init, "clear\n") != -EPERM ||
	    sct_write_fd(wo_init, "-18132\n") != -EPERM)
		SCT_FAIL(c, 7, "a watch command on the initial namespace: not EPERM");
	if (sct_write_fd(sc_init, "1\n") != -EPERM)
		SCT_FAIL(c, 8, "the initial sysctl, by a descriptor root opened: not EPERM");
	if (!setns(ns_init, CLONE_NEWNET) || errno != EPERM)
		SCT_FAIL(c, 9, "setns() into the initial namespace: not EPERM");

	/* its own namespace */
	if (sct_set_refuse(1) || sct_read_file(SCT_SYSCTL, &text) || strcmp(text, "1\n"))
		SCT_FAIL(c, 10, "set its own sysctl");
	if (sct_set_refuse(0))
		SCT_FAIL(c, 11, "set its own sysctl back");
	if (sct_write_file(SCT_AUDIT, "1\n") || sct_read_long(SCT_AUDIT) != 1 ||
	    sct_write_file(SCT_AUDIT, "0\n"))
		SCT_FAIL(c, 21, "set its own audit and back");
	own = sct_self_connect(AF_INET, "127.0.0.1", BD_SELF4, SCT_REUSEADDR);
	if (own < 0)
		SCT_FAIL(c, 12, "its own self-connect on %d", BD_SELF4);
	c->val[0] = sct_inode(own);
	for (i = 0; i < BD_NPORT; i++) {
		snprintf(cmd, sizeof(cmd), "%d\n", BD_SELF4 + i);
		if (sct_write_file(SCT_PROC, cmd))
			SCT_FAIL(c, 13, "watch %d in its own namespace", BD_SELF4 + i);
	}

	/* what it sees: its own row and socket, nothing of the initial ones */
	err = sct_cat(&r);
	sct_keep(c, r.text);
	if (err || r.nrows != 1 || !sct_names_inode(&r, c->val[0]))
		SCT_FAIL(c, 14, "its listing is not its one self-connect");
	for (i = 0; i < BD_NSOCK; i++)
		if (sct_names_inode(&r, init->ino[i]))
			SCT_FAIL(c, 15, "an initial namespace socket (inode %llu) shows",
				init->ino[i]);
	for (i = 1; i < BD_NPORT; i++)
		if (!bd_report_empty(&r, BD_SELF4 + i))
			SCT_FAIL(c, 16, "the report of %d is not empty", BD_SELF4 + i);
	for (i = 0; i < BD_NPORT; i++) {
		err = sct_query(BD_SELF4 + i, &r);
		sct_keep(c, r.text);
		if (err)
			SCT_FAIL(c, 17, "query %d", BD_SELF4 + i);
		if (i && !bd_report_empty(&r, BD_SELF4 + i))
			SCT_FAIL(c, 18, "the query of %d is not empty", BD_SELF4 + i);
		for (k = 0; k < BD_NSOCK; k++)
			if (sct_names_inode(&r, init->ino[k]))
				SCT_FAIL(c, 19, "query %d shows an initial socket", BD_SELF4 + i);
	}
	/* the parent looks from the initial namespace, then lets it go */
	if (sct_send(ch->from[1], 'r') || sct_recv(ch->to[0]) != 'g')
		SCT_FAIL(c, 20, "sync");
	close(own);
}

TEST_F_TIMEOUT(boundary, child_userns_netns, SCT_TIMEOUT)
{
	struct sct_file f = {};
	struct bd_sockets init;
	struct sct_child ch;
	struct sct_result *c;
	int refuse, i, sc_init, ns_init;

	bd_make_sockets(_metadata, &init);
	ASSERT_EQ(0, sct_write_file(SCT_PROC, "18130\n"));
	ASSERT_EQ(0, sct_write_file(SCT_PROC, "18132\n"));
	EXPECT_STREQ("18130 18132", SCT_WATCHED());
	refuse = sct_read_long(SCT_SYSCTL);
	ASSERT_LE(0, refuse);

	sc_init = open(SCT_SYSCTL, O_WRONLY | O_CLOEXEC);
	ns_init = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, sc_init);
	ASSERT_LE(0, ns_init);

	c = sct_t_fork(_metadata, &ch);
	if (!ch.pid) {
		bd_userns_child(c, &ch, sc_init, ns_init, &init);
		_exit(0);
	}
	EXPECT_EQ(0, sct_map_userns(&ch, BD_MAP, true));
	/* while the child's sockets and watches exist */
	if (sct_recv(ch.from[0]) == 'r') {
		ASSERT_EQ(0, sct_cat(&f)) TH_LOG("%s", f.err);
		bd_no_address(_metadata, f.text, "the initial namespace's listing");
		EXPECT_LE(2, f.nrows) TH_LOG("%s", f.text);
		EXPECT_TRUE(sct_names_inode(&f, init.ino[0])) TH_LOG("%s", f.text);
		EXPECT_FALSE(sct_names_inode(&f, c->val[0]))
			TH_LOG("the child's socket shows here:\n%s", f.text);
		for (i = 0; i < BD_NPORT; i++) {
			EXPECT_EQ(0, sct_query(BD_SELF4 + i, &f));
			EXPECT_FALSE(sct_names_inode(&f, c->val[0]))
				TH_LOG("the child's socket shows in %d:\n%s", BD_SELF4 + i, f.text);
			bd_no_address(_metadata, f.text, "a query in the initial namespace");
		}
		EXPECT_EQ(0, sct_send(ch.to[1], 'g'));
	}
	sct_t_reap(_metadata, &ch, c);
	bd_no_address(_metadata, c->all, "read in the child namespaces");

	EXPECT_STREQ("18130 18132", SCT_WATCHED());
	EXPECT_EQ(refuse, sct_read_long(SCT_SYSCTL));

	EXPECT_EQ(0, sct_write_file(SCT_PROC, "-18130\n"));
	EXPECT_EQ(0, sct_write_file(SCT_PROC, "-18132\n"));
	close(sc_init);
	close(ns_init);
	bd_close_sockets(&init);
	sct_file_free(&f);
}

/* ---- kernel addresses ---- */

/*
 * Every section and every kind of row at once, then everything selfconn
 * prints: no kernel address anywhere. The scanner itself must find one.
 */
TEST_F_TIMEOUT(boundary, no_kernel_address, SCT_TIMEOUT)
{
	static const char * const params[] = { SCT_SYSCTL, SCT_PARAMS "/refuse_default" };
	static char text[4 * SCT_TEXT];
	const char *bin = sct_companion();
	char path[128], *out;
	struct sct_file f = {};
	struct bd_sockets s;
	int i, fd, kfd;

	ASSERT_NE(NULL, sct_kernel_address("x 0xffff888004a1c000 y"));
	ASSERT_NE(NULL, sct_kernel_address("ffffffffc03d5000"));
	ASSERT_NE(NULL, sct_kernel_address("(0x00000000c0ffee12)"));
	ASSERT_EQ(NULL, sct_kernel_address("inet6 [::ffff:127.0.0.1]:18084 ESTAB 0 8301 -\n"));
	ASSERT_EQ(NULL, sct_kernel_address("[ffff:ffff:ffff:ffff::1]:80 inode=4294967295"));

	bd_make_sockets(_metadata, &s);
	/* IPv4-mapped AF_INET6 self-connects; the first closed: a TIME-WAIT row */
	close(sct_t_self_connect(_metadata, AF_INET6, "::ffff:127.0.0.1", 18138, 0));
	fd = sct_t_self_connect(_metadata, AF_INET6, "::ffff:127.0.0.1", 18140, 0);
	for (i = 0; i < BD_NPORT; i++) {
		snprintf(path, sizeof(path), "%d\n", BD_SELF4 + i);
		ASSERT_EQ(0, sct_write_file(SCT_PROC, path));
	}
	/* a refused self-connect: counters and a log line */
	kfd = sct_kmsg_open();
	ASSERT_LE(0, kfd) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ASSERT_EQ(0, sct_set_refuse(1));
	EXPECT_EQ(-ECONNREFUSED, sct_self_connect(AF_INET, "127.0.0.1", 18139, SCT_REUSEADDR));

	ASSERT_EQ(0, sct_cat(&f)) TH_LOG("%s", f.err);
	EXPECT_LE(4, f.nrows) TH_LOG("%s", f.text);
	EXPECT_EQ(1, f.refused) TH_LOG("%s", f.text);
	bd_no_address(_metadata, f.text, SCT_PROC);
	for (i = 0; i < BD_NPORT; i++) {
		ASSERT_EQ(0, sct_query(BD_SELF4 + i, &f)) TH_LOG("%s", f.err);
		bd_no_address(_metadata, f.text, "a query");
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, sct_read_file(params[i], &out)) TH_LOG("%s", params[i]);
		bd_no_address(_metadata, out, params[i]);
		free(out);
	}
	EXPECT_TRUE(sct_kmsg_find(kfd, "selfconn: refused self-connect 127.0.0.1:18139", text,
				  sizeof(text))) TH_LOG("no log line:\n%s", text);
	close(kfd);
	bd_no_address(_metadata, text, "the kernel log since the test began");

	if (!bin)
		TH_LOG("no companion (SELFCONN_BIN, PATH): it is not scanned");
	for (i = 0; bin && i < 2 * BD_NPORT; i++) {
		char port[16];
		char *argv[] = { (char *)bin, "port", port, i % 2 ? "--json" : NULL, NULL };

		snprintf(port, sizeof(port), "%d", BD_SELF4 + i / 2);
		EXPECT_EQ(0, sct_run(argv, &out));
		bd_no_address(_metadata, out, i % 2 ? "selfconn port --json" : "selfconn port");
		free(out);
	}
	close(fd);
	bd_close_sockets(&s);
	sct_file_free(&f);
}

TEST_HARNESS_MAIN
