// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn: make self-connected TCP sockets visible.
 */

#include <linux/module.h>

#include "proc.h"
#include "refuse.h"
#include "watch.h"

static int __init selfconn_init(void)
{
	int err;

	err = selfconn_watch_init();
	if (err)
		return err;
	err = selfconn_refuse_init();
	if (err)
		goto err_watch;
	err = selfconn_proc_init();
	if (err)
		goto err_refuse;
	return 0;

err_refuse:
	selfconn_refuse_exit();
err_watch:
	selfconn_watch_exit();
	return err;
}

static void __exit selfconn_exit(void)
{
	selfconn_proc_exit();
	selfconn_refuse_exit();
	selfconn_watch_exit();
}

module_init(selfconn_init);
module_exit(selfconn_exit);

MODULE_DESCRIPTION("List self-connected TCP sockets in /proc/selfconn");
MODULE_AUTHOR("selfconn developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(SELFCONN_VERSION);
