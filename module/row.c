// SPDX-License-Identifier: GPL-2.0
/*
 * Copy one TCP socket of the established or the bind hash into a row: full
 * sockets, timewait and request sockets, which all start with struct
 * sock_common.
 */

#include <linux/jiffies.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "row.h"

static unsigned long selfconn_tw_left_ms(const struct inet_timewait_sock *tw)
{
	long delta = (long)(tw->tw_timer.expires - jiffies);

	return delta > 0 ? jiffies_to_msecs(delta) : 0;
}

static void selfconn_row_addrs(struct selfconn_row *row, const struct sock *sk)
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
}

/*
 * Called with a lock that keeps @sk in its hash table: its ehash bucket's,
 * or its port's bhash bucket's.
 */
void selfconn_row_fill(struct selfconn_row *row, struct sock *sk)
{
	selfconn_row_addrs(row, sk);
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
		row->uid = sk_uid(inet_reqsk(sk)->rsk_listener);
		break;
	default:
		row->state = sk->sk_state;
		row->uid = sk_uid(sk);
		row->ino = sock_i_ino(sk);
		break;
	}
}
