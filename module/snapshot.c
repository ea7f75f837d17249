// SPDX-License-Identifier: GPL-2.0
/*
 * Walk the TCP established hash of one namespace and copy out the sockets a
 * predicate selects: the self-connected ones, or those talking to a port.
 *
 * The walk follows established_get_first() in net/ipv4/tcp_ipv4.c: empty
 * buckets are skipped without taking their lock, at most one bucket lock is
 * held at a time, and the CPU may be yielded between buckets.
 */

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "compat.h"
#include "row.h"
#include "snapshot.h"

#define SELFCONN_SNAPSHOT_MIN	16

/*
 * Full sockets, timewait and request sockets all start with struct
 * sock_common, whose address and port fields are all this test reads.
 */
bool selfconn_match_self(const struct sock *sk, unsigned int unused)
{
	if (sk->sk_dport != htons(sk->sk_num))
		return false;
	if (sk->sk_family == AF_INET6)
		return ipv6_addr_equal(&sk->sk_v6_rcv_saddr, &sk->sk_v6_daddr);
	return sk->sk_rcv_saddr == sk->sk_daddr;
}

bool selfconn_match_rport(const struct sock *sk, unsigned int port)
{
	return ntohs(sk->sk_dport) == port;
}

/*
 * Make room for @need elements of @size in *@array, which holds @nr of
 * *@cap: the capacity at least doubles, so that copying out of a growing
 * table costs amortised constant time per element. Never under a spinlock.
 */
int selfconn_array_reserve(void **array, unsigned int *cap, unsigned int nr,
			   unsigned int need, size_t size)
{
	unsigned int new_cap;
	void *new;

	might_sleep();
	if (need <= *cap)
		return 0;
	new_cap = max3(need, 2 * *cap, (unsigned int)SELFCONN_SNAPSHOT_MIN);
	new = kvmalloc_array(new_cap, size, GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	if (nr)
		memcpy(new, *array, nr * size);
	kvfree(*array);
	*array = new;
	*cap = new_cap;
	return 0;
}

static int selfconn_snapshot_grow(struct selfconn_snapshot *snap)
{
	return selfconn_array_reserve((void **)&snap->rows, &snap->cap, snap->nr,
				      snap->cap + 1, sizeof(*snap->rows));
}

/*
 * Copy the matching sockets of one bucket. Returns -ENOSPC, with nothing
 * added, when the snapshot is too small for them: the caller grows it
 * outside the lock and tries the bucket again.
 */
static int selfconn_snapshot_bucket(struct selfconn_snapshot *snap,
				    const struct net *net,
				    struct inet_hashinfo *hinfo,
				    unsigned int bucket,
				    selfconn_match_t match, unsigned int arg)
{
	spinlock_t *lock = inet_ehash_lockp(hinfo, bucket);
	unsigned int start = snap->nr;
	struct hlist_nulls_node *node;
	struct sock *sk;
	int err = 0;

	spin_lock_bh(lock);
	sk_nulls_for_each(sk, node, &hinfo->ehash[bucket].chain) {
		if (!net_eq(sock_net(sk), net) || !match(sk, arg))
			continue;
		if (snap->nr == snap->cap) {
			snap->nr = start;
			err = -ENOSPC;
			break;
		}
		selfconn_row_fill(&snap->rows[snap->nr++], sk);
	}
	spin_unlock_bh(lock);
	return err;
}

int selfconn_snapshot_take(struct selfconn_snapshot *snap, const struct net *net,
			   selfconn_match_t match, unsigned int arg)
{
	struct inet_hashinfo *hinfo = selfconn_tcp_hashinfo(net);
	unsigned int bucket;
	int err;

	snap->nr = 0;
	for (bucket = 0; bucket <= hinfo->ehash_mask; bucket++) {
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
		/* Lockless fast path for the common case of empty buckets. */
		if (hlist_nulls_empty(&hinfo->ehash[bucket].chain))
			continue;
		for (;;) {
			err = selfconn_snapshot_bucket(snap, net, hinfo, bucket,
						       match, arg);
			if (err != -ENOSPC)
				break;
			err = selfconn_snapshot_grow(snap);
			if (err)
				return err;
		}
	}
	return 0;
}

void selfconn_snapshot_free(struct selfconn_snapshot *snap)
{
	kvfree(snap->rows);
	snap->rows = NULL;
	snap->nr = 0;
	snap->cap = 0;
}
