/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_REFUSE_H
#define _SELFCONN_REFUSE_H

#include <linux/types.h>

struct net;
struct seq_file;

/* Per-namespace state of net.selfconn.refuse (refuse.c). */
struct selfconn_refuse_net {
	int	refuse;
};

int selfconn_refuse_net_init(struct net *net);
void selfconn_refuse_net_exit(struct net *net);
void selfconn_refuse_show(struct seq_file *seq, struct net *net);

#endif /* _SELFCONN_REFUSE_H */
