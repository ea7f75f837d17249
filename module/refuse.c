// SPDX-License-Identifier: GPL-2.0
/*
 * net.selfconn.refuse: make self-connects fail with ECONNREFUSED.
 * (Not implemented yet.)
 */

#include <linux/seq_file.h>

#include "selfconn.h"

int selfconn_refuse_net_init(struct net *net)
{
	return 0;
}

void selfconn_refuse_net_exit(struct net *net)
{
}

/* Appends the namespace's counters to the /proc/selfconn header line. */
void selfconn_refuse_show(struct seq_file *seq, struct net *net)
{
}
