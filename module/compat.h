/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, kept in one place.
 *
 * selfconn relies on the per-netns TCP hashinfo pointer and on bhash2, both
 * introduced in Linux 6.1.
 */
#ifndef _SELFCONN_COMPAT_H
#define _SELFCONN_COMPAT_H

#include <linux/version.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "selfconn needs Linux 6.1 or later"
#endif

#if !IS_ENABLED(CONFIG_IPV6)
#error "selfconn needs CONFIG_IPV6"
#endif

/* The TCP hash tables a namespace uses (global or per-netns ehash). */
static inline struct inet_hashinfo *selfconn_tcp_hashinfo(const struct net *net)
{
	return net->ipv4.tcp_death_row.hashinfo;
}

#endif /* _SELFCONN_COMPAT_H */
