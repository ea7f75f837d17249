/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_REFUSE_H
#define _SELFCONN_REFUSE_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct ctl_table_header;
struct net;
struct seq_file;

/* Per-namespace state of net.selfconn.refuse (refuse.c). */
struct selfconn_refuse_net {
	struct net		*net;
	struct ctl_table_header	*sysctl;
	struct mutex		lock;		/* serialises writes of refuse */
	int			refuse;		/* 1: the hooks are registered */
	atomic64_t		attempts;	/* self-connect SYNs seen */
	atomic64_t		refused;	/* of those, refused */
};

int selfconn_refuse_net_init(struct net *net);
void selfconn_refuse_net_pre_exit(struct net *net);
void selfconn_refuse_net_exit(struct net *net);
void selfconn_refuse_show(struct seq_file *seq, struct net *net);

#endif /* _SELFCONN_REFUSE_H */
