// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/selfconn: what is listed, what is not, and the file across reads,
 * network namespaces and module reloads. Each test runs in a fresh netns,
 * once per variant: IPv4, IPv6 and IPv4-mapped on an AF_INET6 socket.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define SC_TW_MAX_MS	60000	/* TCP_TIMEWAIT_LEN */
#define SC_TEST_UID	4242

/* In a test: the variant's address with port, as the file writes it. */
#define SC_ADDR(port)	SCT_ADDR(variant->family, variant->addr, (port))
/* A self-connect on the variant's address and port, owned by uid. */
#define SC_SELF(port, uid) \
	sct_t_self_connect(_metadata, variant->family, variant->addr, (port), (uid))
/* sc_expect_row() of an ESTAB row on the variant's address with port. */
#define SC_EXPECT_ROW(t, port, uid, inode) \
	sc_expect_row(_metadata, (t), variant->fam, SC_ADDR(port), "ESTAB", (uid), (inode))

/* Exactly one row for family+addr, in state; if ESTAB, with uid and inode, timer "-". */
static void sc_expect_row(struct __test_metadata *_metadata, const struct sct_file *t,
			  const char *family, const char *addr, const char *state,
			  unsigned long long uid, unsigned long long inode)
{
	const struct sct_row *r = sct_find_row(t, family, addr);
	int n = sct_count_rows(t, NULL, addr, NULL);
	bool same = r && n == 1 && !strcmp(r->state, state) &&
		    (strcmp(state, "ESTAB") ||
		     (r->uid == uid && r->inode == inode && r->timer_ms == -1));

	if (!same) {
		TH_LOG("expected one %s row of %s %s (if ESTAB: uid %llu inode %llu timer -)",
		       state, family, addr, uid, inode);
		TH_LOG("got %d row(s) for %s, as listed:", n, addr);
		sct_dump(_metadata, t);
	}
	ASSERT_TRUE(same);
}

/* Read t: n rows, else dumped and what failed. */
static void sc_read_n(struct __test_metadata *_metadata, struct sct_file *t, int n,
		      const char *what)
{
	sct_read(_metadata, t);
	if (t->nrows != n)
		sct_dump(_metadata, t);
	ASSERT_EQ(n, t->nrows) TH_LOG("%s", what);
}

/* Re-read t until want TIME-WAIT rows of family (and addr) show, SCT_WAIT_MS at most. */
static bool sc_wait_tw(struct __test_metadata *_metadata, struct sct_file *t,
		       const char *family, const char *addr, int want)
{
	int waited;

	for (waited = 0; waited <= SCT_WAIT_MS; waited += 20) {
		sct_read(_metadata, t);
		if (sct_count_rows(t, family, addr, "TIME-WAIT") == want)
			return true;
		usleep(20000);
	}
	TH_LOG("waited %d ms for %d TIME-WAIT row(s) of %s %s", SCT_WAIT_MS, want, family,
	       addr ? addr : "");
	sct_dump(_metadata, t);
	return false;
}

/*
 * TIME_WAIT entries (st 06) in this namespace's /proc/net/tcp and tcp6; with
 * log, every entry (the addresses' last 8 hex digits) and the TcpExt counters
 * not 0 (/proc/net/netstat: a line of names, then one of values):
 * TCPTimeWaitOverflow counts the TIME-WAIT sockets tcp_time_wait() could not
 * allocate, TCPAbortOn* the connections reset.
 */
static int sc_count_tw(struct __test_metadata *_metadata, bool log)
{
	static const char * const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char *text, *line, *save, la[33], ra[33], *names, *vals, *key, *val, *sv;
	unsigned int i, lp, rp, st;
	int n = 0;

	for (i = 0; i < 2; i++) {
		if (sct_read_file(files[i], &text))
			continue;
		if (log)
			TH_LOG("%s:", files[i]);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (sscanf(line, " %*d: %32[0-9A-F]:%x %32[0-9A-F]:%x %x",
				   la, &lp, ra, &rp, &st) != 5 || strlen(la) < 8 || strlen(ra) < 8)
				continue;	/* the header */
			n += st == 6;
			if (log)
				TH_LOG("  %s:%u -> %s:%u st %02X", la + strlen(la) - 8, lp,
				       ra + strlen(ra) - 8, rp, st);
		}
		free(text);
	}
	if (!log || sct_read_file("/proc/net/netstat", &text))
		return n;
	names = strstr(text, "TcpExt: ");
	vals = names ? strstr(names + 1, "TcpExt: ") : NULL;
	if (vals) {
		names[strcspn(names, "\n")] = '\0';
		vals[strcspn(vals, "\n")] = '\0';
		key = strtok_r(names + 8, " ", &save);
		val = strtok_r(vals + 8, " ", &sv);
		for (; key && val; key = strtok_r(NULL, " ", &save), val = strtok_r(NULL, " ", &sv))
			if (strcmp(val, "0"))
				TH_LOG("  TcpExt %s %s", key, val);
	}
	free(text);
	return n;
}

FIXTURE(selfconn) {
	int orig_netns;		/* the namespace the test started in */
	unsigned long taint;
};

FIXTURE_VARIANT(selfconn) {
	SCT_FAMILY_FIELDS;
};

FIXTURE_VARIANT_ADD(selfconn, ipv4) { SCT_IPV4 };
FIXTURE_VARIANT_ADD(selfconn, ipv6) { SCT_IPV6 };
FIXTURE_VARIANT_ADD(selfconn, v4mapped) { SCT_V4MAPPED };

FIXTURE_SETUP(selfconn)
{
	self->orig_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	SCT_SETUP_FAMILY();
}

FIXTURE_TEARDOWN(selfconn)
{
	sct_t_teardown(_metadata, self->taint);
	close(self->orig_netns);
}

/* A fresh namespace has nothing to list: header and columns only. */
TEST_F_TIMEOUT(selfconn, empty_netns, SCT_TIMEOUT)
{
	struct sct_file t = {};

	sc_read_n(_metadata, &t, 0, "a fresh namespace lists rows");
	EXPECT_EQ(0ULL, t.rows_hdr);
	sct_file_free(&t);
}

/* A self-connect at addr:port owned by uid: the one row, ESTAB, its uid and inode. */
static void sc_expect_one(struct __test_metadata *_metadata,
			  const FIXTURE_VARIANT(selfconn) *variant, int port, uid_t uid)
{
	int fd = SC_SELF(port, uid);
	struct sct_file t = {};

	sc_read_n(_metadata, &t, 1, "more than the self-connect listed");
	SC_EXPECT_ROW(&t, port, uid, sct_inode(fd));
	close(fd);
	sct_file_free(&t);
}

/* bind+connect to itself: one ESTAB row, right family/address/uid/inode. */
TEST_F_TIMEOUT(selfconn, established, SCT_TIMEOUT)
{
	sc_expect_one(_metadata, variant, 18082, geteuid());
}

/* The uid column is the socket's owner, not the reader's. */
TEST_F_TIMEOUT(selfconn, uid_is_owner, SCT_TIMEOUT)
{
	sc_expect_one(_metadata, variant, 18083, SC_TEST_UID);
}

/*
 * The uid column is in the reader's user namespace: a reader in a user
 * namespace mapping its uid 0 to SC_TEST_UID sees SC_TEST_UID's socket as 0
 * and root's (unmapped there) as the overflow uid.
 */
TEST_F_TIMEOUT(selfconn, uid_in_reader_userns, SCT_TIMEOUT)
{
	long overflowuid = sct_read_long("/proc/sys/kernel/overflowuid");
	unsigned long long uu, ur;
	const char *au = SC_ADDR(18086), *ar = SC_ADDR(18087);
	char map[32], *res;
	struct sct_child c;
	int fu, fr, ret;

	fu = SC_SELF(18086, SC_TEST_UID);
	fr = SC_SELF(18087, 0);
	ASSERT_EQ(0, sct_child_start(&c));
	if (c.pid == 0) {
		struct sct_file ct = {};
		const struct sct_row *ru, *rr;

		ret = sct_enter_userns(&c);
		if (ret)
			_exit(dprintf(c.from[1], "unshare(CLONE_NEWUSER): %s", strerror(-ret)) < 0);
		ret = sct_cat(&ct);
		if (ret)
			_exit(dprintf(c.from[1], "E read: %s",
				      ct.err[0] ? ct.err : strerror(-ret)) < 0);
		ru = sct_find_row(&ct, variant->fam, au);
		rr = sct_find_row(&ct, variant->fam, ar);
		if (!ru || !rr)
			_exit(dprintf(c.from[1], "E rows missing: %s", ct.text) < 0);
		_exit(dprintf(c.from[1], "U %llu %llu", ru->uid, rr->uid) < 0);
	}
	snprintf(map, sizeof(map), "0 %d 1\n", SC_TEST_UID);
	ret = sct_map_userns(&c, map, false);
	ASSERT_LE(0, ret) TH_LOG("the child's uid_map: %s", strerror(-ret));
	ASSERT_EQ(0, sct_read_fd(c.from[0], 256, &res, NULL));
	ASSERT_EQ(0, sct_child_wait(&c));
	if (ret == 1)
		SKIP(goto out, "%s", res);
	ASSERT_EQ('U', res[0]) TH_LOG("reader in the user namespace: %s", res);
	ASSERT_EQ(2, sscanf(res + 2, "%llu %llu", &uu, &ur));
	EXPECT_EQ(0ULL, uu) TH_LOG("uid %d's socket, as seen from a userns mapping 0 to it",
				   SC_TEST_UID);
	EXPECT_EQ(overflowuid > 0 ? overflowuid : 65534, (long)ur)
		TH_LOG("root's socket, as seen from a userns without root");
out:
	free(res);
	close(fu);
	close(fr);
}

/* After close() the self-connect goes to TIME-WAIT and is still listed. */
TEST_F_TIMEOUT(selfconn, time_wait, SCT_TIMEOUT)
{
	struct sct_file t = {};
	const struct sct_row *r;
	long long t1;
	const char *a = SC_ADDR(18084);
	int i;

	ASSERT_EQ(0, close(SC_SELF(18084, geteuid())));

	ASSERT_TRUE(sc_wait_tw(_metadata, &t, variant->fam, a, 1));
	sc_read_n(_metadata, &t, 1, "the ESTAB row is not gone, or more is listed");
	r = &t.rows[0];
	EXPECT_EQ(0ULL, r->uid);
	EXPECT_EQ(0ULL, r->inode);
	EXPECT_LT(0, r->timer_ms);
	EXPECT_GE(SC_TW_MAX_MS, r->timer_ms);
	t1 = r->timer_ms;

	/*
	 * The timer counts down. A segment that reaches the timewait socket
	 * re-arms it (tcp_timewait_state_process() -> inet_twsk_reschedule()):
	 * on a slow guest the self-connect's own retransmitted FIN can, so one
	 * interval in three must show the countdown.
	 */
	for (i = 0; i < 3; i++) {
		usleep(1200000);
		sct_read(_metadata, &t);
		r = sct_find_row(&t, variant->fam, a);
		ASSERT_NE(NULL, r);
		ASSERT_STREQ("TIME-WAIT", r->state);
		TH_LOG("timer_ms %lld, 1.2 s later %lld", t1, r->timer_ms);
		if (r->timer_ms <= t1 - 1000)
			break;
		t1 = r->timer_ms;
	}
	EXPECT_GT(3, i) TH_LOG("timer_ms never went down by 1 s in 1.2 s");
	sct_file_free(&t);
}

/*
 * Sockets sharing an address or a port, not connected to themselves, are never
 * listed, established or in TIME-WAIT: client ADDR:P -> OTHER:P (same port,
 * other address) and its accepted socket; listener ADDR:P2 with clients
 * ADDR:Q and ephemeral and their accepted sockets (same address and port);
 * a lone listener. A real self-connect among them is listed, alone.
 */
TEST_F_TIMEOUT(selfconn, distractors, SCT_TIMEOUT)
{
	const int P = 18090, P2 = 18091, Q = 18092, P3 = 18093, P4 = 18094;
	int l1, c1, a1, l2, c2, a2, c3, a3, l3, s;
	const int fam = variant->family;
	const char *addr = variant->addr, *other = variant->other;
	struct sct_file t = {};
	int waited;

	l1 = sct_t_listener(_metadata, fam, other, P, SCT_REUSEADDR);
	c1 = sct_t_connected(_metadata, fam, addr, P, other, P, 0);
	a1 = sct_t_accept(_metadata, l1, P);
	l2 = sct_t_listener(_metadata, fam, addr, P2, SCT_REUSEADDR);
	c2 = sct_t_connected(_metadata, fam, addr, Q, addr, P2, 0);
	a2 = sct_t_accept(_metadata, l2, Q);
	a3 = sct_t_client(_metadata, l2, fam, addr, P2, &c3);
	l3 = sct_t_listener(_metadata, fam, addr, P3, SCT_REUSEADDR);

	sc_read_n(_metadata, &t, 0, "distractors listed while ESTABLISHED");

	/*
	 * Active close by the clients, each server closing once it has read
	 * the FIN: the clients go to TIME-WAIT, with no simultaneous close.
	 */
	sct_t_close_pair(_metadata, c1, a1);
	sct_t_close_pair(_metadata, c2, a2);
	sct_t_close_pair(_metadata, c3, a3);
	for (waited = 0; sc_count_tw(_metadata, false) < 3 && waited < SCT_WAIT_MS; waited += 20)
		usleep(20000);
	ASSERT_LE(3, sc_count_tw(_metadata, waited >= SCT_WAIT_MS))
		TH_LOG("clients never reached TIME_WAIT");
	sc_read_n(_metadata, &t, 0, "distractors listed in TIME-WAIT");

	/* A true self-connect among them is found, and only it. */
	s = SC_SELF(P4, geteuid());
	sc_read_n(_metadata, &t, 1, "a distractor listed with the self-connect");
	SC_EXPECT_ROW(&t, P4, geteuid(), sct_inode(s));
	close(s);
	close(l1);
	close(l2);
	close(l3);
	sct_file_free(&t);
}

#define SC_MANY 300
#define SC_MANY_BASE 20000

/* Self-connects on base + from .. base + to - 1: fd[i] and ino[i] for each. */
static void sc_many(struct __test_metadata *_metadata, const FIXTURE_VARIANT(selfconn) *variant,
		    int base, int *fd, unsigned long long *ino, int from, int to)
{
	int i;

	for (i = from; i < to; i++) {
		fd[i] = SC_SELF(base + i, geteuid());
		ino[i] = sct_inode(fd[i]);
	}
}

/* sc_expect_row() of those ports, owned by us; ESTAB ones with inode ino[i]. */
static void sc_expect_many(struct __test_metadata *_metadata, const struct sct_file *t,
			   const FIXTURE_VARIANT(selfconn) *variant, int base,
			   const unsigned long long *ino, int from, int to, const char *state)
{
	int i;

	for (i = from; i < to; i++)
		sc_expect_row(_metadata, t, variant->fam, SC_ADDR(base + i), state, geteuid(),
			      ino[i]);
}

/* ESTAB and TIME-WAIT self-connects together: each listed once, rows=N. */
TEST_F_TIMEOUT(selfconn, mixed_states, SCT_TIMEOUT)
{
	unsigned long long ino[5];
	struct sct_file t = {};
	int fd[5], i;

	sc_many(_metadata, variant, 18100, fd, ino, 0, 5);
	close(fd[1]);
	close(fd[3]);
	ASSERT_TRUE(sc_wait_tw(_metadata, &t, variant->fam, NULL, 2));
	EXPECT_EQ(5ULL, t.rows_hdr);
	ASSERT_EQ(5, t.nrows);
	for (i = 0; i < 5; i++)
		sc_expect_many(_metadata, &t, variant, 18100, ino, i, i + 1,
			       i % 2 ? "TIME-WAIT" : "ESTAB");
	for (i = 0; i < 5; i += 2)
		close(fd[i]);
	sct_file_free(&t);
}

/*
 * A namespace sees its own self-connects only: A's is invisible from B and
 * from the namespace the test started in, B's from A.
 */
TEST_F_TIMEOUT(selfconn, netns_isolation, SCT_TIMEOUT)
{
	const int PA = 18110, PB = 18111;
	const char *aa = SC_ADDR(PA), *ab = SC_ADDR(PB);
	struct sct_file t = {};
	int fa, fb, ns_a;

	/* A: the fixture's namespace */
	fa = SC_SELF(PA, geteuid());
	ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ns_a);

	/* B: another fresh one */
	ASSERT_EQ(0, sct_new_netns());
	fb = SC_SELF(PB, geteuid());
	sc_read_n(_metadata, &t, 1, "B sees more than its own socket");
	SC_EXPECT_ROW(&t, PB, geteuid(), sct_inode(fb));

	/* the starting namespace sees neither */
	ASSERT_EQ(0, setns(self->orig_netns, CLONE_NEWNET));
	sct_read(_metadata, &t);
	EXPECT_EQ(0, sct_count_rows(&t, NULL, aa, NULL)) TH_LOG("A's %s seen from init", aa);
	EXPECT_EQ(0, sct_count_rows(&t, NULL, ab, NULL)) TH_LOG("B's %s seen from init", ab);

	/* A sees its own only */
	ASSERT_EQ(0, setns(ns_a, CLONE_NEWNET));
	sc_read_n(_metadata, &t, 1, "A sees more than its own socket");
	SC_EXPECT_ROW(&t, PA, geteuid(), sct_inode(fa));

	close(fa);
	close(fb);
	close(ns_a);
	sct_file_free(&t);
}

/* 1-byte, 4 KiB and 1 MiB reads of a file larger than a page agree. */
TEST_F_TIMEOUT(selfconn, read_sizes, SCT_TIMEOUT)
{
	static const size_t chunks[] = { 1, 7, 4096, 1 << 20 };
	unsigned long long ino[SC_MANY];
	struct sct_file ref = {}, t = {};
	int fd[SC_MANY], i;
	unsigned int c;

	sc_many(_metadata, variant, SC_MANY_BASE, fd, ino, 0, SC_MANY);

	sct_read_chunked(_metadata, &ref, 4096);
	ASSERT_EQ((unsigned long long)SC_MANY, ref.rows_hdr);
	ASSERT_EQ(SC_MANY, ref.nrows);
	ASSERT_LT(8192, ref.len) TH_LOG("output should span pages: more sockets");
	sc_expect_many(_metadata, &ref, variant, SC_MANY_BASE, ino, 0, SC_MANY, "ESTAB");

	for (c = 0; c < ARRAY_SIZE(chunks); c++) {
		sct_read_chunked(_metadata, &t, chunks[c]);
		EXPECT_EQ(ref.len, t.len) TH_LOG("%zu-byte reads: length differs", chunks[c]);
		EXPECT_EQ(0, memcmp(ref.text, t.text, ref.len < t.len ? ref.len : t.len))
			TH_LOG("%zu-byte reads: contents differ from 4 KiB reads", chunks[c]);
	}
	for (i = 0; i < SC_MANY; i++)
		close(fd[i]);
	sct_file_free(&ref);
	sct_file_free(&t);
}

/*
 * A read from offset 0 takes a snapshot; the rest of that read comes from
 * it even when sockets come and go in between, so rows=N matches the rows.
 */
TEST_F_TIMEOUT(selfconn, snapshot, SCT_TIMEOUT)
{
	const int n = 100, more = 20, gone = 20;
	unsigned long long ino[100 + 20];
	int fd[100 + 20], pfd, i, ret;
	struct sct_file t = {};
	char head[16], *rest, *whole;

	sc_many(_metadata, variant, SC_MANY_BASE, fd, ino, 0, n);

	pfd = open(SCT_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pfd);
	ASSERT_EQ((ssize_t)sizeof(head), read(pfd, head, sizeof(head)));

	/* change the table: 20 new ESTAB, 20 old ones to TIME-WAIT */
	sc_many(_metadata, variant, SC_MANY_BASE, fd, ino, n, n + more);
	for (i = 0; i < gone; i++)
		close(fd[i]);
	usleep(200000);

	ret = sct_read_fd(pfd, 4096, &rest, NULL);
	ASSERT_EQ(0, ret) TH_LOG("read: %s", strerror(-ret));
	close(pfd);
	ASSERT_LT(0, asprintf(&whole, "%.*s%s", (int)sizeof(head), head, rest));
	free(rest);
	ret = sct_load_text(&t, whole);
	free(whole);
	if (ret || t.nrows != n)
		sct_dump(_metadata, &t);
	ASSERT_EQ(0, ret) TH_LOG("%s", t.err);
	ASSERT_EQ(n, t.nrows) TH_LOG("the read did not come from one snapshot");
	sc_expect_many(_metadata, &t, variant, SC_MANY_BASE, ino, 0, n, "ESTAB");

	/* a new read sees the new table */
	ASSERT_TRUE(sc_wait_tw(_metadata, &t, variant->fam, NULL, gone));
	ASSERT_EQ(n + more, t.nrows);
	sc_expect_many(_metadata, &t, variant, SC_MANY_BASE, ino, 0, gone, "TIME-WAIT");
	sc_expect_many(_metadata, &t, variant, SC_MANY_BASE, ino, gone, n + more, "ESTAB");
	for (i = gone; i < n + more; i++)
		close(fd[i]);
	sct_file_free(&t);
}

/* rmmod + insmod with self-connects alive: they are listed again after. */
TEST_F_TIMEOUT(selfconn, reload_keeps_sockets, SCT_TIMEOUT)
{
	unsigned long long ino[3];
	struct sct_file t = {};
	const char *ko = sct_t_need_ko(_metadata);
	int fd[3], ret;

	sc_many(_metadata, variant, 18120, fd, ino, 0, 3);
	close(fd[2]);
	ASSERT_TRUE(sc_wait_tw(_metadata, &t, variant->fam, NULL, 1));

	ret = sct_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("delete_module(%s): %s", SCT_MODNAME, strerror(-ret));
	EXPECT_EQ(-1, open(SCT_PROC, O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(ENOENT, errno) TH_LOG("%s still there after rmmod", SCT_PROC);
	ret = sct_module_load(ko, "");
	ASSERT_EQ(0, ret) TH_LOG("finit_module(%s): %s", ko, strerror(-ret));

	sc_read_n(_metadata, &t, 3, "not the 3 self-connects");
	sc_expect_many(_metadata, &t, variant, 18120, ino, 0, 2, "ESTAB");
	sc_expect_many(_metadata, &t, variant, 18120, ino, 2, 3, "TIME-WAIT");
	close(fd[0]);
	close(fd[1]);
	sct_file_free(&t);
}

/*
 * A reader holding /proc/selfconn open across rmmod: its next read fails
 * with EIO (mid-file and before its first read alike), close works, the
 * file is gone until insmod, then a new open works.
 */
TEST_F_TIMEOUT(selfconn, reader_across_rmmod, SCT_TIMEOUT)
{
	struct sct_file t = {};
	const char *ko = sct_t_need_ko(_metadata);
	int s, mid, fresh, ret;
	char buf[64];
	ssize_t n;

	s = SC_SELF(18130, geteuid());

	mid = open(SCT_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mid);
	ASSERT_EQ(8, read(mid, buf, 8));	/* snapshot taken, mid-file */
	fresh = open(SCT_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fresh);

	ret = sct_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("delete_module(%s) with a reader open: %s",
				 SCT_MODNAME, strerror(-ret));

	n = read(mid, buf, sizeof(buf));
	EXPECT_EQ(-1, n) TH_LOG("read mid-file after rmmod returned %zd", n);
	EXPECT_EQ(EIO, errno) TH_LOG("read mid-file after rmmod: %s", strerror(errno));
	n = read(fresh, buf, sizeof(buf));
	EXPECT_EQ(-1, n) TH_LOG("first read after rmmod returned %zd", n);
	EXPECT_EQ(EIO, errno) TH_LOG("first read after rmmod: %s", strerror(errno));
	EXPECT_EQ(0, close(mid));
	EXPECT_EQ(0, close(fresh));
	EXPECT_EQ(-1, open(SCT_PROC, O_RDONLY | O_CLOEXEC));

	ret = sct_module_load(ko, "");
	ASSERT_EQ(0, ret) TH_LOG("finit_module(%s): %s", ko, strerror(-ret));
	sct_read(_metadata, &t);
	SC_EXPECT_ROW(&t, 18130, geteuid(), sct_inode(s));
	close(s);
	sct_file_free(&t);
}

/*
 * Readers keep opening and reading while the module is unloaded and loaded
 * again, several times: every read either fails cleanly (ENOENT at open,
 * EIO at read) or returns a complete, valid table with our socket in it.
 */
TEST_F_TIMEOUT(selfconn, reload_while_reading, SCT_TIMEOUT)
{
	const char *ko = sct_t_need_ko(_metadata), *a = SC_ADDR(18140);
	struct sct_file t = {};
	struct sct_child c;
	int s, st, i, ret;

	s = SC_SELF(18140, geteuid());
	ASSERT_EQ(0, sct_child_start(&c));
	if (c.pid == 0) {
		unsigned long full = 0, enoent = 0, eio = 0, partial = 0;
		struct pollfd pfd = { .fd = c.to[0], .events = POLLIN };
		struct sct_file ct = {};

		/* until the parent closes its end */
		while (poll(&pfd, 1, 0) == 0) {
			size_t chunk = (full + eio) % 2 ? 1 : 4096;
			int fd = open(SCT_PROC, O_RDONLY | O_CLOEXEC);

			if (fd < 0 && errno != ENOENT)
				SCT_DIE(2);
			if (fd < 0) {
				enoent++;
				continue;
			}
			ret = sct_load(&ct, fd, chunk);
			close(fd);
			if (ret == -EIO) {
				eio++;
				continue;
			}
			if (ret && ret != -EBADMSG) {
				fprintf(stderr, "# reader: read: %s\n", strerror(-ret));
				_exit(2);
			}
			/* EOF: an empty file can only mean a cut-short read */
			if (!ct.len) {
				partial++;
				continue;
			}
			if (ret || !ct.listing) {
				fprintf(stderr, "# reader: bad table: %s\n", ct.err);
				_exit(3);
			}
			if (sct_count_rows(&ct, variant->fam, a, "ESTAB") != 1) {
				fprintf(stderr, "# reader: %s missing from a full read\n", a);
				_exit(4);
			}
			full++;
		}
		fprintf(stderr, "# reader: %lu full reads, %lu EIO, %lu ENOENT, %lu empty\n",
			full, eio, enoent, partial);
		_exit(full ? 0 : 5);
	}
	for (i = 0; i < 5; i++) {
		usleep(100000);
		ret = sct_module_unload();
		if (ret)
			break;
		usleep(50000);
		ret = sct_module_load(ko, "");
		if (ret)
			break;
	}
	usleep(500000);
	st = sct_child_wait(&c);
	ASSERT_EQ(0, ret) TH_LOG("cycle %d: %s", i, strerror(-ret));
	ASSERT_EQ(0, st) TH_LOG("reader failed: exit %d (128 + signal if killed; see its log)", st);

	sct_read(_metadata, &t);
	EXPECT_EQ(1, sct_count_rows(&t, variant->fam, a, "ESTAB"));
	close(s);
	sct_file_free(&t);
}

TEST_HARNESS_MAIN
