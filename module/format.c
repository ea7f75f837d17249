// SPDX-License-Identifier: GPL-2.0
/*
 * How /proc/selfconn writes what it copied: addresses, TCP states and
 * owners as ss(8) and /proc/net/tcp print them. Never called under a lock
 * of the socket tables.
 */

#include <linux/seq_file.h>
#include <linux/socket.h>
#include <linux/uidgid.h>
#include <net/tcp_states.h>

#include "format.h"
#include "row.h"

static const char *const selfconn_state_names[TCP_MAX_STATES] = {
	[TCP_ESTABLISHED]	= "ESTAB",
	[TCP_SYN_SENT]		= "SYN-SENT",
	[TCP_SYN_RECV]		= "SYN-RECV",
	[TCP_FIN_WAIT1]		= "FIN-WAIT-1",
	[TCP_FIN_WAIT2]		= "FIN-WAIT-2",
	[TCP_TIME_WAIT]		= "TIME-WAIT",
	[TCP_CLOSE]		= "UNCONN",
	[TCP_CLOSE_WAIT]	= "CLOSE-WAIT",
	[TCP_LAST_ACK]		= "LAST-ACK",
	[TCP_LISTEN]		= "LISTEN",
	[TCP_CLOSING]		= "CLOSING",
	[TCP_NEW_SYN_RECV]	= "SYN-RECV",
};

const char *selfconn_state_name(u8 state)
{
	if (state < TCP_MAX_STATES && selfconn_state_names[state])
		return selfconn_state_names[state];
	return "UNKNOWN";
}

const char *selfconn_family_name(u8 family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

/*
 * A port report can run to tens of thousands of lines: they are built from
 * seq_puts() and seq_put_decimal_ull(), which cost a fraction of a
 * vsnprintf() each.
 */
static void selfconn_seq_ipv4(struct seq_file *seq, const struct in6_addr *addr)
{
	const u8 *b = &addr->s6_addr[12];

	seq_put_decimal_ull(seq, "", b[0]);
	seq_put_decimal_ull(seq, ".", b[1]);
	seq_put_decimal_ull(seq, ".", b[2]);
	seq_put_decimal_ull(seq, ".", b[3]);
}

/* address:port as ss(8) writes it; IPv4 lives in addr->s6_addr32[3]. */
void selfconn_seq_addr(struct seq_file *seq, u8 family,
		       const struct in6_addr *addr, u16 port)
{
	if (family == AF_INET6)
		seq_printf(seq, "[%pI6c]", addr);
	else
		selfconn_seq_ipv4(seq, addr);
	seq_put_decimal_ull(seq, ":", port);
}

/* "FAMILY LADDR:LPORT STATE" */
void selfconn_seq_local(struct seq_file *seq, const struct selfconn_row *row)
{
	seq_puts(seq, selfconn_family_name(row->family));
	seq_putc(seq, ' ');
	selfconn_seq_addr(seq, row->family, &row->laddr, row->lport);
	seq_putc(seq, ' ');
	seq_puts(seq, selfconn_state_name(row->state));
}

/* Like /proc/net/tcp: a timewait socket has no owner and prints 0. */
uid_t selfconn_row_uid(struct seq_file *seq, const struct selfconn_row *row)
{
	return row->timewait ? 0 : from_kuid_munged(seq_user_ns(seq), row->uid);
}
