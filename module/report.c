// SPDX-License-Identifier: GPL-2.0
/*
 * Who occupies a TCP port in one namespace: the bhash bucket and its
 * owners, the bhash2 buckets, the listeners, the established-hash entries
 * on either side, and what bind() and connect() would say right now.
 *
 * Everything local to the port is copied from the port's bhash bucket under
 * its lock: every TCP socket holding a local port, timewait included, is
 * bound there (inet_bind_hash(), inet_twsk_bind_hash()), through its bhash2
 * bucket since 6.8 (compat.h walks either model). Only the entries
 * whose remote port is P need a walk of the established hash, done once.
 * Every line is printed later from these copies, outside every lock, one
 * seq_file record a line, so a reader's buffer size never causes a second
 * walk.
 */

#include <linux/err.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "format.h"
#include "report.h"
#include "row.h"
#include "snapshot.h"

/* At most this many bhash2 buckets (local addresses) are listed per port. */
#define SELFCONN_MAX_BHASH2	16
/* The verdict lines of a port without a bind bucket. */
#define SELFCONN_NO_BUCKET	U32_MAX

/* A socket of the port's bhash bucket. */
struct selfconn_owner {
	struct selfconn_row	row;
	const char		*via;
	u32			backlog;	/* listeners only */
	u32			accept_queue;
	int			syn_recv;
	bool			reuseaddr;
	bool			reuseport;
	bool			v6only;
};

/* A bhash2 bucket: its rows in b2_owners, full sockets then timewait. */
struct selfconn_b2 {
	struct selfconn_row	addr;	/* a socket of it: the local address */
	unsigned int		first;
	unsigned int		owners;
	unsigned int		timewait;
};

/* A bhash bucket of the port (one per l3mdev). */
struct selfconn_tb {
	int			l3mdev;
	int			fastreuse;
	int			fastreuseport;
	unsigned int		first_owner;
	unsigned int		nr_owners;
	unsigned int		first_b2;
	unsigned int		nr_b2;
	bool			b2_truncated;
	const struct selfconn_owner *bind_blocker;
	const struct selfconn_owner *reuse_blocker;
};

enum selfconn_line_kind {
	SELFCONN_LINE_TITLE,
	SELFCONN_LINE_BHASH,		/* idx: tbs[] */
	SELFCONN_LINE_BHASH_NONE,
	SELFCONN_LINE_OWNER,		/* idx: owners[] */
	SELFCONN_LINE_BHASH2,		/* idx: b2s[] */
	SELFCONN_LINE_BHASH2_OWNER,	/* idx: b2_owners[] */
	SELFCONN_LINE_BHASH2_TRUNCATED,
	SELFCONN_LINE_NO_BHASH2,	/* a kernel before 6.1 */
	SELFCONN_LINE_LISTENER,		/* idx: owners[] */
	SELFCONN_LINE_EHASH_LOCAL,	/* idx: owners[] */
	SELFCONN_LINE_VERDICT_BIND,	/* idx: tbs[] or SELFCONN_NO_BUCKET */
	SELFCONN_LINE_VERDICT_REUSE,	/* idx: tbs[] or SELFCONN_NO_BUCKET */
	SELFCONN_LINE_VERDICT_CONNECT,
	SELFCONN_LINE_EHASH_REMOTE,	/* idx: remote.rows[] */
	SELFCONN_LINE_SUMMARY,
};

struct selfconn_line {
	u32	kind;
	u32	idx;
};

struct selfconn_counts {
	unsigned int	owners;
	unsigned int	bhash2;
	unsigned int	listeners;
	unsigned int	ehash_local;
	unsigned int	timewait;
};

struct selfconn_report {
	u16			port;
	/* Copied under the bhash lock; nr_* may exceed cap_*: then retry. */
	struct selfconn_tb	*tbs;
	unsigned int		nr_tbs, cap_tbs;
	struct selfconn_owner	*owners;
	unsigned int		nr_owners, cap_owners;
	struct selfconn_b2	*b2s;
	unsigned int		nr_b2s, cap_b2s;
	struct selfconn_row	*b2_owners;
	unsigned int		nr_b2_owners, cap_b2_owners;
	/* The one walk of the established hash. */
	struct selfconn_snapshot remote;
	const char		*connect_result;
	const char		*connect_reason;
	struct selfconn_counts	cnt;
	struct selfconn_line	*lines;
	unsigned int		nr_lines;
};

/* ---- copying, under the port's bhash lock ---- */

/* The next slot of an array, or NULL when it is full: counted either way. */
static void *selfconn_slot(void *array, unsigned int *nr, unsigned int cap, size_t size)
{
	unsigned int i = (*nr)++;

	return i < cap ? (char *)array + i * size : NULL;
}

static bool selfconn_is_tw(const struct sock *sk)
{
	return sk->sk_state == TCP_TIME_WAIT;
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

static void selfconn_copy_owner(struct selfconn_report *r, struct sock *sk,
				const struct inet_bind_bucket *tb, bool listener)
{
	struct selfconn_owner *o;

	o = selfconn_slot(r->owners, &r->nr_owners, r->cap_owners, sizeof(*o));
	if (!o)
		return;
	selfconn_row_fill(&o->row, sk);
	o->reuseaddr = sk->sk_reuse;
	o->reuseport = sk->sk_reuseport;
	o->v6only = ipv6_only_sock(sk);
	o->via = selfconn_via(sk, tb, listener);
	if (sk->sk_state != TCP_LISTEN)
		return;
	o->backlog = READ_ONCE(sk->sk_max_ack_backlog);
	o->accept_queue = READ_ONCE(sk->sk_ack_backlog);
	o->syn_recv = inet_csk_reqsk_queue_len(sk);
}

struct selfconn_bhash2_set {
	const struct inet_bind2_bucket	*tb2[SELFCONN_MAX_BHASH2];
	struct sock			*rep[SELFCONN_MAX_BHASH2];
	unsigned int			nr;
	bool				truncated;
};

static void selfconn_bhash2_add(struct selfconn_bhash2_set *set, struct sock *sk)
{
	const struct inet_bind2_bucket *tb2 = selfconn_sk_tb2(sk);
	unsigned int i;

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

/* What the walks of one bind bucket fill in (compat.h calls back). */
struct selfconn_walk {
	struct selfconn_report		*r;
	const struct inet_bind_bucket	*tb;
	struct selfconn_bhash2_set	set;
	bool				listener;
	unsigned int			owners;
	unsigned int			timewait;
};

static void selfconn_walk_listener(void *arg, struct sock *sk)
{
	struct selfconn_walk *w = arg;

	if (sk->sk_state == TCP_LISTEN)
		w->listener = true;
}

static void selfconn_walk_owner(void *arg, struct sock *sk)
{
	struct selfconn_walk *w = arg;

	selfconn_copy_owner(w->r, sk, w->tb, w->listener);
	selfconn_bhash2_add(&w->set, sk);
}

static void selfconn_walk_b2_owner(void *arg, struct sock *sk)
{
	struct selfconn_walk *w = arg;
	struct selfconn_report *r = w->r;
	struct selfconn_row *row;

	if (selfconn_is_tw(sk))
		w->timewait++;
	else
		w->owners++;
	row = selfconn_slot(r->b2_owners, &r->nr_b2_owners, r->cap_b2_owners,
			    sizeof(*row));
	if (row)
		selfconn_row_fill(row, sk);
}

/* Inside the port's bhash lock, which every bhash2 change also takes. */
static void selfconn_copy_bhash2(struct selfconn_walk *w, struct net *net,
				 struct inet_hashinfo *hinfo,
				 const struct inet_bind2_bucket *tb2, struct sock *rep)
{
	struct selfconn_report *r = w->r;
	unsigned int first = r->nr_b2_owners;
	struct selfconn_b2 *b2;

	w->owners = 0;
	w->timewait = 0;
	selfconn_walk_tb2(hinfo, net, r->port, tb2, rep,
			  selfconn_walk_b2_owner, w);

	b2 = selfconn_slot(r->b2s, &r->nr_b2s, r->cap_b2s, sizeof(*b2));
	if (!b2)
		return;
	selfconn_row_fill(&b2->addr, rep);
	b2->first = first;
	b2->owners = w->owners;
	b2->timewait = w->timewait;
}

static void selfconn_copy_tb(struct selfconn_report *r, struct net *net,
			     struct inet_hashinfo *hinfo,
			     struct inet_bind_hashbucket *head,
			     const struct inet_bind_bucket *tb)
{
	unsigned int first_owner = r->nr_owners, first_b2 = r->nr_b2s, i;
	struct selfconn_walk w = { .r = r, .tb = tb };
	struct selfconn_tb *t;

	lockdep_assert_held(&head->lock);
	selfconn_walk_tb(tb, selfconn_walk_listener, &w);
	selfconn_walk_tb(tb, selfconn_walk_owner, &w);
	for (i = 0; i < w.set.nr; i++)
		selfconn_copy_bhash2(&w, net, hinfo, w.set.tb2[i], w.set.rep[i]);

	t = selfconn_slot(r->tbs, &r->nr_tbs, r->cap_tbs, sizeof(*t));
	if (!t)
		return;
	t->l3mdev = tb->l3mdev;
	t->fastreuse = tb->fastreuse;
	t->fastreuseport = tb->fastreuseport;
	t->first_owner = first_owner;
	t->nr_owners = r->nr_owners - first_owner;
	t->first_b2 = first_b2;
	t->nr_b2 = w.set.nr;
	t->b2_truncated = w.set.truncated;
}

static bool selfconn_local_fits(const struct selfconn_report *r)
{
	return r->nr_tbs <= r->cap_tbs && r->nr_owners <= r->cap_owners &&
	       r->nr_b2s <= r->cap_b2s && r->nr_b2_owners <= r->cap_b2_owners;
}

/* One pass under the bhash lock; false if an array was too small. */
static bool selfconn_copy_local(struct selfconn_report *r, struct net *net)
{
	struct inet_hashinfo *hinfo = selfconn_tcp_hashinfo(net);
	struct inet_bind_hashbucket *head;
	struct inet_bind_bucket *tb;

	r->nr_tbs = 0;
	r->nr_owners = 0;
	r->nr_b2s = 0;
	r->nr_b2_owners = 0;
	head = &hinfo->bhash[inet_bhashfn(net, r->port, hinfo->bhash_size)];
	spin_lock_bh(&head->lock);
	inet_bind_bucket_for_each(tb, &head->chain)
		if (net_eq(ib_net(tb), net) && tb->port == r->port)
			selfconn_copy_tb(r, net, hinfo, head, tb);
	spin_unlock_bh(&head->lock);
	return selfconn_local_fits(r);
}

/* Room for what the last pass counted; nothing copied is kept. */
static int selfconn_local_reserve(struct selfconn_report *r)
{
	return selfconn_array_reserve((void **)&r->tbs, &r->cap_tbs, 0,
				      r->nr_tbs, sizeof(*r->tbs)) ?:
	       selfconn_array_reserve((void **)&r->owners, &r->cap_owners, 0,
				      r->nr_owners, sizeof(*r->owners)) ?:
	       selfconn_array_reserve((void **)&r->b2s, &r->cap_b2s, 0,
				      r->nr_b2s, sizeof(*r->b2s)) ?:
	       selfconn_array_reserve((void **)&r->b2_owners, &r->cap_b2_owners, 0,
				      r->nr_b2_owners, sizeof(*r->b2_owners));
}

static int selfconn_take_local(struct selfconn_report *r, struct net *net)
{
	int err;

	while (!selfconn_copy_local(r, net)) {
		err = selfconn_local_reserve(r);
		if (err)
			return err;
	}
	return 0;
}

/* ---- the verdicts, from the copies ---- */

/*
 * Would bind(0.0.0.0:P) of a new AF_INET socket without SO_REUSEPORT
 * conflict with @o? inet_csk_get_port() skips the check when SO_REUSEADDR
 * is set and tb->fastreuse > 0; otherwise it calls inet_bind_conflict()
 * with relax and reuseport_ok true, which lets two SO_REUSEADDR sockets
 * share the port unless the owner listens, and then inet_rcv_saddr_equal(),
 * where the wildcard matches every owner but an IPV6_V6ONLY one.
 */
static bool selfconn_bind_conflict(const struct selfconn_tb *t,
				   const struct selfconn_owner *o, bool reuseaddr)
{
	if (reuseaddr && t->fastreuse > 0)
		return false;
	if (o->v6only)
		return false;
	return !(reuseaddr && o->reuseaddr && o->row.state != TCP_LISTEN);
}

static const struct selfconn_owner *
selfconn_bind_blocker(const struct selfconn_report *r, const struct selfconn_tb *t,
		      bool reuseaddr)
{
	unsigned int i;

	for (i = t->first_owner; i < t->first_owner + t->nr_owners; i++)
		if (selfconn_bind_conflict(t, &r->owners[i], reuseaddr))
			return &r->owners[i];
	return NULL;
}

/*
 * May a connect() without bind() be given P as its source port?
 * __inet_hash_connect() scans ip_local_port_range, skips reserved ports and
 * every bucket that bind() created (fastreuse or fastreuseport >= 0); in a
 * bucket created by connect() only a new 4-tuple is needed.
 */
static void selfconn_connect_verdict(struct selfconn_report *r, struct net *net)
{
	const struct selfconn_tb *t = r->nr_tbs ? &r->tbs[0] : NULL;
	int low, high;

	r->connect_result = "no";
	inet_get_local_port_range(net, &low, &high);
	if (r->port < low || r->port > high) {
		r->connect_reason = "outside-ip_local_port_range";
	} else if (inet_is_local_reserved_port(net, r->port)) {
		r->connect_reason = "ip_local_reserved_ports";
	} else if (t && (t->fastreuse >= 0 || t->fastreuseport >= 0)) {
		r->connect_reason = "bound-by-bind";
	} else {
		r->connect_result = "ok";
		r->connect_reason = t ? "new-4-tuple-only" : "free";
	}
}

static bool selfconn_owner_listens(const struct selfconn_owner *o)
{
	return !o->row.timewait && o->row.state == TCP_LISTEN;
}

/* Sockets of the bhash that are also in the established hash. */
static bool selfconn_owner_in_ehash(const struct selfconn_owner *o)
{
	return o->row.timewait ||
	       (o->row.state != TCP_LISTEN && o->row.state != TCP_CLOSE);
}

static void selfconn_judge(struct selfconn_report *r, struct net *net)
{
	struct selfconn_counts *cnt = &r->cnt;
	const struct selfconn_owner *o;
	struct selfconn_tb *t;

	for (t = r->tbs; t < r->tbs + r->nr_tbs; t++) {
		t->bind_blocker = selfconn_bind_blocker(r, t, false);
		t->reuse_blocker = selfconn_bind_blocker(r, t, true);
		cnt->bhash2 += t->nr_b2;
	}
	for (o = r->owners; o < r->owners + r->nr_owners; o++) {
		cnt->listeners += selfconn_owner_listens(o);
		cnt->ehash_local += !selfconn_owner_listens(o) && selfconn_owner_in_ehash(o);
		cnt->timewait += o->row.timewait;
	}
	cnt->owners = r->nr_owners;
	selfconn_connect_verdict(r, net);
}

/* ---- the lines ---- */

/* With r->lines NULL, only counts. */
static void selfconn_add_line(struct selfconn_report *r, u32 kind, u32 idx)
{
	if (r->lines) {
		r->lines[r->nr_lines].kind = kind;
		r->lines[r->nr_lines].idx = idx;
	}
	r->nr_lines++;
}

static void selfconn_layout_tb(struct selfconn_report *r, u32 tb)
{
	const struct selfconn_tb *t = &r->tbs[tb];
	const struct selfconn_b2 *b2;
	u32 i, j;

	selfconn_add_line(r, SELFCONN_LINE_BHASH, tb);
	for (i = t->first_owner; i < t->first_owner + t->nr_owners; i++)
		selfconn_add_line(r, SELFCONN_LINE_OWNER, i);
	if (!SELFCONN_KERNEL_HAS_BHASH2)
		selfconn_add_line(r, SELFCONN_LINE_NO_BHASH2, tb);
	for (i = t->first_b2; i < t->first_b2 + t->nr_b2; i++) {
		b2 = &r->b2s[i];
		selfconn_add_line(r, SELFCONN_LINE_BHASH2, i);
		for (j = b2->first; j < b2->first + b2->owners + b2->timewait; j++)
			selfconn_add_line(r, SELFCONN_LINE_BHASH2_OWNER, j);
	}
	if (t->b2_truncated)
		selfconn_add_line(r, SELFCONN_LINE_BHASH2_TRUNCATED, tb);
	for (i = t->first_owner; i < t->first_owner + t->nr_owners; i++) {
		if (selfconn_owner_listens(&r->owners[i]))
			selfconn_add_line(r, SELFCONN_LINE_LISTENER, i);
		else if (selfconn_owner_in_ehash(&r->owners[i]))
			selfconn_add_line(r, SELFCONN_LINE_EHASH_LOCAL, i);
	}
	selfconn_add_line(r, SELFCONN_LINE_VERDICT_BIND, tb);
	selfconn_add_line(r, SELFCONN_LINE_VERDICT_REUSE, tb);
}

static void selfconn_layout(struct selfconn_report *r)
{
	u32 i;

	r->nr_lines = 0;
	selfconn_add_line(r, SELFCONN_LINE_TITLE, 0);
	for (i = 0; i < r->nr_tbs; i++)
		selfconn_layout_tb(r, i);
	if (!r->nr_tbs) {
		selfconn_add_line(r, SELFCONN_LINE_BHASH_NONE, 0);
		selfconn_add_line(r, SELFCONN_LINE_VERDICT_BIND, SELFCONN_NO_BUCKET);
		selfconn_add_line(r, SELFCONN_LINE_VERDICT_REUSE, SELFCONN_NO_BUCKET);
	}
	selfconn_add_line(r, SELFCONN_LINE_VERDICT_CONNECT, 0);
	for (i = 0; i < r->remote.nr; i++)
		selfconn_add_line(r, SELFCONN_LINE_EHASH_REMOTE, i);
	selfconn_add_line(r, SELFCONN_LINE_SUMMARY, 0);
}

static int selfconn_layout_lines(struct selfconn_report *r)
{
	selfconn_layout(r);
	r->lines = kvmalloc_array(r->nr_lines, sizeof(*r->lines), GFP_KERNEL_ACCOUNT);
	if (!r->lines)
		return -ENOMEM;
	selfconn_layout(r);
	return 0;
}

void selfconn_report_free(struct selfconn_report *r)
{
	if (!r)
		return;
	kvfree(r->lines);
	selfconn_snapshot_free(&r->remote);
	kvfree(r->b2_owners);
	kvfree(r->b2s);
	kvfree(r->owners);
	kvfree(r->tbs);
	kfree(r);
}

/* Copy everything the report of @port prints; may sleep. */
struct selfconn_report *selfconn_report_take(struct net *net, u16 port)
{
	struct selfconn_report *r;
	int err;

	r = kzalloc_obj(*r, GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->port = port;
	err = selfconn_take_local(r, net) ?:
	      selfconn_snapshot_take(&r->remote, net, selfconn_match_rport, port);
	if (!err) {
		selfconn_judge(r, net);
		err = selfconn_layout_lines(r);
	}
	if (err) {
		selfconn_report_free(r);
		return ERR_PTR(err);
	}
	return r;
}

unsigned int selfconn_report_nr_lines(const struct selfconn_report *r)
{
	return r->nr_lines;
}

/* ---- printing, outside every lock ---- */

/*
 * The lines that repeat for every socket of a busy port are written with
 * seq_puts() and seq_put_decimal_ull() (see format.c), not seq_printf().
 */

/* "port P SECTION " */
static void selfconn_show_lead(struct seq_file *seq, u16 port, const char *section)
{
	seq_put_decimal_ull(seq, "port ", port);
	seq_putc(seq, ' ');
	seq_puts(seq, section);
	seq_putc(seq, ' ');
}

static void selfconn_show_owner(struct seq_file *seq, u16 port,
				const struct selfconn_owner *o)
{
	selfconn_show_lead(seq, port, "bhash-owner");
	selfconn_seq_local(seq, &o->row);
	seq_put_decimal_ull(seq, " reuseaddr=", o->reuseaddr);
	seq_put_decimal_ull(seq, " reuseport=", o->reuseport);
	seq_put_decimal_ull(seq, " v6only=", o->v6only);
	seq_put_decimal_ull(seq, " uid=", selfconn_row_uid(seq, &o->row));
	seq_put_decimal_ull(seq, " inode=", o->row.ino);
	seq_puts(seq, " via=");
	seq_puts(seq, o->via);
	seq_putc(seq, '\n');
}

static void selfconn_show_listener(struct seq_file *seq, u16 port,
				   const struct selfconn_owner *o)
{
	selfconn_show_lead(seq, port, "listener");
	selfconn_seq_local(seq, &o->row);
	seq_printf(seq, " backlog=%u accept_queue=%u syn_recv=%d inode=%llu\n",
		   o->backlog, o->accept_queue, o->syn_recv, o->row.ino);
}

static void selfconn_show_bhash2(struct seq_file *seq, u16 port,
				 const struct selfconn_b2 *b2)
{
	selfconn_show_lead(seq, port, "bhash2");
	seq_puts(seq, selfconn_family_name(b2->addr.family));
	seq_putc(seq, ' ');
	selfconn_seq_addr(seq, b2->addr.family, &b2->addr.laddr, b2->addr.lport);
	seq_printf(seq, " owners=%u timewait=%u\n", b2->owners, b2->timewait);
}

static void selfconn_show_bhash2_owner(struct seq_file *seq, u16 port,
				       const struct selfconn_row *row)
{
	selfconn_show_lead(seq, port, "bhash2-owner");
	selfconn_seq_local(seq, row);
	seq_put_decimal_ull(seq, " inode=", row->ino);
	seq_putc(seq, '\n');
}

/* "port P ehash-local inet 127.0.0.1:P 127.0.0.1:Q ESTAB inode=N" */
static void selfconn_show_ehash(struct seq_file *seq, u16 port, const char *section,
				const struct selfconn_row *row)
{
	selfconn_show_lead(seq, port, section);
	seq_puts(seq, selfconn_family_name(row->family));
	seq_putc(seq, ' ');
	selfconn_seq_addr(seq, row->family, &row->laddr, row->lport);
	seq_putc(seq, ' ');
	selfconn_seq_addr(seq, row->family, &row->raddr, row->rport);
	seq_putc(seq, ' ');
	seq_puts(seq, selfconn_state_name(row->state));
	seq_put_decimal_ull(seq, " inode=", row->ino);
	seq_putc(seq, '\n');
}

static void selfconn_show_bind_verdict(struct seq_file *seq, const struct selfconn_report *r,
				       u32 kind, u32 tb)
{
	bool reuseaddr = kind == SELFCONN_LINE_VERDICT_REUSE;
	const struct selfconn_owner *blocker = NULL;

	if (tb != SELFCONN_NO_BUCKET)
		blocker = reuseaddr ? r->tbs[tb].reuse_blocker : r->tbs[tb].bind_blocker;
	seq_printf(seq, "port %u verdict %s result=%s", r->port,
		   reuseaddr ? "bind-reuseaddr" : "bind",
		   blocker ? "EADDRINUSE" : "ok");
	if (blocker) {
		seq_puts(seq, " blocker ");
		selfconn_seq_local(seq, &blocker->row);
		seq_printf(seq, " inode=%llu", blocker->row.ino);
	}
	seq_putc(seq, '\n');
}

static void selfconn_show_summary(struct seq_file *seq, const struct selfconn_report *r)
{
	const struct selfconn_counts *cnt = &r->cnt;

	seq_printf(seq, "port %u summary bhash_owners=%u bhash2_buckets=%u listeners=%u ehash_local=%u ehash_remote=%u timewait=%u\n",
		   r->port, cnt->owners, cnt->bhash2, cnt->listeners,
		   cnt->ehash_local, r->remote.nr, cnt->timewait);
}

void selfconn_report_show_line(struct seq_file *seq, const struct selfconn_report *r,
			       unsigned int line)
{
	const struct selfconn_line *l = &r->lines[line];
	const struct selfconn_tb *t;
	u16 port = r->port;

	switch (l->kind) {
	case SELFCONN_LINE_TITLE:
		seq_printf(seq, "# port %u\n", port);
		break;
	case SELFCONN_LINE_NO_BHASH2:
		seq_printf(seq, "port %u bhash2 none reason=no-bhash2-in-this-kernel\n", port);
		break;
	case SELFCONN_LINE_BHASH:
		t = &r->tbs[l->idx];
		seq_printf(seq, "port %u bhash l3mdev=%d fastreuse=%d fastreuseport=%d owners=%u\n",
			   port, t->l3mdev, t->fastreuse, t->fastreuseport, t->nr_owners);
		break;
	case SELFCONN_LINE_BHASH_NONE:
		seq_printf(seq, "port %u bhash none\n", port);
		break;
	case SELFCONN_LINE_OWNER:
		selfconn_show_owner(seq, port, &r->owners[l->idx]);
		break;
	case SELFCONN_LINE_BHASH2:
		selfconn_show_bhash2(seq, port, &r->b2s[l->idx]);
		break;
	case SELFCONN_LINE_BHASH2_OWNER:
		selfconn_show_bhash2_owner(seq, port, &r->b2_owners[l->idx]);
		break;
	case SELFCONN_LINE_BHASH2_TRUNCATED:
		seq_printf(seq, "port %u bhash2 truncated\n", port);
		break;
	case SELFCONN_LINE_LISTENER:
		selfconn_show_listener(seq, port, &r->owners[l->idx]);
		break;
	case SELFCONN_LINE_EHASH_LOCAL:
		selfconn_show_ehash(seq, port, "ehash-local", &r->owners[l->idx].row);
		break;
	case SELFCONN_LINE_VERDICT_BIND:
	case SELFCONN_LINE_VERDICT_REUSE:
		selfconn_show_bind_verdict(seq, r, l->kind, l->idx);
		break;
	case SELFCONN_LINE_VERDICT_CONNECT:
		seq_printf(seq, "port %u verdict connect-autobind result=%s reason=%s\n",
			   port, r->connect_result, r->connect_reason);
		break;
	case SELFCONN_LINE_EHASH_REMOTE:
		selfconn_show_ehash(seq, port, "ehash-remote", &r->remote.rows[l->idx]);
		break;
	case SELFCONN_LINE_SUMMARY:
		selfconn_show_summary(seq, r);
		break;
	}
}
