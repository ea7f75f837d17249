// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn: make self-connected TCP sockets visible.
 */

#include <linux/module.h>

#include "selfconn.h"

static int __init selfconn_init(void)
{
	int err;

	err = selfconn_pernet_init();
	if (err)
		return err;
	err = selfconn_proc_init();
	if (err)
		selfconn_pernet_exit();
	return err;
}

static void __exit selfconn_exit(void)
{
	selfconn_proc_exit();
	selfconn_pernet_exit();
}

module_init(selfconn_init);
module_exit(selfconn_exit);

MODULE_DESCRIPTION("List self-connected TCP sockets in /proc/selfconn");
MODULE_AUTHOR("selfconn developers");
MODULE_LICENSE("GPL");
