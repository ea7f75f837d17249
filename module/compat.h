/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, kept in one place.
 *
 * The module is written against the newest kernel's API; what an older
 * kernel lacks is provided here. Which kernel has what is found by the
 * feature probes of module/Kbuild (SELFCONN_HAVE_*: they grep the kernel's
 * headers), never by the kernel's version number, because distributions
 * backport. Supported: Linux 5.10 and later.
 */
#ifndef _SELFCONN_COMPAT_H
#define _SELFCONN_COMPAT_H

#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#if !IS_ENABLED(CONFIG_IPV6)
#error "selfconn needs CONFIG_IPV6"
#endif

/*
 * The TCP hash tables a namespace uses: per-netns ehash from 6.1 on, the
 * global table (the same pointer) before.
 */
static inline struct inet_hashinfo *selfconn_tcp_hashinfo(const struct net *net)
{
	return net->ipv4.tcp_death_row.hashinfo;
}

/*
 * 6.17 removed sock_i_uid() (7.3 has sk_uid() only, 6.12 the former): the
 * owner is sk_uid(), which a child socket copies from its listener.
 * Before, /proc/net/tcp printed the inode's owner (root for a socket not
 * yet accepted): so does this.
 */
#ifndef SELFCONN_HAVE_SK_UID
static inline kuid_t sk_uid(const struct sock *sk)
{
	return sock_i_uid((struct sock *)sk);
}
#endif

/*
 * 6.6 moved inet_sock's bit fields into inet_flags, read with
 * inet_test_bit(NAME, sk); before, NAME was a field of its own.
 */
#ifndef SELFCONN_HAVE_INET_TEST_BIT
#define SELFCONN_INET_BIT_DEFER_CONNECT	defer_connect
#define inet_test_bit(nr, sk)	(inet_sk(sk)->SELFCONN_INET_BIT_ ## nr)
#endif

/*
 * 6.6 added register_net_sysctl_sz(), with the table's size; before, the
 * table ended with an empty entry. Callers of this one leave a zeroed
 * entry after the @table_size entries, for the older kernels.
 */
#ifndef SELFCONN_HAVE_REGISTER_NET_SYSCTL_SZ
static inline struct ctl_table_header *
register_net_sysctl_sz(struct net *net, const char *path,
		       struct ctl_table *table, size_t table_size)
{
	return register_net_sysctl(net, path, table);
}
#endif

/*
 * 6.11 made a proc_handler's table const: SELFCONN_SYSCTL_CONST is the
 * qualifier the kernel's proc_handler type has. After 6.12 its second
 * argument is "dir", tested with SYSCTL_USER_TO_KERN() (7.3 has it).
 */
#ifdef SELFCONN_HAVE_CONST_PROC_HANDLER
#define SELFCONN_SYSCTL_CONST	const
#else
#define SELFCONN_SYSCTL_CONST
#endif
#ifndef SYSCTL_USER_TO_KERN
#define SYSCTL_USER_TO_KERN(dir)	(!!(dir))
#endif

/* kzalloc_obj(P, gfp): one zeroed object of P's type (7.3 has it, 6.12 not). */
#ifndef kzalloc_obj
#define kzalloc_obj(P, gfp)	kzalloc(sizeof(P), gfp)
#endif

/*
 * The bind hashes. A port's bind bucket (bhash, tb) and, from 6.1 on, its
 * (port, address) buckets (bhash2, tb2):
 *
 * - 6.8 linked them ("tcp: Link bhash2 to bhash"): every socket bound to
 *   the port, TIME-WAIT included, is on its tb2's owners, and the tb2
 *   buckets are on tb->bhash2. This is the model the report is written
 *   for. Every change to those lists holds the bhash lock, then the bhash2
 *   lock.
 * - 6.1 to 6.7: every socket, TIME-WAIT included, is also on tb->owners;
 *   a tb2 has its full sockets on owners and TIME-WAIT ones on deathrow.
 * - Before 6.1 there is no bhash2.
 *
 * The walks take a callback: @fn(@arg, sk) for each socket.
 */
struct inet_bind2_bucket;
typedef void selfconn_sk_fn(void *arg, struct sock *sk);

#ifdef SELFCONN_HAVE_BHASH2
#define SELFCONN_KERNEL_HAS_BHASH2	true
#else
#define SELFCONN_KERNEL_HAS_BHASH2	false
#endif

/* Every socket bound to @tb's port; under the port's bhash lock. */
static inline void selfconn_walk_tb(const struct inet_bind_bucket *tb,
				    selfconn_sk_fn *fn, void *arg)
{
#ifdef SELFCONN_HAVE_BHASH2_IN_BHASH
	const struct inet_bind2_bucket *tb2;
	struct sock *sk;

	hlist_for_each_entry(tb2, &tb->bhash2, bhash_node)
		sk_for_each_bound(sk, &tb2->owners)
			fn(arg, sk);
#else
	struct sock *sk;

	sk_for_each_bound(sk, &tb->owners)
		fn(arg, sk);
#endif
}

/* The bhash2 bucket of a socket on the bind hashes; NULL without bhash2. */
static inline const struct inet_bind2_bucket *selfconn_sk_tb2(const struct sock *sk)
{
#ifdef SELFCONN_HAVE_BHASH2
	if (sk->sk_state == TCP_TIME_WAIT)
		return inet_twsk(sk)->tw_tb2;
	return inet_csk(sk)->icsk_bind2_hash;
#else
	return NULL;
#endif
}

/*
 * Every socket of @tb2, full sockets first, then TIME-WAIT: under the
 * port's bhash lock, this takes @tb2's bhash2 lock (the kernel's order),
 * found from @rep, a socket of @tb2. Without bhash2, nothing.
 */
static inline void selfconn_walk_tb2(struct inet_hashinfo *hinfo,
				     struct net *net, u16 port,
				     const struct inet_bind2_bucket *tb2,
				     const struct sock *rep,
				     selfconn_sk_fn *fn, void *arg)
{
#ifdef SELFCONN_HAVE_BHASH2
	struct inet_bind_hashbucket *head2 = inet_bhashfn_portaddr(hinfo, rep, net, port);
	struct sock *sk;
#ifndef SELFCONN_HAVE_BHASH2_IN_BHASH
	struct inet_timewait_sock *tw;
#endif

	spin_lock(&head2->lock);
#ifdef SELFCONN_HAVE_BHASH2_IN_BHASH
	sk_for_each_bound(sk, &tb2->owners)
		if (sk->sk_state != TCP_TIME_WAIT)
			fn(arg, sk);
	sk_for_each_bound(sk, &tb2->owners)
		if (sk->sk_state == TCP_TIME_WAIT)
			fn(arg, sk);
#else
	sk_for_each_bound_bhash2(sk, &tb2->owners)
		fn(arg, sk);
	twsk_for_each_bound_bhash2(tw, &tb2->deathrow)
		fn(arg, (struct sock *)tw);
#endif
	spin_unlock(&head2->lock);
#endif
}

#endif /* _SELFCONN_COMPAT_H */
