// SPDX-License-Identifier: GPL-2.0
/*
 * Fault paths of insmod (the module's init in four namespaces) and of a refuse=1 write:
 * /proc/thread-self/fail-nth fails the N-th slab allocation, for N = 1, 2, ... until the
 * operation completes without reaching N. A failure leaves nothing behind (kmemleak and
 * KASAN: the debug lane). Kernels without fault injection (Debian's) skip.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define FT_MODULE	"/sys/module/selfconn"
#define FT_TIMEOUT	280	/* seconds per test: QEMU without KVM, KASAN */
#define FT_HELD		2	/* namespaces the test holds besides its own */
#define FT_PORT		18150	/* self-connects: FT_PORT + n */

FIXTURE(insmod) {
	int own;			/* this namespace */
	int held[FT_HELD];		/* namespaces held open */
	int sock[FT_HELD];		/* a listener in each */
};

FIXTURE_VARIANT(insmod) {
	int refuse_default;
};

FIXTURE_VARIANT_ADD(insmod, refuse0) {
	.refuse_default = 0,
};

/* Every namespace registers its packet hooks too. */
FIXTURE_VARIANT_ADD(insmod, refuse1) {
	.refuse_default = 1,
};

FIXTURE_SETUP(insmod)
{
	const char *why = sct_fault_cannot_run();
	int i;

	if (why)
		SCT_SKIP("%s", why);
	ASSERT_EQ(0, sct_new_netns()) TH_LOG("new netns: %s", strerror(errno));
	self->own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->own);
	for (i = 0; i < FT_HELD; i++) {
		ASSERT_EQ(0, sct_new_netns()) TH_LOG("namespace %d: %s", i, strerror(errno));
		self->held[i] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, self->held[i]);
		self->sock[i] = sct_t_listener(_metadata, AF_INET, "127.0.0.1", FT_PORT - 1, 0);
		ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
	}
	ASSERT_EQ(0, sct_module_unload());
}

FIXTURE_TEARDOWN(insmod)
{
	int i;

	sct_fault_restore();
	sct_module_unload();
	EXPECT_EQ(0, sct_module_load(sct_module_ko(), ""));
	for (i = 0; i < FT_HELD; i++) {
		close(self->sock[i]);
		close(self->held[i]);
	}
	close(self->own);
}

/*
 * Loaded and working, or nothing of the module left in this namespace and the held ones: a
 * hook left behind (refuse_default=1 registers them) would refuse a self-connect, or run
 * freed code.
 */
static void ft_expect(struct __test_metadata *_metadata, FIXTURE_DATA(insmod) *self,
		      int nth, bool loaded, int refuse)
{
	int i;

	EXPECT_EQ(loaded, !access(SCT_PROC, loaded ? R_OK : F_OK)) TH_LOG("nth %d", nth);
	EXPECT_EQ(loaded, !access(FT_MODULE, F_OK)) TH_LOG("nth %d: %s", nth, FT_MODULE);
	for (i = -1; i < FT_HELD; i++) {
		ASSERT_EQ(0, setns(i < 0 ? self->own : self->held[i], CLONE_NEWNET));
		if (loaded) {
			EXPECT_EQ(refuse, sct_read_long(SCT_SYSCTL)) TH_LOG("namespace %d", i);
			EXPECT_EQ(refuse ? ECONNREFUSED : 0, sct_self_connect_errno(FT_PORT + 100));
			continue;
		}
		EXPECT_NE(0, access("/proc/sys/net/selfconn", F_OK))
			TH_LOG("nth %d: net.selfconn left in namespace %d", nth, i);
		if (refuse)
			EXPECT_EQ(0, sct_self_connect_errno(FT_PORT + nth % 100));
	}
	ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
}

TEST_F_TIMEOUT(insmod, fails_cleanly, FT_TIMEOUT)
{
	long long start = sct_now_us();
	bool injected = true;
	char params[32];
	int nth, ret, fd;

	snprintf(params, sizeof(params), "refuse_default=%d", variant->refuse_default);
	for (nth = 1; nth <= SCT_FAIL_MAX && injected; nth++) {
		fd = open(sct_module_ko(), O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		sct_write_ull(SCT_FAIL_NTH, nth);
		ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
		injected = sct_fail_nth_disarm();
		close(fd);
		if (ret) {
			EXPECT_TRUE(injected) TH_LOG("nth %d: %s, no fault", nth, strerror(-ret));
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("nth %d: %s", nth, strerror(-ret));
			ft_expect(_metadata, self, nth, false, variant->refuse_default);
			continue;
		}
		ft_expect(_metadata, self, nth, true, variant->refuse_default);
		/* a failed allocation the kernel could do without: again */
		if (injected)
			ASSERT_EQ(0, sct_module_unload());
	}
	ASSERT_FALSE(injected) TH_LOG("still failing at nth %d", SCT_FAIL_MAX);
	TH_LOG("insmod made %d allocations; %lld s", nth - 2, (sct_now_us() - start) / 1000000);
	EXPECT_LE(20, nth - 2);
}

FIXTURE(refuse) {
};

FIXTURE_SETUP(refuse)
{
	const char *why = sct_fault_cannot_run();

	if (why)
		SCT_SKIP("%s", why);
	ASSERT_EQ(0, sct_new_netns());
	ASSERT_EQ(0, sct_module_unload());
	ASSERT_EQ(0, sct_module_load(sct_module_ko(), ""));
}

FIXTURE_TEARDOWN(refuse)
{
	sct_fault_restore();
	sct_set_refuse(0);
}

/* refuse=1 stays 0 and nothing refuses, until the write succeeds. */
TEST_F_TIMEOUT(refuse, write_fails_cleanly, FT_TIMEOUT)
{
	bool injected = true;
	int nth, ret;

	for (nth = 1; nth <= SCT_FAIL_MAX && injected; nth++) {
		ASSERT_EQ(0, sct_set_refuse(0));
		sct_write_ull(SCT_FAIL_NTH, nth);
		ret = sct_set_refuse(1);
		injected = sct_fail_nth_disarm();
		if (ret) {
			EXPECT_TRUE(injected);
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("nth %d: %s", nth, strerror(-ret));
		}
		EXPECT_EQ(!ret, sct_read_long(SCT_SYSCTL)) TH_LOG("nth %d", nth);
		EXPECT_EQ(ret ? 0 : ECONNREFUSED, sct_self_connect_errno(FT_PORT + 102))
			TH_LOG("nth %d", nth);
	}
	ASSERT_FALSE(injected) TH_LOG("still failing at nth %d", SCT_FAIL_MAX);
	TH_LOG("refuse=1 made %d allocations", nth - 2);
	EXPECT_LE(2, nth - 2);
}

TEST_HARNESS_MAIN
