/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_REFUSE_H
#define _SELFCONN_REFUSE_H

#include <linux/types.h>

struct net;

void selfconn_refuse_counters(const struct net *net, u64 *attempts, u64 *refused);

int selfconn_refuse_init(void);
void selfconn_refuse_exit(void);

#endif /* _SELFCONN_REFUSE_H */
