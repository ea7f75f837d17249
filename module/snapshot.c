// SPDX-License-Identifier: GPL-2.0
/*
 * Walk the TCP established hash of one namespace and copy out the sockets a
 * predicate selects: the self-connected ones, or those talking to a port.
 *
 * The walk follows established_get_first() in net/ipv4/tcp_ipv4.c: empty
 * buckets are skipped without taking their lock, at most one bucket lock is
 * held at a time, and the CPU may be yielded between buckets.
 */

#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "selfconn.h"

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

static unsigned long selfconn_tw_left_ms(const struct inet_timewait_sock *tw)
{
	long delta = (long)(tw->tw_timer.expires - jiffies);

	return delta > 0 ? jiffies_to_msecs(delta) : 0;
}

/* Called with the socket's ehash bucket lock held. */
static void selfconn_row_fill(struct selfconn_row *row, struct sock *sk)
{
	row->family = sk->sk_family;
	row->lport = sk->sk_num;
	row->rport = ntohs(sk->sk_dport);
	if (sk->sk_family == AF_INET6) {
		row->laddr = sk->sk_v6_rcv_saddr;
		row->raddr = sk->sk_v6_daddr;
	} else {
		ipv6_addr_set(&row->laddr, 0, 0, 0, sk->sk_rcv_saddr);
		ipv6_addr_set(&row->raddr, 0, 0, 0, sk->sk_daddr);
	}

	row->uid = GLOBAL_ROOT_UID;
	row->ino = 0;
	row->timer_ms = 0;
	row->timewait = false;

	switch (sk->sk_state) {
	case TCP_TIME_WAIT:
		row->timewait = true;
		row->state = inet_twsk(sk)->tw_substate;
		row->timer_ms = selfconn_tw_left_ms(inet_twsk(sk));
		break;
	case TCP_NEW_SYN_RECV:
		row->state = TCP_SYN_RECV;
		row->uid = sock_i_uid(inet_reqsk(sk)->rsk_listener);
		break;
	default:
		row->state = sk->sk_state;
		row->uid = sock_i_uid(sk);
		row->ino = sock_i_ino(sk);
		break;
	}
}

static int selfconn_snapshot_grow(struct selfconn_snapshot *snap)
{
	unsigned int cap = max(2 * snap->cap, SELFCONN_SNAPSHOT_MIN);
	struct selfconn_row *rows;

	rows = kvmalloc_array(cap, sizeof(*rows), GFP_KERNEL_ACCOUNT);
	if (!rows)
		return -ENOMEM;
	if (snap->nr)
		memcpy(rows, snap->rows, snap->nr * sizeof(*rows));
	kvfree(snap->rows);
	snap->rows = rows;
	snap->cap = cap;
	return 0;
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
