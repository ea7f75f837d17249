// SPDX-License-Identifier: GPL-2.0
/*
 * For tests only: fail_nth=N makes the N-th registration step from now on
 * fail with -ENOMEM, as if that call had failed. The steps are the ones of
 * module init (pernet, then per namespace: packet hooks when refuse is set,
 * sysctl table, sysctl registration; then /proc/selfconn) and those of each
 * namespace created later or of each write of refuse=1. 0, the default,
 * never fails anything. Root only (mode 0600).
 */

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>

#include "selfconn.h"

static atomic_t selfconn_fail_nth = ATOMIC_INIT(0);

static int selfconn_fail_nth_set(const char *val, const struct kernel_param *kp)
{
	int n, err;

	err = kstrtoint(val, 10, &n);
	if (err)
		return err;
	if (n < 0)
		return -EINVAL;
	atomic_set(&selfconn_fail_nth, n);
	return 0;
}

static int selfconn_fail_nth_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%d\n", atomic_read(&selfconn_fail_nth));
}

static const struct kernel_param_ops selfconn_fail_nth_ops = {
	.set	= selfconn_fail_nth_set,
	.get	= selfconn_fail_nth_get,
};

module_param_cb(fail_nth, &selfconn_fail_nth_ops, NULL, 0600);
MODULE_PARM_DESC(fail_nth,
		 "for tests: the N-th registration step from now on fails with -ENOMEM (0: none)");

/* -ENOMEM if this step is the one to fail, else 0. */
int selfconn_fault(void)
{
	return atomic_dec_if_positive(&selfconn_fail_nth) == 0 ? -ENOMEM : 0;
}
