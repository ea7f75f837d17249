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

#include <linux/sysctl.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/sock.h>

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

#endif /* _SELFCONN_COMPAT_H */
