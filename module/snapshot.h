/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_SNAPSHOT_H
#define _SELFCONN_SNAPSHOT_H

#include <linux/types.h>

struct net;
struct sock;
struct selfconn_row;

/* Which sockets a snapshot keeps; called with the bucket lock held. */
typedef bool (*selfconn_match_t)(const struct sock *sk, unsigned int arg);

bool selfconn_match_self(const struct sock *sk, unsigned int unused);
bool selfconn_match_rport(const struct sock *sk, unsigned int port);

/* Rows copied out of the established hash of one namespace. */
struct selfconn_snapshot {
	struct selfconn_row	*rows;
	unsigned int		nr;
	unsigned int		cap;
};

int selfconn_snapshot_take(struct selfconn_snapshot *snap, const struct net *net,
			   selfconn_match_t match, unsigned int arg);
void selfconn_snapshot_free(struct selfconn_snapshot *snap);

int selfconn_array_reserve(void **array, unsigned int *cap, unsigned int nr,
			   unsigned int need, size_t size);

#endif /* _SELFCONN_SNAPSHOT_H */
