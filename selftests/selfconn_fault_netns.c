// SPDX-License-Identifier: GPL-2.0
/*
 * The fault paths of a namespace's creation, as in selfconn_fault.c: unshare(CLONE_NEWNET)
 * fails its N-th slab allocation, the module's pernet init included, until it succeeds.
 * With refuse_default=1 that init registers the hooks, then the sysctl: every failure path
 * of refuse_default=0 is one of these too.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define FT_TIMEOUT	280	/* seconds: QEMU without KVM, KASAN */
#define FT_PORT		18160

FIXTURE(netns) {
	int own;
};

FIXTURE_SETUP(netns)
{
	const char *why = sct_fault_cannot_run();

	if (why)
		SCT_SKIP("%s", why);
	ASSERT_EQ(0, sct_new_netns());
	self->own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->own);
	ASSERT_EQ(0, sct_module_unload());
	ASSERT_EQ(0, sct_module_load(sct_module_ko(), "refuse_default=1"));
}

FIXTURE_TEARDOWN(netns)
{
	sct_fault_restore();
	sct_module_unload();
	EXPECT_EQ(0, sct_module_load(sct_module_ko(), ""));
	close(self->own);
}

TEST_F_TIMEOUT(netns, create_fails_cleanly, FT_TIMEOUT)
{
	long long start = sct_now_us();
	bool injected = true;
	int nth, ret;

	for (nth = 1; nth <= SCT_FAIL_MAX && injected; nth++) {
		sct_write_ull(SCT_FAIL_NTH, nth);
		ret = unshare(CLONE_NEWNET);
		injected = sct_fail_nth_disarm();
		if (ret) {
			EXPECT_TRUE(injected) TH_LOG("nth %d: %s, no fault", nth, strerror(errno));
			continue;
		}
		ASSERT_EQ(0, sct_lo_up());
		EXPECT_EQ(1, sct_read_long(SCT_SYSCTL));
		EXPECT_EQ(ECONNREFUSED, sct_self_connect_errno(FT_PORT));
		ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
	}
	ASSERT_FALSE(injected) TH_LOG("still failing at nth %d", SCT_FAIL_MAX);
	TH_LOG("new netns: %d allocations; %lld s", nth - 2, (sct_now_us() - start) / 1000000);
	EXPECT_EQ(1, sct_read_long(SCT_SYSCTL));
	EXPECT_EQ(ECONNREFUSED, sct_self_connect_errno(FT_PORT + 1));
}

TEST_HARNESS_MAIN
