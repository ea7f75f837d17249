/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_REPORT_H
#define _SELFCONN_REPORT_H

#include <linux/types.h>

struct net;
struct seq_file;
struct selfconn_report;

struct selfconn_report *selfconn_report_take(struct net *net, u16 port);
void selfconn_report_free(struct selfconn_report *r);
unsigned int selfconn_report_nr_lines(const struct selfconn_report *r);
void selfconn_report_show_line(struct seq_file *seq, const struct selfconn_report *r,
			       unsigned int line);

#endif /* _SELFCONN_REPORT_H */
