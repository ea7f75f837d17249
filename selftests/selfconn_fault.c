// SPDX-License-Identifier: GPL-2.0
/*
 * Fault paths: when a registration step fails, selfconn undoes everything
 * it did, whether in module init, in the set-up of a namespace created
 * later, or in a write of refuse=1.
 *
 * The module's test-only parameter fail_nth=N makes the N-th registration
 * step from then on fail with ENOMEM (module/fault.c). Loading with N = 1,
 * 2, ... fails at every step of init in turn, in every namespace that
 * exists (four at least: the initial one, the test's own and two it holds
 * with a socket in each), until a load succeeds. Each failed load must leave no trace: no
 * /proc/selfconn, no net.selfconn in any namespace, no module, no packet
 * hook (a self-connect still connects). The debug lane adds kmemleak and
 * KASAN. After the last run the module is loaded with its defaults.
 *
 * Needs root and $SELFCONN_KO.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define FT_PROC		"/proc/selfconn"
#define FT_SYSCTL	"/proc/sys/net/selfconn/refuse"
#define FT_SYSCTL_DIR	"/proc/sys/net/selfconn"
#define FT_MODULE	"/sys/module/selfconn"
#define FT_FAIL_NTH	"/sys/module/selfconn/parameters/fail_nth"
#define FT_MODNAME	"selfconn"
#define FT_TIMEOUT	240	/* seconds per test: QEMU without KVM, KASAN */
#define FT_HELD		2	/* namespaces the test holds besides its own */
#define FT_MAX_STEPS	200
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

/* Every namespace registers its packet hooks: one more step each. */
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
	int i;

	if (geteuid() || !sct_module_ko()) {
		self->skipped = true;
		SKIP(return, "needs root and SELFCONN_KO");
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
	ft_unload();
	EXPECT_EQ(0, sct_module_load(sct_module_ko(), ""));
	for (i = 0; i < FT_HELD; i++) {
		close(self->sock[i]);
		close(self->held[i]);
	}
	close(self->own);
}

/* Nothing of the module is left: in this namespace and the held ones. */
static void ft_expect_gone(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
			   int step)
{
	int i;

	EXPECT_NE(0, access(FT_PROC, F_OK)) TH_LOG("step %d: %s left", step, FT_PROC);
	EXPECT_NE(0, access(FT_MODULE, F_OK)) TH_LOG("step %d: the module is loaded", step);
	EXPECT_NE(0, access(FT_SYSCTL_DIR, F_OK)) TH_LOG("step %d: net.selfconn left", step);
	/* a hook left behind would refuse it, or run freed code */
	EXPECT_EQ(0, ft_self_connect(FT_PORT + step % 100)) TH_LOG("step %d", step);
	for (i = 0; i < FT_HELD; i++) {
		ASSERT_EQ(0, setns(self->held[i], CLONE_NEWNET));
		EXPECT_NE(0, access(FT_SYSCTL_DIR, F_OK))
			TH_LOG("step %d: net.selfconn left in namespace %d", step, i);
		EXPECT_EQ(0, ft_self_connect(FT_PORT + step % 100));
		ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
	}
}

/* Loaded and working everywhere, with refuse at its default. */
static void ft_expect_loaded(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
			     int refuse)
{
	int i;

	EXPECT_EQ(0, access(FT_PROC, R_OK));
	EXPECT_EQ(refuse, ft_read_int(FT_SYSCTL));
	EXPECT_EQ(refuse ? ECONNREFUSED : 0, ft_self_connect(FT_PORT + 100));
	for (i = 0; i < FT_HELD; i++) {
		ASSERT_EQ(0, setns(self->held[i], CLONE_NEWNET));
		EXPECT_EQ(refuse, ft_read_int(FT_SYSCTL)) TH_LOG("namespace %d", i);
		EXPECT_EQ(refuse ? ECONNREFUSED : 0, ft_self_connect(FT_PORT + 100));
		ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
	}
}

/*
 * fail_nth = 1, 2, ... until the load succeeds: every step of init fails
 * once, in every namespace, then a load with that parameter works and the
 * step it did not reach fails in the next namespace created.
 */
TEST_F_TIMEOUT(fault, module_init, FT_TIMEOUT)
{
	int n, ret, steps, min_steps, nsfd;
	char params[64];

	if (self->skipped)
		return;
	for (n = 1; n <= FT_MAX_STEPS; n++) {
		snprintf(params, sizeof(params), "fail_nth=%d refuse_default=%d", n,
			 variant->refuse_default);
		ret = sct_module_load(sct_module_ko(), params);
		if (!ret)
			break;
		EXPECT_EQ(-ENOMEM, ret) TH_LOG("step %d: %s", n, strerror(-ret));
		ft_expect_gone(_metadata, self, n);
	}
	ASSERT_GE(FT_MAX_STEPS, n);
	steps = n - 1;
	/* pernet, proc; per namespace: sysctl table and registration, hooks */
	min_steps = 2 + (FT_HELD + 2) * (2 + variant->refuse_default);
	TH_LOG("%d registration steps in init", steps);
	EXPECT_LE(min_steps, steps);

	/* The counter is at 1: the next namespace fails to set up, cleanly. */
	EXPECT_EQ(1, ft_read_int(FT_FAIL_NTH));
	EXPECT_NE(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(0, ft_read_int(FT_FAIL_NTH));
	ft_expect_loaded(_metadata, self, variant->refuse_default);

	/* every step of a new namespace, in turn */
	for (n = 2; n <= FT_MAX_STEPS; n++) {
		snprintf(params, sizeof(params), "%d", n);
		ASSERT_EQ(0, ft_write(FT_FAIL_NTH, params));
		if (!unshare(CLONE_NEWNET))
			break;
		EXPECT_EQ(ENOMEM, errno) TH_LOG("namespace step %d", n);
	}
	ASSERT_GE(FT_MAX_STEPS, n);
	TH_LOG("%d registration steps for a new namespace", n - 1);
	EXPECT_EQ(2 + variant->refuse_default, n - 1);
	ASSERT_EQ(0, ft_write(FT_FAIL_NTH, "0"));
	ASSERT_EQ(0, sct_lo_up());
	EXPECT_EQ(variant->refuse_default, ft_read_int(FT_SYSCTL));
	EXPECT_EQ(variant->refuse_default ? ECONNREFUSED : 0, ft_self_connect(FT_PORT + 101));
	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nsfd);
	ASSERT_EQ(0, setns(self->own, CLONE_NEWNET));
	close(nsfd);

	/* and then a plain load works */
	ASSERT_EQ(0, ft_unload());
	ft_expect_gone(_metadata, self, 0);
	ASSERT_EQ(0, sct_module_load(sct_module_ko(), ""));
	ft_expect_loaded(_metadata, self, 0);
}

/* refuse=1 whose hooks cannot be registered: ENOMEM, and still 0. */
TEST_F_TIMEOUT(fault, refuse_write, FT_TIMEOUT)
{
	if (self->skipped)
		return;
	ASSERT_EQ(0, sct_module_load(sct_module_ko(), ""));
	ASSERT_EQ(0, ft_write(FT_SYSCTL, "0\n"));
	ASSERT_EQ(0, ft_write(FT_FAIL_NTH, "1"));
	EXPECT_EQ(-ENOMEM, ft_write(FT_SYSCTL, "1\n"));
	EXPECT_EQ(0, ft_read_int(FT_FAIL_NTH));
	EXPECT_EQ(0, ft_read_int(FT_SYSCTL));
	EXPECT_EQ(0, ft_self_connect(FT_PORT + 102));
	/* then it works */
	EXPECT_EQ(0, ft_write(FT_SYSCTL, "1\n"));
	EXPECT_EQ(ECONNREFUSED, ft_self_connect(FT_PORT + 102));
	EXPECT_EQ(0, ft_write(FT_SYSCTL, "0\n"));
	/* the parameter: root only, not negative */
	EXPECT_EQ(-EINVAL, ft_write(FT_FAIL_NTH, "-1"));
	EXPECT_EQ(-EINVAL, ft_write(FT_FAIL_NTH, "x"));
	EXPECT_EQ(0, ft_read_int(FT_FAIL_NTH));
}

TEST_HARNESS_MAIN
