// SPDX-License-Identifier: GPL-2.0
/*
 * Self-connects without selfconn.ko: the kernel's sock_diag netlink
 * interface (inet_diag, as ss uses it) dumps every TCP socket of the
 * namespace, TIME-WAIT included; the rows are those whose local
 * address:port equals the remote one, in the shape of /proc/selfconn rows.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "selfconn.h"

#define TW_TIMER 3	/* idiag_timer of a timewait socket, inet_twsk_diag_fill() */

static int send_dump(int fd, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = (unsigned int)family;
	req.r.sdiag_family = (unsigned char)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	/* TCP_ESTABLISHED (1) to TCP_CLOSING (11), less the listeners */
	req.r.idiag_states = 0xffeU & ~(1U << TCP_LISTEN);
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return errno;
	return 0;
}

/* One inet_diag_msg: a row if the socket is connected to itself. */
static int add_msg(struct sc_table *t, int family, const struct inet_diag_msg *m)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct sc_row r;

	if (m->id.idiag_sport != m->id.idiag_dport || !m->id.idiag_sport ||
	    memcmp(m->id.idiag_src, m->id.idiag_dst, alen) ||
	    !sc_tcp_state_is_connection(m->idiag_state))
		return 0;
	memset(&r, 0, sizeof(r));
	r.family = family;
	memcpy(r.addr, m->id.idiag_src, alen);
	r.port = ntohs(m->id.idiag_sport);
	r.state = sc_tcp_state_name(m->idiag_state);
	r.uid = m->idiag_uid;
	r.inode = m->idiag_inode;
	r.timer_ms = m->idiag_timer == TW_TIMER ? (long long)m->idiag_expires : -1;
	return sc_table_add_row(t, &r) ? ENOMEM : 0;
}

/* The replies to one dump: 0 or an errno. */
static int read_dump(int fd, struct sc_table *t, int family)
{
	long buf[8192];
	struct nlmsghdr *h;
	ssize_t n;
	int err;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EPROTO;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? -e->error : EPROTO;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			err = add_msg(t, family, NLMSG_DATA(h));
			if (err)
				return err;
		}
	}
}

/*
 * Adds the self-connected TCP sockets of this namespace to t, IPv4 then
 * IPv6. 0, or an errno with what failed in what (size len).
 */
int sc_diag_selfconns(struct sc_table *t, char *what, size_t len)
{
	static const int families[] = { AF_INET, AF_INET6 };
	size_t i;
	int fd, err = 0;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		snprintf(what, len, "socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
		return errno;
	}
	for (i = 0; i < 2 && !err; i++) {
		err = send_dump(fd, families[i]);
		if (!err)
			err = read_dump(fd, t, families[i]);
		if (err)
			snprintf(what, len, "sock_diag dump of %s TCP sockets%s",
				 sc_family_name(families[i]),
				 err == ENOENT ? " (inet_diag/tcp_diag not available)" : "");
	}
	close(fd);
	return err;
}
