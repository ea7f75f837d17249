/* SPDX-License-Identifier: GPL-2.0 */
/* Addresses, states and owners as ss(8) and /proc/net/tcp print them. */
#ifndef _SELFCONN_FORMAT_H
#define _SELFCONN_FORMAT_H

#include <linux/types.h>

struct in6_addr;
struct seq_file;
struct selfconn_row;

const char *selfconn_state_name(u8 state);
const char *selfconn_family_name(u8 family);
void selfconn_seq_addr(struct seq_file *seq, u8 family,
		       const struct in6_addr *addr, u16 port);
void selfconn_seq_local(struct seq_file *seq, const struct selfconn_row *row);
uid_t selfconn_row_uid(struct seq_file *seq, const struct selfconn_row *row);

#endif /* _SELFCONN_FORMAT_H */
