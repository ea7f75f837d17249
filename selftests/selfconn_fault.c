// SPDX-License-Identifier: GPL-2.0
/*
 * Fault paths, with the kernel's fault injection
 * (Documentation/fault-injection/fault-injection.rst): writing N to the
 * task's /proc/thread-self/fail-nth makes its N-th allocation fail
 * (failslab, with ignore-gfp-wait off so that GFP_KERNEL ones count too).
 * For N = 1, 2, ... until the operation completes without reaching N:
 *
 *   - insmod (finit_module) in four namespaces (the initial one, the
 *     test's own and two it holds with a socket in each);
 *   - the creation of a network namespace (unshare(CLONE_NEWNET)), the
 *     module loaded with refuse_default=1;
 *   - a write of net.selfconn.refuse=1.
 *
 * After each failure nothing may be left behind: no /proc/selfconn, no
 * net.selfconn in any namespace, no module, no packet hook (a self-connect
 * still connects); the debug lane adds kmemleak and KASAN. Kernels without
 * CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS
 * (Debian's) skip. After the last run the module is loaded with its
 * defaults.
 *
 * Needs root and $SELFCONN_KO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define FT_SYSCTL_DIR	"/proc/sys/net/selfconn"
#define FT_MODULE	"/sys/module/selfconn"
#define FT_FAIL_NTH	"/proc/thread-self/fail-nth"
#define FT_DEBUGFS	"/sys/kernel/debug"
#define FT_FAILSLAB	FT_DEBUGFS "/failslab"
/* Between these, an allocation failure report is expected (lane/check.sh). */
#define FT_KMSG_BEGIN	"selfconn_fault: injected allocation failures begin\n"
#define FT_KMSG_END	"selfconn_fault: injected allocation failures end\n"
#define FT_TIMEOUT	280	/* seconds per test: QEMU without KVM, KASAN */
#define FT_HELD		2	/* namespaces the test holds besides its own */
#define FT_MAX_NTH	5000	/* more allocations than any operation makes */
#define FT_PORT		18150	/* self-connects: FT_PORT + n */

/* Unloaded, or not loaded at all: 0; else -errno. */
static int ft_unload(void)
{
	int err = sct_module_unload();

	return err == -ENOENT ? 0 : err;
}

static int ft_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = -errno;
	close(fd);
	return err;
}

static int ft_read_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -EIO;
}

/* A self-connect on 127.0.0.1:port, closed with an RST: 0 or errno. */
static int ft_self_connect(int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct linger lg = { 1, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0, one = 1;

	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)))
		err = errno;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return err;
}

static double ft_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- fail-nth ---- */

/* Arm the task's fail-nth: its @nth allocation from now on fails. */
static int ft_fail_nth_arm(int nth)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", nth);
	return ft_write(FT_FAIL_NTH, buf);
}

/*
 * Disarm it; true if the fault was injected. fail-nth counts down with
 * every allocation that may fail and reads 0 once the N-th one failed.
 */
static bool ft_fail_nth_disarm(void)
{
	bool injected = ft_read_int(FT_FAIL_NTH) == 0;

	ft_write(FT_FAIL_NTH, "0");
	return injected;
}

/*
 * failslab skips sleeping allocations by default; the stack dump of
 * every injected failure would read as a splat. Returns a skip reason.
 */
static const char *ft_failslab_setup(void)
{
	if (access(FT_FAIL_NTH, W_OK))
		return "no " FT_FAIL_NTH ": the kernel lacks CONFIG_FAULT_INJECTION";
	if (access(FT_FAILSLAB, F_OK))
		mount("debugfs", FT_DEBUGFS, "debugfs", 0, NULL);
	if (access(FT_FAILSLAB, F_OK))
		return "no " FT_FAILSLAB ": the kernel lacks CONFIG_FAILSLAB or CONFIG_FAULT_INJECTION_DEBUG_FS";
	if (ft_write(FT_FAILSLAB "/ignore-gfp-wait", "N") ||
	    ft_write(FT_FAILSLAB "/verbose", "0"))
		return "cannot configure " FT_FAILSLAB;
	/* warn_alloc() reports a failed vmalloc() with a stack dump */
	ft_write("/dev/kmsg", FT_KMSG_BEGIN);
	return NULL;
}

static void ft_failslab_restore(void)
{
	ft_write(FT_FAILSLAB "/ignore-gfp-wait", "Y");
	ft_write("/dev/kmsg", FT_KMSG_END);
}

/* finit_module() with fail-nth armed: -errno or 0, and whether it failed @nth. */
static int ft_load_failing(int nth, const char *params, bool *injected)
{
	int fd, ret, err = 0;

	fd = open(sct_module_ko(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ft_fail_nth_arm(nth);
	ret = syscall(SYS_finit_module, fd, params, 0);
	if (ret)
		err = -errno;
	*injected = ft_fail_nth_disarm();
	close(fd);
	return err;
}

FIXTURE(fault) {
	bool skipped;
	int own;			/* this namespace */
	int held[FT_HELD];		/* namespaces held open */
	int sock[FT_HELD];		/* a listener in each */
};

FIXTURE_VARIANT(fault) {
	int refuse_default;
};

FIXTURE_VARIANT_ADD(fault, refuse0) {
	.refuse_default = 0,
};

/* Every namespace registers its packet hooks too. */
FIXTURE_VARIANT_ADD(fault, refuse1) {
	.refuse_default = 1,
};

/* A namespace with lo up and a listener on 127.0.0.1:18149. */
static int ft_hold_netns(int own, int *sock)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(FT_PORT - 1),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd;

	if (sct_new_netns())
		return -1;
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	*sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*sock < 0 || bind(*sock, (struct sockaddr *)&a, sizeof(a)) || listen(*sock, 4))
		return -1;
	if (setns(own, CLONE_NEWNET))
		return -1;
	return fd;
}

FIXTURE_SETUP(fault)
{
	const char *why;
	int i;

	if (geteuid() || !sct_module_ko()) {
		self->skipped = true;
		SKIP(return, "needs root and SELFCONN_KO");
	}
	why = ft_failslab_setup();
	if (why) {
		self->skipped = true;
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, sct_new_netns()) TH_LOG("new netns: %s", strerror(errno));
	self->own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->own);
	for (i = 0; i < FT_HELD; i++) {
		self->held[i] = ft_hold_netns(self->own, &self->sock[i]);
		ASSERT_LE(0, self->held[i]) TH_LOG("namespace %d: %s", i, strerror(errno));
	}
	ASSERT_EQ(0, ft_unload());
}

/* Leave the module loaded with its defaults, whatever happened. */
FIXTURE_TEARDOWN(fault)
{
	int i;

	if (self->skipped)
		return;
	ft_fail_nth_disarm();
	ft_failslab_restore();
	ft_unload();
	EXPECT_EQ(0, sct_module_load(sct_module_ko(), ""));
	for (i = 0; i < FT_HELD; i++) {
		close(self->sock[i]);
		close(self->held[i]);
	}
	close(self->own);
}

/*
 * Nothing of the module is left: in this namespace and the held ones. With
 * @hooks (refuse_default=1 registered them), a hook left behind would
 * refuse a self-connect, or run freed code.
 */
static void ft_expect_gone(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
			   int nth, bool hooks)
{
	int i;

	EXPECT_NE(0, access(SCT_PROC, F_OK)) TH_LOG("nth %d: %s left", nth, SCT_PROC);
	EXPECT_NE(0, access(FT_MODULE, F_OK)) TH_LOG("nth %d: the module is loaded", nth);
	EXPECT_NE(0, access(FT_SYSCTL_DIR, F_OK)) TH_LOG("nth %d: net.selfconn left", nth);
	if (hooks)
		EXPECT_EQ(0, ft_self_connect(FT_PORT + nth % 100)) TH_LOG("nth %d", nth);
	for (i = 0; i < FT_HELD; i++) {
		ASSERT_EQ(0, setns(self->held[i], CLONE_NEWNET));
		EXPECT_NE(0, access(FT_SYSCTL_DIR, F_OK))
			TH_LOG("nth %d: net.selfconn left in namespace %d", nth, i);
		if (hooks)
			EXPECT_EQ(0, ft_self_connect(FT_PORT + nth % 100));
		ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
	}
}

/* Loaded and working in this namespace, with refuse at @refuse. */
static void ft_expect_working(struct __test_metadata *_metadata, int refuse, int port)
{
	EXPECT_EQ(0, access(SCT_PROC, R_OK));
	EXPECT_EQ(refuse, ft_read_int(SCT_SYSCTL));
	EXPECT_EQ(refuse ? ECONNREFUSED : 0, ft_self_connect(port));
}

/* ... and in every namespace the test holds. */
static void ft_expect_loaded(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
			     int refuse)
{
	int i;

	ft_expect_working(_metadata, refuse, FT_PORT + 100);
	for (i = 0; i < FT_HELD; i++) {
		ASSERT_EQ(0, setns(self->held[i], CLONE_NEWNET));
		ft_expect_working(_metadata, refuse, FT_PORT + 100);
		ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
	}
}

/*
 * insmod failing its 1st, 2nd, ... allocation, the module's init in every
 * namespace included, until it loads without reaching N.
 */
TEST_F_TIMEOUT(fault, insmod, FT_TIMEOUT)
{
	double start = ft_seconds();
	bool injected = true;
	char params[32];
	int nth, ret;

	if (self->skipped)
		return;
	snprintf(params, sizeof(params), "refuse_default=%d", variant->refuse_default);
	for (nth = 1; nth <= FT_MAX_NTH && injected; nth++) {
		ret = ft_load_failing(nth, params, &injected);
		if (ret) {
			EXPECT_TRUE(injected) TH_LOG("nth %d: %s without a fault", nth,
						     strerror(-ret));
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("nth %d: %s", nth, strerror(-ret));
			ft_expect_gone(_metadata, self, nth, variant->refuse_default);
			continue;
		}
		ft_expect_loaded(_metadata, self, variant->refuse_default);
		/* a failed allocation the kernel could do without: again */
		if (injected)
			ASSERT_EQ(0, ft_unload());
	}
	ASSERT_FALSE(injected) TH_LOG("still failing at nth %d", FT_MAX_NTH);
	TH_LOG("insmod made %d allocations; %.0f s", nth - 2, ft_seconds() - start);
	EXPECT_LE(20, nth - 2);
	ft_expect_loaded(_metadata, self, variant->refuse_default);
}

/*
 * A new namespace failing its 1st, 2nd, ... allocation, those of the
 * module's pernet init included, until it is created without reaching N.
 * With refuse_default=1 that init registers the hooks, then the sysctl:
 * every failure path of refuse_default=0 is one of these too.
 */
FIXTURE(netns) {
	bool skipped;
	int own;
};

FIXTURE_SETUP(netns)
{
	const char *why = NULL;

	if (geteuid() || !sct_module_ko())
		why = "needs root and SELFCONN_KO";
	else
		why = ft_failslab_setup();
	if (why) {
		self->skipped = true;
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, sct_new_netns());
	self->own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->own);
	ASSERT_EQ(0, ft_unload());
	ASSERT_EQ(0, sct_module_load(sct_module_ko(), "refuse_default=1"));
}

FIXTURE_TEARDOWN(netns)
{
	if (self->skipped)
		return;
	ft_fail_nth_disarm();
	ft_failslab_restore();
	ft_unload();
	EXPECT_EQ(0, sct_module_load(sct_module_ko(), ""));
	close(self->own);
}

TEST_F_TIMEOUT(netns, create_fails, FT_TIMEOUT)
{
	double start = ft_seconds();
	bool injected = true;
	int nth, ret;

	if (self->skipped)
		return;
	for (nth = 1; nth <= FT_MAX_NTH && injected; nth++) {
		ft_fail_nth_arm(nth);
		ret = unshare(CLONE_NEWNET);
		injected = ft_fail_nth_disarm();
		if (ret) {
			EXPECT_TRUE(injected) TH_LOG("nth %d: %s without a fault", nth,
						     strerror(errno));
			continue;
		}
		ASSERT_EQ(0, sct_lo_up());
		ft_expect_working(_metadata, 1, FT_PORT + 101);
		ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
	}
	ASSERT_FALSE(injected) TH_LOG("still failing at nth %d", FT_MAX_NTH);
	TH_LOG("a new namespace made %d allocations; %.0f s", nth - 2, ft_seconds() - start);
	ft_expect_working(_metadata, 1, FT_PORT + 100);
}

/*
 * refuse=1 failing its 1st, 2nd, ... allocation (the sysctl's buffer, the
 * hooks): refuse stays 0 and nothing refuses, until it succeeds. Once: it
 * does not depend on refuse_default.
 */
FIXTURE(refuse) {
	bool skipped;
};

FIXTURE_SETUP(refuse)
{
	const char *why = NULL;

	if (geteuid() || !sct_module_ko())
		why = "needs root and SELFCONN_KO";
	else
		why = ft_failslab_setup();
	if (why) {
		self->skipped = true;
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, sct_new_netns());
	ASSERT_EQ(0, ft_unload());
	ASSERT_EQ(0, sct_module_load(sct_module_ko(), ""));
}

FIXTURE_TEARDOWN(refuse)
{
	if (self->skipped)
		return;
	ft_fail_nth_disarm();
	ft_failslab_restore();
	ft_write(SCT_SYSCTL, "0\n");
}

TEST_F_TIMEOUT(refuse, write_fails, FT_TIMEOUT)
{
	bool injected = true;
	int nth, ret;

	if (self->skipped)
		return;
	for (nth = 1; nth <= FT_MAX_NTH && injected; nth++) {
		ASSERT_EQ(0, ft_write(SCT_SYSCTL, "0\n"));
		ft_fail_nth_arm(nth);
		ret = ft_write(SCT_SYSCTL, "1\n");
		injected = ft_fail_nth_disarm();
		if (ret) {
			EXPECT_TRUE(injected);
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("nth %d: %s", nth, strerror(-ret));
			EXPECT_EQ(0, ft_read_int(SCT_SYSCTL)) TH_LOG("nth %d", nth);
			EXPECT_EQ(0, ft_self_connect(FT_PORT + 102)) TH_LOG("nth %d", nth);
			continue;
		}
		EXPECT_EQ(1, ft_read_int(SCT_SYSCTL));
		EXPECT_EQ(ECONNREFUSED, ft_self_connect(FT_PORT + 102));
	}
	ASSERT_FALSE(injected) TH_LOG("still failing at nth %d", FT_MAX_NTH);
	TH_LOG("refuse=1 made %d allocations", nth - 2);
	EXPECT_LE(2, nth - 2);
}

TEST_HARNESS_MAIN
