/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_WATCH_H
#define _SELFCONN_WATCH_H

#include <linux/types.h>

struct net;

#define SELFCONN_MAX_WATCHED	64

int selfconn_watch_add(struct net *net, u16 port);
int selfconn_watch_del(struct net *net, u16 port);
void selfconn_watch_clear(struct net *net);
unsigned int selfconn_watch_copy(struct net *net, u16 ports[SELFCONN_MAX_WATCHED]);

int selfconn_watch_init(void);
void selfconn_watch_exit(void);

#endif /* _SELFCONN_WATCH_H */
