// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to /proc/selfconn and net.selfconn.refuse: every malformed write fails with its
 * errno and changes neither the watched ports, nor a descriptor's query port, nor the sysctl.
 * More bad rows: ns.bad_writes of selfconn_port, refuse.bad_values of selfconn_refuse.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define BI_HUGE		(1 << 20)
#define BI_SELF		18110	/* a self-connect: refuse's effect is visible */

/* A write-only descriptor's and a query descriptor's row that is EINVAL. */
#define BI_W(s)		SCT_BAD(O_WRONLY, s, EINVAL)
#define BI_Q(s)		SCT_BAD(O_RDWR, s, EINVAL)

#define BI_EXPECT_UNCHANGED(what)	sct_t_unchanged(_metadata, self->base, (what))

FIXTURE(bad) {
	char base[512];
	unsigned long taint;
};

/* A fresh namespace watching 81 and 18084, with refuse as the variant says. */
FIXTURE_VARIANT(bad) {
	int refuse;
};

FIXTURE_VARIANT_ADD(bad, refuse0) {
	.refuse = 0,
};

FIXTURE_VARIANT_ADD(bad, refuse1) {
	.refuse = 1,
};

FIXTURE_SETUP(bad)
{
	sct_t_setup(_metadata, &self->taint, false, NULL);
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "18084\n"));
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "81\n"));
	ASSERT_EQ(0, sct_set_refuse(variant->refuse));
	ASSERT_STREQ(variant->refuse ? "watched 81 18084, refuse 1, audit 0" :
				       "watched 81 18084, refuse 0, audit 0",
		     sct_state(self->base, sizeof(self->base)));
}

FIXTURE_TEARDOWN(bad)
{
	sct_t_teardown(_metadata, self->taint);
}

/* ---- the tables ---- */

/*
 * A command is one write() at offset 0 of at most 7 bytes: a port 1..65535
 * in plain decimal, "-PORT" or "clear", optionally followed by one "\n".
 * A query descriptor (O_RDWR) only takes a port.
 */
static const struct sct_bad bi_proc_rows[] = {
	/* NULs; not ASCII (superscript one, fullwidth digit one in UTF-8) */
	BI_W("\0"), BI_W("8\0" "0"), BI_W("-\0"), BI_W("clear\0"), BI_W("\xff"), BI_W("\xc2\xb9"),
	BI_W("\xef\xbc\x91"),
	/* CRLF, CR, a newline first, other whitespace */
	BI_W("80\r\n"), BI_W("80\r"), BI_W("\n80"), BI_W("\n\n"), BI_W("80\v"), BI_W("8\t0"),
	/* hexadecimal; 655350 overflows 16 bits; 65616 is 65536 + 80, 80 if truncated */
	BI_W("0x50"), BI_W("1e3"), BI_W("65535x"), BI_W("655350"), BI_W("65616"),
	/* 2^32 + 80, too long anyway; 8 bytes */
	BI_W("4294967376"), BI_W("12345678"), BI_W("        "),
	/* nearly "clear", nearly a removal */
	BI_W("-clear"), BI_W("clear0"), BI_W("clea"), BI_W("Clear"), BI_W("clear\r"), BI_W("-+80"),
	BI_W("- 80"), BI_W("-0081"),
	/* a watched port, badly written; the longest command, of a port not watched */
	BI_W("-81\n\n"), SCT_BAD(O_WRONLY, "-65535\n", ENOENT),
	/* a query takes no removal */
	BI_Q("80\r\n"), BI_Q("0x50"), BI_Q("65616"), BI_Q("\0"), BI_Q("-81"), BI_Q("1234567"),
};

TEST_F_TIMEOUT(bad, proc_rows, SCT_TIMEOUT)
{
	int qfd = open(SCT_PROC, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, qfd);
	ASSERT_EQ(5, write(qfd, "1234\n", 5));
	ASSERT_EQ(1234, sct_query_port(qfd));
	sct_t_bad_rows(_metadata, self->base, SCT_PROC, bi_proc_rows, ARRAY_SIZE(bi_proc_rows),
		       qfd);
	close(qfd);
}

/*
 * The kernel's integer syntax (proc_dointvec_minmax(): whitespace around
 * it, 0x and 0 prefixes, 08 is no octal), 0 or 1, one value per write() at
 * offset 0.
 */
static const struct sct_bad bi_sysctl_rows[] = {
	BI_W("\n"), BI_W(" "), BI_W("\t\n "), BI_W("-"), BI_W("--1"), BI_W("+1"), BI_W("1.0"),
	BI_W("1e0"), BI_W("0x2"), BI_W("0x"), BI_W("-0x1"), BI_W("08"), BI_W("0b1"), BI_W("2\n"),
	/* INT_MAX + 1, INT_MIN - 1, and more */
	BI_W("2147483648"), BI_W("-2147483649"), BI_W("99999999999999999999999"),
	BI_W("\xff"), BI_W("one"), BI_W("true"), BI_W("1\0"),
	/* two values */
	BI_W("\t1,0"), BI_W("1 0"), BI_W("0 1"), BI_W("1\n1"), BI_W("0\n0\n"),
};

/* refuse and audit: the same rules (net.selfconn.audit, README). */
TEST_F_TIMEOUT(bad, sysctl_rows, SCT_TIMEOUT)
{
	static const char * const good[] = { " 1\n", "0x1", "01", "\t1 \n" };
	static const char * const sysctls[] = { SCT_SYSCTL, SCT_AUDIT };
	char shown[64], was[16];
	size_t i, s;
	int err;

	for (s = 0; s < ARRAY_SIZE(sysctls); s++) {
		sct_t_bad_rows(_metadata, self->base, sysctls[s], bi_sysctl_rows,
			       ARRAY_SIZE(bi_sysctl_rows), -1);
		snprintf(was, sizeof(was), "%ld\n", sct_read_long(sysctls[s]));
		/* The kernel's other spellings of 1 are values, not bad input. */
		for (i = 0; i < ARRAY_SIZE(good); i++) {
			sct_show(good[i], strlen(good[i]), shown, sizeof(shown));
			ASSERT_EQ(0, sct_write_file(sysctls[s], "0\n"));
			err = -sct_write_file(sysctls[s], good[i]);
			EXPECT_EQ(0, err) TH_LOG("%s \"%s\": %s", sysctls[s], shown, sct_err(err));
			EXPECT_EQ(1, sct_read_long(sysctls[s]));
		}
		ASSERT_EQ(0, sct_write_file(sysctls[s], was));
	}
}

/* 1 MiB writes: EINVAL everywhere, nothing copied in part. */
TEST_F_TIMEOUT(bad, huge_writes, SCT_TIMEOUT)
{
	static char nl[BI_HUGE], nines[BI_HUGE], val[BI_HUGE], digits[BI_HUGE], spaces[BI_HUGE];
	static const struct sct_bad proc[] = {
		{ O_WRONLY, nl, BI_HUGE, EINVAL }, { O_WRONLY, nines, BI_HUGE, EINVAL },
		{ O_RDWR, nines, BI_HUGE, EINVAL },
	};
	static const struct sct_bad sysctl[] = {
		{ O_WRONLY, val, BI_HUGE, EINVAL }, { O_WRONLY, digits, BI_HUGE, EINVAL },
		{ O_WRONLY, spaces, BI_HUGE, EINVAL },
	};
	int qfd = open(SCT_PROC, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, qfd);
	ASSERT_EQ(2, write(qfd, "82", 2));
	/* a valid command then padding, 9s; a value then spaces past a page, its digits, spaces */
	memset(nl, '\n', BI_HUGE);
	memcpy(nl, "80", 2);
	memset(nines, '9', BI_HUGE);
	memset(val, ' ', BI_HUGE);
	val[0] = variant->refuse ? '0' : '1';
	memset(digits, val[0], BI_HUGE);
	memset(spaces, ' ', BI_HUGE);
	sct_t_bad_rows(_metadata, self->base, SCT_PROC, proc, ARRAY_SIZE(proc), qfd);
	sct_t_bad_rows(_metadata, self->base, SCT_SYSCTL, sysctl, ARRAY_SIZE(sysctl), -1);
	close(qfd);
}

/* A buffer the kernel cannot read: EFAULT, nothing changed. */
TEST_F_TIMEOUT(bad, bad_buffer, SCT_TIMEOUT)
{
	const void *volatile bad = (const void *)8;	/* opaque to the compiler */

	EXPECT_EQ(EFAULT, -sct_write(SCT_PROC, O_WRONLY, bad, 3));
	EXPECT_EQ(EFAULT, -sct_write(SCT_PROC, O_RDWR, bad, 3));
	EXPECT_EQ(EFAULT, -sct_write(SCT_SYSCTL, O_WRONLY, bad, 2));
	BI_EXPECT_UNCHANGED("a bad buffer");
}

/*
 * Every write() is one whole command, and a write does not move the
 * offset of /proc/selfconn: the pieces of a split command are parsed
 * alone. writev() is one write() per buffer.
 */
TEST_F_TIMEOUT(bad, split_writes, SCT_TIMEOUT)
{
	struct iovec iov[2] = {
		{ .iov_base = "180", .iov_len = 3 }, { .iov_base = "85\n", .iov_len = 3 },
	};
	int fd = open(SCT_PROC, O_WRONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	/* pieces that are no command each fail */
	EXPECT_EQ(EINVAL, sct_errno(write(fd, "cl", 2)));
	EXPECT_EQ(EINVAL, sct_errno(write(fd, "ear\n", 4)));
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	BI_EXPECT_UNCHANGED("clear in two writes");
	EXPECT_EQ(EINVAL, sct_errno(write(fd, "-", 1)));
	/* a piece that is a command is one: "18" then "084\n" */
	EXPECT_EQ(2, write(fd, "18", 2));
	EXPECT_EQ(EINVAL, sct_errno(write(fd, "084\n", 4)));
	EXPECT_STREQ("18 81 18084", SCT_WATCHED());
	EXPECT_EQ(0, -sct_write_file(SCT_PROC, "-18"));

	/* writev: "180" then "85\n", two commands; a bad second buffer stops it */
	EXPECT_EQ(6, writev(fd, iov, 2));
	EXPECT_STREQ("81 85 180 18084", SCT_WATCHED());
	EXPECT_EQ(0, -sct_write_file(SCT_PROC, "-85"));
	EXPECT_EQ(0, -sct_write_file(SCT_PROC, "-180"));
	iov[0] = (struct iovec){ .iov_base = "x", .iov_len = 1 };
	EXPECT_EQ(EINVAL, sct_errno(writev(fd, iov, 2)));
	close(fd);
	BI_EXPECT_UNCHANGED("writev");

	/* the sysctl: the second write() of one descriptor is past offset 0 */
	fd = open(SCT_SYSCTL, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, write(fd, variant->refuse ? "1" : "0", 1));
	EXPECT_EQ(1, lseek(fd, 0, SEEK_CUR));
	EXPECT_EQ(EINVAL, sct_errno(write(fd, "\n", 1)));
	EXPECT_EQ(EINVAL, sct_errno(write(fd, variant->refuse ? "0" : "1", 1)));
	close(fd);
	BI_EXPECT_UNCHANGED("the sysctl in pieces");
}

/*
 * A write past offset 0 (lseek(), or a read before it): EINVAL, for both
 * files; at offset 0 it works. pwrite() on /proc/selfconn is ESPIPE at any
 * offset (seq_open() clears FMODE_PWRITE); on the sysctl, EINVAL past 0.
 */
TEST_F_TIMEOUT(bad, offset_writes, SCT_TIMEOUT)
{
	static const off_t offs[] = { 1, 2, 7, 8, 4096, 1 << 30 };
	int fd = open(SCT_PROC, O_WRONLY | O_CLOEXEC);
	int qfd = open(SCT_PROC, O_RDWR | O_CLOEXEC);
	size_t i;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, qfd);
	ASSERT_EQ(2, write(qfd, "82", 2));
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		EXPECT_EQ(EINVAL, sct_errno(sct_write_at(fd, "83\n", 3, offs[i])))
			TH_LOG("watch at offset %lld", (long long)offs[i]);
		EXPECT_EQ(EINVAL, sct_errno(sct_write_at(fd, "clear", 5, offs[i])));
		EXPECT_EQ(EINVAL, sct_errno(sct_write_at(qfd, "83", 2, offs[i])))
			TH_LOG("query at offset %lld", (long long)offs[i]);
		EXPECT_EQ(82, sct_query_port(qfd));
		EXPECT_EQ(ESPIPE, sct_errno(pwrite(fd, "83\n", 3, offs[i])));
		BI_EXPECT_UNCHANGED("a write past offset 0");
	}
	EXPECT_EQ(ESPIPE, sct_errno(pwrite(fd, "83\n", 3, 0)));
	EXPECT_EQ(ESPIPE, sct_errno(pwrite(qfd, "83", 2, 0)));
	/* after a read moved the offset, a plain write() is past 0 too */
	EXPECT_EQ(82, sct_query_port(qfd));
	EXPECT_LT(0, lseek(qfd, 0, SEEK_CUR));
	EXPECT_EQ(EINVAL, sct_errno(write(qfd, "83", 2)));
	EXPECT_EQ(2, sct_write_at(qfd, "83", 2, 0));
	EXPECT_EQ(83, sct_query_port(qfd));
	EXPECT_EQ(3, sct_write_at(fd, "83\n", 3, 0));
	EXPECT_EQ(0, -sct_write_file(SCT_PROC, "-83\n"));
	close(qfd);
	close(fd);

	fd = open(SCT_SYSCTL, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		EXPECT_EQ(EINVAL,
			  sct_errno(pwrite(fd, variant->refuse ? "0\n" : "1\n", 2, offs[i])))
			TH_LOG("sysctl at offset %lld", (long long)offs[i]);
		BI_EXPECT_UNCHANGED("a sysctl write past offset 0");
	}
	close(fd);
}

/* ---- concurrent writers ---- */

#define BI_WRITERS	5
#define BI_OWN		16	/* ports per writer: 80 in all, more than 64 */
#define BI_ROUNDS	400
#define BI_TOGGLES	100

struct bi_writer {
	pthread_t tid;
	int id;
	pthread_barrier_t *barrier;
	int bad;		/* an errno no command may get, or 0 */
	int nospc;		/* ENOSPC seen: more than 64 is refused */
};

static int bi_port_of(int id, int i)
{
	return 30000 + id * 100 + i;
}

/*
 * Add and remove its own ports at random (ENOENT, ENOSPC are expected),
 * then, after everyone cleared, watch its even ports: 40 in all.
 */
static void *bi_writer_run(void *arg)
{
	struct bi_writer *w = arg;
	unsigned int seed = w->id;
	char cmd[16];
	int i, err;

	for (i = 0; i < BI_ROUNDS; i++) {
		int p = bi_port_of(w->id, rand_r(&seed) % BI_OWN);

		snprintf(cmd, sizeof(cmd), rand_r(&seed) % 3 ? "%d\n" : "-%d\n", p);
		err = -sct_write_file(SCT_PROC, cmd);
		if (err == ENOSPC)
			w->nospc = 1;
		else if (err && err != ENOENT)
			w->bad = err;
	}
	pthread_barrier_wait(w->barrier);
	err = w->id ? 0 : -sct_write_file(SCT_PROC, "clear\n");
	if (err)
		w->bad = err;
	pthread_barrier_wait(w->barrier);
	for (i = 0; i < BI_OWN; i += 2) {
		snprintf(cmd, sizeof(cmd), "%d", bi_port_of(w->id, i));
		err = -sct_write_file(SCT_PROC, cmd);
		if (err)
			w->bad = err;
	}
	return NULL;
}

TEST_F_TIMEOUT(bad, concurrent_writers, SCT_TIMEOUT)
{
	struct bi_writer w[BI_WRITERS];
	pthread_barrier_t barrier;
	int ports[SCT_MAXREP], n, i, k, nospc = 0;

	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, BI_WRITERS));
	for (i = 0; i < BI_WRITERS; i++) {
		w[i] = (struct bi_writer){ .id = i, .barrier = &barrier };
		ASSERT_EQ(0, pthread_create(&w[i].tid, NULL, bi_writer_run, &w[i]));
	}
	for (i = 0; i < BI_WRITERS; i++) {
		ASSERT_EQ(0, pthread_join(w[i].tid, NULL));
		EXPECT_EQ(0, w[i].bad) TH_LOG("writer %d got %s", i, strerror(w[i].bad));
		nospc |= w[i].nospc;
	}
	pthread_barrier_destroy(&barrier);
	if (!nospc)
		TH_LOG("note: no writer reached 64 watched ports");

	n = sct_watched(ports);
	ASSERT_EQ(BI_WRITERS * BI_OWN / 2, n);
	for (k = 0; k < n; k++)
		EXPECT_EQ(bi_port_of(k / (BI_OWN / 2), k % (BI_OWN / 2) * 2), ports[k])
			TH_LOG("report %d", k);
}

static void *bi_toggler_run(void *arg)
{
	struct bi_writer *t = arg;
	int i, err;

	for (i = 0; i < BI_TOGGLES; i++) {
		err = sct_set_refuse((i + t->id) & 1);
		if (err)
			t->bad = -err;
	}
	return NULL;
}

/*
 * Writers of the sysctl racing each other: whatever value wins, the
 * packet hooks follow it (refused self-connects iff 1).
 */
TEST_F_TIMEOUT(bad, concurrent_sysctl_writers, SCT_TIMEOUT)
{
	struct bi_writer t[4];
	int i, round, v, err, held = sct_hold_hooks(-1);

	ASSERT_NE(-2, held) TH_LOG("setns back: %s", strerror(errno));
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 4; i++) {
			t[i] = (struct bi_writer){ .id = i + round };
			ASSERT_EQ(0, pthread_create(&t[i].tid, NULL, bi_toggler_run, &t[i]));
		}
		for (i = 0; i < 4; i++) {
			ASSERT_EQ(0, pthread_join(t[i].tid, NULL));
			EXPECT_EQ(0, t[i].bad) TH_LOG("toggler %d: %s", i, strerror(t[i].bad));
		}
		v = sct_read_long(SCT_SYSCTL);
		ASSERT_TRUE(v == 0 || v == 1) TH_LOG("refuse reads %d", v);
		err = sct_self_connect_errno(BI_SELF);
		EXPECT_EQ(v ? ECONNREFUSED : 0, err)
			TH_LOG("round %d: refuse=%d but self-connect: %s", round, v, sct_err(err));
	}
	ASSERT_EQ(0, sct_set_refuse(variant->refuse));
	BI_EXPECT_UNCHANGED("the togglers");
	if (held >= 0)
		close(held);
}

TEST_HARNESS_MAIN
