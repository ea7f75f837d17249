// SPDX-License-Identifier: GPL-2.0
/*
 * Who occupies a TCP port in one namespace: the bhash bucket and its
 * owners, the bhash2 buckets, the listeners, the established-hash entries
 * on either side, and what bind() and connect() would say right now.
 *
 * Everything local to the port is read from the port's bhash bucket under
 * its lock: every TCP socket holding a local port, timewait included, is an
 * owner there (inet_bind_hash(), inet_twsk_bind_hash()). Only the entries
 * whose remote port is P need a walk of the whole established hash.
 */

#include <linux/seq_file.h>
#include <linux/user_namespace.h>
#include <net/inet_connection_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "selfconn.h"

/* At most this many bhash2 buckets (local addresses) are listed per port. */
#define SELFCONN_MAX_BHASH2	16

struct selfconn_counts {
	unsigned int	owners;
	unsigned int	bhash2;
	unsigned int	listeners;
	unsigned int	ehash_local;
	unsigned int	ehash_remote;
	unsigned int	timewait;
};

static bool selfconn_is_tw(const struct sock *sk)
{
	return sk->sk_state == TCP_TIME_WAIT;
}

static void selfconn_sk_laddr(const struct sock *sk, struct in6_addr *addr)
{
	if (sk->sk_family == AF_INET6)
		*addr = sk->sk_v6_rcv_saddr;
	else
		ipv6_addr_set(addr, 0, 0, 0, sk->sk_rcv_saddr);
}

static void selfconn_sk_raddr(const struct sock *sk, struct in6_addr *addr)
{
	if (sk->sk_family == AF_INET6)
		*addr = sk->sk_v6_daddr;
	else
		ipv6_addr_set(addr, 0, 0, 0, sk->sk_daddr);
}

/* " inet 127.0.0.1:P" for any socket of the bhash. */
static void selfconn_show_laddr(struct seq_file *seq, const struct sock *sk)
{
	struct in6_addr addr;

	selfconn_sk_laddr(sk, &addr);
	seq_puts(seq, sk->sk_family == AF_INET6 ? " inet6 " : " inet ");
	selfconn_seq_addr(seq, sk->sk_family, &addr, sk->sk_num);
}

/* " inet 127.0.0.1:P STATE" */
static void selfconn_show_local(struct seq_file *seq, const struct sock *sk)
{
	selfconn_show_laddr(seq, sk);
	seq_printf(seq, " %s", selfconn_state_name(selfconn_is_tw(sk) ?
				inet_twsk(sk)->tw_substate : sk->sk_state));
}

static unsigned long selfconn_ino(struct sock *sk)
{
	return selfconn_is_tw(sk) ? 0 : sock_i_ino(sk);
}

/*
 * How a socket got its port. A timewait socket keeps no record of it.
 * An accepted socket inherits its listener's bucket (__inet_inherit_port())
 * and, through sk_clone_lock(), its sk_max_ack_backlog; nothing else that
 * is not listening can share a port with a listener (inet_bind_conflict()).
 * connect() marks the buckets it creates with fastreuse = -1
 * (__inet_hash_connect()); bind() with a port sets SOCK_BINDPORT_LOCK.
 */
static const char *selfconn_via(const struct sock *sk,
				const struct inet_bind_bucket *tb, bool listener)
{
	bool port_locked;

	/* sk_userlocks lies beyond struct inet_timewait_sock: test first. */
	if (selfconn_is_tw(sk))
		return "-";
	port_locked = sk->sk_userlocks & SOCK_BINDPORT_LOCK;
	if (sk->sk_state == TCP_LISTEN)
		return port_locked ? "bind" : "listen";
	if (listener || READ_ONCE(sk->sk_max_ack_backlog))
		return "accept";
	if (port_locked)
		return "bind";
	return tb->fastreuse == -1 ? "connect" : "bind0";
}

static void selfconn_show_owner(struct seq_file *seq, u16 port, struct sock *sk,
				const struct inet_bind_bucket *tb, bool listener)
{
	uid_t uid = selfconn_is_tw(sk) ? 0 :
		from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk));

	seq_printf(seq, "port %u bhash-owner", port);
	selfconn_show_local(seq, sk);
	seq_printf(seq, " reuseaddr=%d reuseport=%d v6only=%d uid=%u inode=%lu via=%s\n",
		   !!sk->sk_reuse, !!sk->sk_reuseport, !!ipv6_only_sock(sk),
		   uid, selfconn_ino(sk), selfconn_via(sk, tb, listener));
}

static void selfconn_show_listener(struct seq_file *seq, u16 port, struct sock *sk)
{
	seq_printf(seq, "port %u listener", port);
	selfconn_show_local(seq, sk);
	seq_printf(seq, " backlog=%u accept_queue=%u syn_recv=%d inode=%lu\n",
		   READ_ONCE(sk->sk_max_ack_backlog), READ_ONCE(sk->sk_ack_backlog),
		   inet_csk_reqsk_queue_len(sk), sock_i_ino(sk));
}

static void selfconn_show_ehash(struct seq_file *seq, u16 port, const char *section,
				u8 family, const struct in6_addr *laddr, u16 lport,
				const struct in6_addr *raddr, u16 rport,
				u8 state, unsigned long ino)
{
	seq_printf(seq, "port %u %s %s ", port, section,
		   family == AF_INET6 ? "inet6" : "inet");
	selfconn_seq_addr(seq, family, laddr, lport);
	seq_putc(seq, ' ');
	selfconn_seq_addr(seq, family, raddr, rport);
	seq_printf(seq, " %s inode=%lu\n", selfconn_state_name(state), ino);
}

/* Sockets of the bhash that are also in the established hash. */
static bool selfconn_in_ehash(const struct sock *sk)
{
	return sk->sk_state != TCP_LISTEN && sk->sk_state != TCP_CLOSE;
}

static void selfconn_show_ehash_local(struct seq_file *seq, u16 port, struct sock *sk)
{
	struct in6_addr laddr, raddr;

	selfconn_sk_laddr(sk, &laddr);
	selfconn_sk_raddr(sk, &raddr);
	selfconn_show_ehash(seq, port, "ehash-local", sk->sk_family, &laddr,
			    sk->sk_num, &raddr, ntohs(sk->sk_dport),
			    selfconn_is_tw(sk) ? inet_twsk(sk)->tw_substate : sk->sk_state,
			    selfconn_ino(sk));
}

/*
 * Would bind(0.0.0.0:P) of a new AF_INET socket without SO_REUSEPORT
 * conflict with @sk2? inet_csk_get_port() skips the check when SO_REUSEADDR
 * is set and tb->fastreuse > 0; otherwise it calls inet_bind_conflict()
 * with relax and reuseport_ok true, which lets two SO_REUSEADDR sockets
 * share the port unless the owner listens, and then inet_rcv_saddr_equal(),
 * where the wildcard matches every owner but an IPV6_V6ONLY one.
 */
static bool selfconn_bind_conflict(const struct inet_bind_bucket *tb,
				   const struct sock *sk2, bool reuseaddr)
{
	if (reuseaddr && tb->fastreuse > 0)
		return false;
	if (ipv6_only_sock(sk2))
		return false;
	return !(reuseaddr && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN);
}

static void selfconn_show_bind_verdict(struct seq_file *seq, u16 port, const char *name,
				       const struct sock *blocker)
{
	seq_printf(seq, "port %u verdict %s result=%s", port, name,
		   blocker ? "EADDRINUSE" : "ok");
	if (blocker) {
		seq_puts(seq, " blocker");
		selfconn_show_local(seq, blocker);
		seq_printf(seq, " inode=%lu", selfconn_ino((struct sock *)blocker));
	}
	seq_putc(seq, '\n');
}

/*
 * May a connect() without bind() be given P as its source port?
 * __inet_hash_connect() scans ip_local_port_range, skips reserved ports and
 * every bucket that bind() created (fastreuse or fastreuseport >= 0); in a
 * bucket created by connect() only a new 4-tuple is needed.
 */
static void selfconn_show_connect_verdict(struct seq_file *seq, struct net *net, u16 port,
					  const struct inet_bind_bucket *tb)
{
	const char *result = "ok", *reason = "free";
	int low, high;

	inet_get_local_port_range(net, &low, &high);
	if (port < low || port > high) {
		result = "no";
		reason = "outside-ip_local_port_range";
	} else if (inet_is_local_reserved_port(net, port)) {
		result = "no";
		reason = "ip_local_reserved_ports";
	} else if (tb && (tb->fastreuse >= 0 || tb->fastreuseport >= 0)) {
		result = "no";
		reason = "bound-by-bind";
	} else if (tb) {
		result = "ok";
		reason = "new-4-tuple-only";
	}
	seq_printf(seq, "port %u verdict connect-autobind result=%s reason=%s\n",
		   port, result, reason);
}

struct selfconn_bhash2_set {
	const struct inet_bind2_bucket	*tb2[SELFCONN_MAX_BHASH2];
	struct sock			*rep[SELFCONN_MAX_BHASH2];
	unsigned int			nr;
	bool				truncated;
};

static void selfconn_bhash2_add(struct selfconn_bhash2_set *set, struct sock *sk)
{
	const struct inet_bind2_bucket *tb2;
	unsigned int i;

	tb2 = selfconn_is_tw(sk) ? inet_twsk(sk)->tw_tb2 : inet_csk(sk)->icsk_bind2_hash;
	if (!tb2)
		return;
	for (i = 0; i < set->nr; i++)
		if (set->tb2[i] == tb2)
			return;
	if (set->nr == SELFCONN_MAX_BHASH2) {
		set->truncated = true;
		return;
	}
	set->tb2[set->nr] = tb2;
	set->rep[set->nr++] = sk;
}

/* Called with the port's bhash lock held, which bhash2 changes also take. */
static void selfconn_show_bhash2(struct seq_file *seq, struct net *net, u16 port,
				 struct inet_hashinfo *hinfo,
				 const struct inet_bind2_bucket *tb2, struct sock *rep)
{
	struct inet_bind_hashbucket *head2 = inet_bhashfn_portaddr(hinfo, rep, net, port);
	struct inet_timewait_sock *tw;
	unsigned int owners = 0, tws = 0;
	struct sock *sk;

	spin_lock(&head2->lock);
	sk_for_each_bound_bhash2(sk, &tb2->owners)
		owners++;
	twsk_for_each_bound_bhash2(tw, &tb2->deathrow)
		tws++;

	seq_printf(seq, "port %u bhash2", port);
	selfconn_show_laddr(seq, rep);
	seq_printf(seq, " owners=%u timewait=%u\n", owners, tws);
	sk_for_each_bound_bhash2(sk, &tb2->owners) {
		seq_printf(seq, "port %u bhash2-owner", port);
		selfconn_show_local(seq, sk);
		seq_printf(seq, " inode=%lu\n", sock_i_ino(sk));
	}
	twsk_for_each_bound_bhash2(tw, &tb2->deathrow) {
		seq_printf(seq, "port %u bhash2-owner", port);
		selfconn_show_local(seq, (struct sock *)tw);
		seq_puts(seq, " inode=0\n");
	}
	spin_unlock(&head2->lock);
}

static bool selfconn_has_listener(const struct inet_bind_bucket *tb)
{
	struct sock *sk;

	sk_for_each_bound(sk, &tb->owners)
		if (sk->sk_state == TCP_LISTEN)
			return true;
	return false;
}

/* Everything under the port's bhash bucket lock: one bind bucket. */
static void selfconn_show_bucket(struct seq_file *seq, struct net *net, u16 port,
				 struct inet_hashinfo *hinfo,
				 const struct inet_bind_bucket *tb,
				 struct selfconn_counts *cnt)
{
	const struct sock *bind_blocker = NULL, *reuse_blocker = NULL;
	bool listener = selfconn_has_listener(tb);
	struct selfconn_bhash2_set set = {};
	unsigned int i, owners = 0;
	struct sock *sk;

	sk_for_each_bound(sk, &tb->owners)
		owners++;
	seq_printf(seq, "port %u bhash l3mdev=%d fastreuse=%d fastreuseport=%d owners=%u\n",
		   port, tb->l3mdev, tb->fastreuse, tb->fastreuseport, owners);
	cnt->owners += owners;

	sk_for_each_bound(sk, &tb->owners) {
		selfconn_show_owner(seq, port, sk, tb, listener);
		selfconn_bhash2_add(&set, sk);
		if (!bind_blocker && selfconn_bind_conflict(tb, sk, false))
			bind_blocker = sk;
		if (!reuse_blocker && selfconn_bind_conflict(tb, sk, true))
			reuse_blocker = sk;
	}

	for (i = 0; i < set.nr; i++)
		selfconn_show_bhash2(seq, net, port, hinfo, set.tb2[i], set.rep[i]);
	if (set.truncated)
		seq_printf(seq, "port %u bhash2 truncated\n", port);
	cnt->bhash2 += set.nr;

	sk_for_each_bound(sk, &tb->owners) {
		if (sk->sk_state == TCP_LISTEN) {
			selfconn_show_listener(seq, port, sk);
			cnt->listeners++;
		} else if (selfconn_in_ehash(sk)) {
			selfconn_show_ehash_local(seq, port, sk);
			cnt->ehash_local++;
		}
		if (selfconn_is_tw(sk))
			cnt->timewait++;
	}

	selfconn_show_bind_verdict(seq, port, "bind", bind_blocker);
	selfconn_show_bind_verdict(seq, port, "bind-reuseaddr", reuse_blocker);
}

static void selfconn_show_local_part(struct seq_file *seq, struct net *net, u16 port,
				     struct selfconn_counts *cnt)
{
	struct inet_hashinfo *hinfo = selfconn_tcp_hashinfo(net);
	struct inet_bind_hashbucket *head;
	const struct inet_bind_bucket *tb, *found = NULL;

	head = &hinfo->bhash[inet_bhashfn(net, port, hinfo->bhash_size)];
	spin_lock_bh(&head->lock);
	inet_bind_bucket_for_each(tb, &head->chain) {
		if (!net_eq(ib_net(tb), net) || tb->port != port)
			continue;
		selfconn_show_bucket(seq, net, port, hinfo, tb, cnt);
		if (!found)
			found = tb;
	}
	if (!found) {
		seq_printf(seq, "port %u bhash none\n", port);
		selfconn_show_bind_verdict(seq, port, "bind", NULL);
		selfconn_show_bind_verdict(seq, port, "bind-reuseaddr", NULL);
	}
	selfconn_show_connect_verdict(seq, net, port, found);
	spin_unlock_bh(&head->lock);
}

static void selfconn_show_remote_part(struct seq_file *seq, const struct net *net, u16 port,
				      struct selfconn_counts *cnt)
{
	struct selfconn_snapshot snap = {};
	unsigned int i;
	int err;

	err = selfconn_snapshot_take(&snap, net, selfconn_match_rport, port);
	if (err) {
		seq_printf(seq, "port %u ehash-remote error=%d\n", port, err);
		goto out;
	}
	for (i = 0; i < snap.nr; i++) {
		const struct selfconn_row *r = &snap.rows[i];

		selfconn_show_ehash(seq, port, "ehash-remote", r->family, &r->laddr, r->lport,
				    &r->raddr, r->rport, r->state, r->ino);
	}
	cnt->ehash_remote = snap.nr;
out:
	selfconn_snapshot_free(&snap);
}

void selfconn_report_show(struct seq_file *seq, struct net *net, u16 port)
{
	struct selfconn_counts cnt = {};

	seq_printf(seq, "# port %u\n", port);
	selfconn_show_local_part(seq, net, port, &cnt);
	selfconn_show_remote_part(seq, net, port, &cnt);
	seq_printf(seq, "port %u summary bhash_owners=%u bhash2_buckets=%u listeners=%u ehash_local=%u ehash_remote=%u timewait=%u\n",
		   port, cnt.owners, cnt.bhash2, cnt.listeners, cnt.ehash_local,
		   cnt.ehash_remote, cnt.timewait);
}
