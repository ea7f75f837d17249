/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM selfconn

#if !defined(_SELFCONN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SELFCONN_TRACE_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/sched.h>
#include <linux/socket.h>
#include <linux/tracepoint.h>
#include <net/ipv6.h>
#include <net/sock.h>

/* Once, though define_trace.h reads this file again. */
#ifndef _SELFCONN_TRACE_ADDR
#define _SELFCONN_TRACE_ADDR
/*
 * The destination as a struct sockaddr_in or sockaddr_in6 in @addr, as the
 * tcp: events store theirs (TP_STORE_ADDRS()), for %pISpc.
 */
static inline void selfconn_trace_addr(u8 *addr, const struct sock *sk)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *sin = (struct sockaddr_in *)addr;

	memset(addr, 0, sizeof(*sin6));
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = sk->sk_dport;
		sin6->sin6_addr = sk->sk_v6_daddr;
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = sk->sk_dport;
		sin->sin_addr.s_addr = sk->sk_daddr;
	}
}
#endif /* _SELFCONN_TRACE_ADDR */

/*
 * selfconn:attempt, for every self-connect SYN the LOCAL_OUT hooks of a
 * namespace see (net.selfconn.refuse or net.selfconn.audit is 1 there):
 * in the context of the task whose connect() or write() sends it.
 */
TRACE_EVENT(attempt,
	    TP_PROTO(const struct sock *sk, const struct net *net, bool refused),
	    TP_ARGS(sk, net, refused),
	    TP_STRUCT__entry(__field(u16, family)
			     __field(u16, port)
			     __array(u8, addr, sizeof(struct sockaddr_in6))
			     __field(unsigned int, netns)
			     __field(pid_t, pid)
			     __field(uid_t, uid)
			     __array(char, comm, TASK_COMM_LEN)
			     __field(bool, refused)),
	    TP_fast_assign(selfconn_trace_addr(__entry->addr, sk);
			   __entry->family = sk->sk_family;
			   __entry->port = sk->sk_num;
			   __entry->netns = net->ns.inum;
			   __entry->pid = task_tgid_nr(current);
			   __entry->uid = from_kuid_munged(&init_user_ns, current_uid());
			   memcpy(__entry->comm, current->comm, TASK_COMM_LEN);
			   __entry->refused = refused;),
	    TP_printk("family=%s addr=%pISpc port=%u netns=%u pid=%d comm=%s uid=%u verdict=%s",
		      __entry->family == AF_INET6 ? "inet6" : "inet",
		      __entry->addr, __entry->port, __entry->netns, __entry->pid,
		      __entry->comm, __entry->uid,
		      __entry->refused ? "refused" : "allowed")
);

#endif /* _SELFCONN_TRACE_H */

/* An out-of-tree module's trace header is found through -I$(src) (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
