/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_ROW_H
#define _SELFCONN_ROW_H

#include <linux/in6.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct sock;

/*
 * What /proc/selfconn prints of one socket, copied while a lock of the
 * socket tables keeps it alive, so that printing it later needs no
 * reference and no lock.
 */
struct selfconn_row {
	struct in6_addr	laddr;		/* IPv4 in s6_addr32[3] */
	struct in6_addr	raddr;
	kuid_t		uid;
	u64		ino;		/* 0: timewait or request sock */
	unsigned long	timer_ms;	/* timewait only: time left */
	u16		lport;		/* host order */
	u16		rport;
	u8		family;
	u8		state;		/* TCP_*; timewait sockets: tw_substate */
	bool		timewait;
};

void selfconn_row_fill(struct selfconn_row *row, struct sock *sk);

#endif /* _SELFCONN_ROW_H */
