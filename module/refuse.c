// SPDX-License-Identifier: GPL-2.0
/*
 * net.selfconn.refuse: make a connect() whose SYN would go from a socket to
 * itself fail at once with ECONNREFUSED, per network namespace.
 * net.selfconn.audit: count, log and trace every such SYN, refused or not.
 *
 * Where refuse is 1, a LOCAL_OUT hook (IPv4 and IPv6) drops that SYN with
 * NF_DROP_ERR(-ECONNREFUSED), as selinux_ip_output() does: nf_hook_slow()
 * returns the errno through ip_local_out()/ip6_xmit() and
 * __tcp_transmit_skb(), tcp_connect() returns it at once, and the failure
 * path of tcp_v4_connect()/tcp_v6_connect() closes the socket and
 * releases an autobound port (tcp_set_state(TCP_CLOSE)). Where refuse and
 * audit are both 0 no hook is registered at all.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <linux/user_namespace.h>
#include <net/inet_connection_sock.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <net/tcp.h>

#include "compat.h"
#include "refuse.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

#if !IS_ENABLED(CONFIG_NETFILTER)
#error "net.selfconn.refuse needs CONFIG_NETFILTER"
#endif

/* Per-namespace state of net.selfconn.refuse and net.selfconn.audit. */
struct selfconn_refuse_net {
	struct net		*net;
	struct ctl_table_header	*sysctl;
	struct mutex		lock;		/* serialises writes of the knobs */
	int			refuse;
	int			audit;
	bool			hooked;		/* refuse or audit is 1 */
	atomic64_t		attempts;	/* self-connect SYNs seen */
	atomic64_t		refused;	/* of those, refused */
};

static unsigned int selfconn_refuse_net_id __read_mostly;

static struct selfconn_refuse_net *selfconn_refuse_net(const struct net *net)
{
	return net_generic(net, selfconn_refuse_net_id);
}

/* ---- module parameter: the initial value of every namespace ---- */

static int selfconn_refuse_default;

static int selfconn_refuse_default_set(const char *val,
				       const struct kernel_param *kp)
{
	int n, err;

	err = kstrtoint(val, 10, &n);
	if (err)
		return err;
	if (n != 0 && n != 1)
		return -EINVAL;
	WRITE_ONCE(*(int *)kp->arg, n);
	return 0;
}

static const struct kernel_param_ops selfconn_refuse_default_ops = {
	.set	= selfconn_refuse_default_set,
	.get	= param_get_int,
};

module_param_cb(refuse_default, &selfconn_refuse_default_ops,
		&selfconn_refuse_default, 0644);
MODULE_PARM_DESC(refuse_default,
		 "net.selfconn.refuse of each namespace the module sets up: at load and every new one (0 or 1, default 0)");

/* ---- the packet hooks ---- */

/* One budget for all namespaces, so that many cannot flood the log. */
static DEFINE_RATELIMIT_STATE(selfconn_refuse_rs, DEFAULT_RATELIMIT_INTERVAL,
			      DEFAULT_RATELIMIT_BURST);

/*
 * The SYN is sent from connect() or write() (tcp_v4_connect(),
 * tcp_v6_connect(), tcp_sendmsg_fastopen()): current is the caller.
 * "refused self-connect ..." without audit, "audit self-connect ...
 * verdict=allowed|refused" with it.
 */
static void selfconn_refuse_log(const struct sock *sk, const struct net *net,
				bool audit, bool refused)
{
	const struct inet_sock *inet = inet_sk(sk);
	pid_t pid = task_tgid_nr(current);
	uid_t uid = from_kuid_munged(&init_user_ns, current_uid());
	const char *what = audit ? "audit" : "refused";
	const char *verdict = !audit ? "" : refused ? " verdict=refused" : " verdict=allowed";

	if (!__ratelimit(&selfconn_refuse_rs))
		return;
	if (sk->sk_family == AF_INET6)
		pr_info("%s self-connect [%pI6c]:%u comm=%s pid=%d uid=%u netns=%u%s\n",
			what, &sk->sk_v6_daddr, ntohs(inet->inet_dport),
			current->comm, pid, uid, net->ns.inum, verdict);
	else
		pr_info("%s self-connect %pI4:%u comm=%s pid=%d uid=%u netns=%u%s\n",
			what, &inet->inet_daddr, ntohs(inet->inet_dport),
			current->comm, pid, uid, net->ns.inum, verdict);
}

/* One connect(): counted, traced, and logged if refused or audited. */
static void selfconn_refuse_account(struct selfconn_refuse_net *rn, struct sock *sk,
				    struct net *net, bool refused)
{
	bool audit = READ_ONCE(rn->audit);

	atomic64_inc(&rn->attempts);
	if (refused)
		atomic64_inc(&rn->refused);
	trace_attempt(sk, net, refused);
	if (audit || refused)
		selfconn_refuse_log(sk, net, audit, refused);
}

/*
 * The first test, and the only one most packets see: only a TCP socket in
 * SYN-SENT sends a SYN, and it sends nothing else (tcp_connect(),
 * tcp_send_syn_data(), tcp_retransmit_timer()). A SYN-ACK comes from a
 * request or SYN-RECV socket, an RST from the control socket.
 */
static inline struct sock *selfconn_syn_sender(const struct sk_buff *skb)
{
	struct sock *sk = skb->sk;

	if (!sk || READ_ONCE(sk->sk_state) != TCP_SYN_SENT)
		return NULL;
	/* DCCP_REQUESTING is TCP_SYN_SENT too. SYN-SENT is always a full sock. */
	if (sk->sk_protocol != IPPROTO_TCP)
		return NULL;
	return sk;
}

/* @sk is in SYN-SENT and its SYN goes to its own address and port. */
static unsigned int selfconn_refuse_verdict(struct sock *sk, struct net *net)
{
	struct selfconn_refuse_net *rn = selfconn_refuse_net(net);
	/*
	 * tcp_send_syn_data() queues its SYN-data (packets_out 2) before it
	 * sends it; when that is refused it sends the plain SYN (packets_out
	 * back to 1). Count and log the connect() once, on the plain SYN.
	 */
	bool plain_syn = tcp_sk(sk)->packets_out <= 1;
	/*
	 * tcp_retransmit_timer() bumps icsk_retransmits before it sends the
	 * SYN again: that connect() began before refuse was set, and is left
	 * alone like a self-connect that already exists.
	 */
	bool refuse = !inet_csk(sk)->icsk_retransmits && READ_ONCE(rn->refuse);

	if (plain_syn)
		selfconn_refuse_account(rn, sk, net, refuse);
	if (!refuse)
		return NF_ACCEPT;
	/*
	 * A deferred TCP_FASTOPEN_CONNECT sends its SYN from write():
	 * tcp_sendmsg_fastopen() then returns what __inet_stream_connect()
	 * finds, sock_error() or else ECONNABORTED.
	 */
	if (inet_test_bit(DEFER_CONNECT, sk))
		WRITE_ONCE(sk->sk_err, ECONNREFUSED);
	return NF_DROP_ERR(-ECONNREFUSED);
}

/* Also sees IPv4-mapped IPv6 sockets: tcp_v6_connect() -> tcp_v4_connect(). */
static unsigned int selfconn_refuse_ipv4(void *priv, struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	const struct inet_sock *inet;
	const struct rtable *rt;
	struct sock *sk;

	sk = selfconn_syn_sender(skb);
	if (likely(!sk))
		return NF_ACCEPT;
	inet = inet_sk(sk);
	if (inet->inet_daddr != inet->inet_saddr ||
	    inet->inet_dport != inet->inet_sport)
		return NF_ACCEPT;
	/* Only a local destination sends it back (IP_FREEBIND binds others). */
	rt = skb_rtable(skb);
	if (!rt || rt->rt_type != RTN_LOCAL)
		return NF_ACCEPT;
	return selfconn_refuse_verdict(sk, state->net);
}

static unsigned int selfconn_refuse_ipv6(void *priv, struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	const struct inet_sock *inet;
	struct sock *sk;

	sk = selfconn_syn_sender(skb);
	if (likely(!sk))
		return NF_ACCEPT;
	inet = inet_sk(sk);
	/* np->saddr is the SYN's source (inet6_csk_route_socket()). */
	if (inet->inet_dport != inet->inet_sport ||
	    !ipv6_addr_equal(&sk->sk_v6_daddr, &inet6_sk(sk)->saddr))
		return NF_ACCEPT;
	if (!skb_dst(skb) || !ipv6_unicast_destination(skb))
		return NF_ACCEPT;
	return selfconn_refuse_verdict(sk, state->net);
}

/* First at LOCAL_OUT: a refused SYN leaves no conntrack entry behind. */
static const struct nf_hook_ops selfconn_refuse_ops[] = {
	{
		.hook		= selfconn_refuse_ipv4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_FIRST,
	},
	{
		.hook		= selfconn_refuse_ipv6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_FIRST,
	},
};

/* ---- the sysctl ---- */

/* The hooks are registered iff refuse or audit is 1. */
static int selfconn_refuse_hooks_sync(struct selfconn_refuse_net *rn)
{
	bool want = rn->refuse || rn->audit;
	int err;

	lockdep_assert_held(&rn->lock);
	if (want == rn->hooked)
		return 0;
	if (want) {
		err = nf_register_net_hooks(rn->net, selfconn_refuse_ops,
					    ARRAY_SIZE(selfconn_refuse_ops));
		if (err)
			return err;
	} else {
		nf_unregister_net_hooks(rn->net, selfconn_refuse_ops,
					ARRAY_SIZE(selfconn_refuse_ops));
	}
	rn->hooked = want;
	return 0;
}

/* Set refuse or audit (@knob) of @rn; unchanged if the hooks fail. */
static int selfconn_refuse_knob_set(struct selfconn_refuse_net *rn, int *knob, int val)
{
	int old = *knob;
	int err;

	lockdep_assert_held(&rn->lock);
	WRITE_ONCE(*knob, val);
	err = selfconn_refuse_hooks_sync(rn);
	if (err)
		WRITE_ONCE(*knob, old);
	return err;
}

static void selfconn_refuse_unhook(struct selfconn_refuse_net *rn)
{
	mutex_lock(&rn->lock);
	WRITE_ONCE(rn->refuse, 0);
	WRITE_ONCE(rn->audit, 0);
	selfconn_refuse_hooks_sync(rn);
	mutex_unlock(&rn->lock);
}

static int selfconn_refuse_sysctl(SELFCONN_SYSCTL_CONST struct ctl_table *table,
				  int dir, void *buffer, size_t *lenp, loff_t *ppos)
{
	struct selfconn_refuse_net *rn = table->extra1;
	int *knob = table->data;
	bool write = SYSCTL_USER_TO_KERN(dir);
	int val = READ_ONCE(*knob);
	size_t len = *lenp;
	struct ctl_table tmp = {
		.data		= &val,
		.maxlen		= sizeof(val),
		.mode		= table->mode,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	};
	int err;

	/*
	 * net_ctl_permissions() lets the namespace's root uid write even
	 * without CAP_NET_ADMIN: the capability is the rule.
	 */
	if (write && !ns_capable(rn->net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	/*
	 * One value per write() at offset 0. __do_proc_dointvec() would
	 * apply the first value of "1 0" and report a short write, silently
	 * ignore a write past offset 0 (sysctl_writes_strict), and count the
	 * bytes past its first page as read without looking at them.
	 */
	if (write && (*ppos || len >= PAGE_SIZE))
		return -EINVAL;
	/* Out of [0, 1]: -EINVAL and val unchanged. */
	err = proc_dointvec_minmax(&tmp, dir, buffer, lenp, ppos);
	if (err || !write)
		return err;
	if (*lenp != len)
		return -EINVAL;
	mutex_lock(&rn->lock);
	err = selfconn_refuse_knob_set(rn, knob, val);
	mutex_unlock(&rn->lock);
	return err;
}

/*
 * Copied for each namespace: .data points to the knob, .extra1 to that
 * namespace's state.
 */
static const struct ctl_table selfconn_refuse_table[] = {
	{
		.procname	= "refuse",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= selfconn_refuse_sysctl,
	},
	{
		.procname	= "audit",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= selfconn_refuse_sysctl,
	},
};

/* ---- per namespace ---- */

static int __net_init selfconn_refuse_net_init(struct net *net)
{
	struct selfconn_refuse_net *rn = selfconn_refuse_net(net);
	struct ctl_table *table;
	int err;

	rn->net = net;
	rn->refuse = 0;
	rn->audit = 0;
	rn->hooked = false;
	atomic64_set(&rn->attempts, 0);
	atomic64_set(&rn->refused, 0);
	mutex_init(&rn->lock);

	mutex_lock(&rn->lock);
	err = selfconn_refuse_knob_set(rn, &rn->refuse, READ_ONCE(selfconn_refuse_default));
	mutex_unlock(&rn->lock);
	if (err)
		goto err_mutex;

	/* And a zeroed entry: the end of the table before 6.6 (compat.h). */
	table = kcalloc(ARRAY_SIZE(selfconn_refuse_table) + 1, sizeof(*table),
			GFP_KERNEL);
	if (!table) {
		err = -ENOMEM;
		goto err_hooks;
	}
	memcpy(table, selfconn_refuse_table, sizeof(selfconn_refuse_table));
	table[0].data = &rn->refuse;
	table[0].extra1 = rn;
	table[1].data = &rn->audit;
	table[1].extra1 = rn;
	rn->sysctl = register_net_sysctl_sz(net, "net/selfconn", table,
					    ARRAY_SIZE(selfconn_refuse_table));
	if (!rn->sysctl) {
		err = -ENOMEM;
		goto err_table;
	}
	return 0;

err_table:
	kfree(table);
err_hooks:
	if (rn->hooked) {
		selfconn_refuse_unhook(rn);
		/* As in selfconn_refuse_net_exit(). */
		synchronize_net();
	}
err_mutex:
	mutex_destroy(&rn->lock);
	return err;
}

/*
 * nf_unregister_net_hook() does not wait for a hook still running under
 * rcu_read_lock() in nf_hook(), and ops_free_list() kfree()s rn right
 * after the exit methods (and rmmod frees the hook's code). Unregistering
 * in pre_exit leaves that wait to the synchronize_rcu() the core runs
 * between pre_exit and exit (cleanup_net(), free_exit_list()): one grace
 * period for all the namespaces going away, not one each.
 */
static void __net_exit selfconn_refuse_net_pre_exit(struct net *net)
{
	selfconn_refuse_unhook(selfconn_refuse_net(net));
}

static void __net_exit selfconn_refuse_net_exit(struct net *net)
{
	struct selfconn_refuse_net *rn = selfconn_refuse_net(net);
	const struct ctl_table *table = rn->sysctl->ctl_table_arg;

	/* Waits for writers still in selfconn_refuse_sysctl(). */
	unregister_net_sysctl_table(rn->sysctl);
	kfree(table);

	/* A writer set refuse or audit to 1 again after pre_exit: wait here. */
	if (rn->hooked) {
		selfconn_refuse_unhook(rn);
		synchronize_net();
	}
	mutex_destroy(&rn->lock);
}

static struct pernet_operations selfconn_refuse_net_ops = {
	.init		= selfconn_refuse_net_init,
	.pre_exit	= selfconn_refuse_net_pre_exit,
	.exit		= selfconn_refuse_net_exit,
	.id		= &selfconn_refuse_net_id,
	.size		= sizeof(struct selfconn_refuse_net),
};

/* The namespace's counters, for the header line of /proc/selfconn. */
void selfconn_refuse_counters(const struct net *net, u64 *attempts, u64 *refused)
{
	struct selfconn_refuse_net *rn = selfconn_refuse_net(net);

	*attempts = atomic64_read(&rn->attempts);
	*refused = atomic64_read(&rn->refused);
}

int selfconn_refuse_init(void)
{
	return register_pernet_subsys(&selfconn_refuse_net_ops);
}

void selfconn_refuse_exit(void)
{
	unregister_pernet_subsys(&selfconn_refuse_net_ops);
}
