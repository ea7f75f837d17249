/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, kept in one place.
 *
 * selfconn needs Linux 6.1 or later: it relies on the per-netns TCP hashinfo
 * pointer and on bhash2, both introduced in 6.1, and fails to build without.
 */
#ifndef _SELFCONN_COMPAT_H
#define _SELFCONN_COMPAT_H

#include <net/inet_hashtables.h>
#include <net/net_namespace.h>

#if !IS_ENABLED(CONFIG_IPV6)
#error "selfconn needs CONFIG_IPV6"
#endif

/* The TCP hash tables a namespace uses (global or per-netns ehash). */
static inline struct inet_hashinfo *selfconn_tcp_hashinfo(const struct net *net)
{
	return net->ipv4.tcp_death_row.hashinfo;
}

#endif /* _SELFCONN_COMPAT_H */
