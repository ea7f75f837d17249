// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/selfconn: the self-connected TCP sockets of the reader's network
 * namespace.
 *
 * A read that starts at offset 0 takes a snapshot (snapshot.c); every later
 * read() continues in that snapshot, so the cost of a full read does not
 * depend on the reader's buffer size and the header's row count always
 * matches the rows that follow.
 */

#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <net/tcp_states.h>

#include "selfconn.h"

#define SELFCONN_PROC_NAME	"selfconn"
#define SELFCONN_FORMAT_VERSION	1

struct selfconn_iter {
	struct net			*net;
	struct selfconn_snapshot	snap;
};

/* State names as ss(8) prints them. */
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

static const char *selfconn_state_name(u8 state)
{
	if (state < TCP_MAX_STATES && selfconn_state_names[state])
		return selfconn_state_names[state];
	return "UNKNOWN";
}

static void selfconn_show_header(struct seq_file *seq)
{
	struct selfconn_iter *it = seq->private;

	seq_printf(seq, "# selfconn v%d rows=%u", SELFCONN_FORMAT_VERSION, it->snap.nr);
	selfconn_refuse_show(seq, it->net);
	seq_putc(seq, '\n');
	seq_puts(seq, "# family address state uid inode timer_ms\n");
}

static void selfconn_show_row(struct seq_file *seq, const struct selfconn_row *row)
{
	/* Like /proc/net/tcp: a timewait socket has no owner and prints 0. */
	uid_t uid = row->timewait ? 0 : from_kuid_munged(seq_user_ns(seq), row->uid);

	if (row->family == AF_INET6)
		seq_printf(seq, "inet6 [%pI6c]:%u", &row->addr, row->port);
	else
		seq_printf(seq, "inet %pI4:%u", &row->addr.s6_addr32[3], row->port);

	seq_printf(seq, " %s %u %lu ", selfconn_state_name(row->state), uid, row->ino);
	if (row->timewait)
		seq_printf(seq, "%lu\n", row->timer_ms);
	else
		seq_puts(seq, "-\n");
}

/* Position 0 is the header, position n >= 1 is row n - 1. */
static void *selfconn_seq_row(struct selfconn_iter *it, loff_t pos)
{
	if (pos < 1 || pos > it->snap.nr)
		return NULL;
	return &it->snap.rows[pos - 1];
}

static void *selfconn_seq_start(struct seq_file *seq, loff_t *pos)
{
	struct selfconn_iter *it = seq->private;
	int err;

	if (*pos)
		return selfconn_seq_row(it, *pos);

	err = selfconn_snapshot_take(&it->snap, it->net);
	if (err)
		return ERR_PTR(err);
	return SEQ_START_TOKEN;
}

static void *selfconn_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return selfconn_seq_row(seq->private, *pos);
}

static void selfconn_seq_stop(struct seq_file *seq, void *v)
{
}

static int selfconn_seq_show(struct seq_file *seq, void *v)
{
	if (v == SEQ_START_TOKEN)
		selfconn_show_header(seq);
	else
		selfconn_show_row(seq, v);
	return 0;
}

static const struct seq_operations selfconn_seq_ops = {
	.start	= selfconn_seq_start,
	.next	= selfconn_seq_next,
	.stop	= selfconn_seq_stop,
	.show	= selfconn_seq_show,
};

static int selfconn_proc_open(struct inode *inode, struct file *file)
{
	struct selfconn_iter *it;

	it = __seq_open_private(file, &selfconn_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->net = get_net(current->nsproxy->net_ns);
	return 0;
}

static int selfconn_proc_release(struct inode *inode, struct file *file)
{
	struct seq_file *seq = file->private_data;
	struct selfconn_iter *it = seq->private;

	selfconn_snapshot_free(&it->snap);
	put_net(it->net);
	return seq_release_private(inode, file);
}

static const struct proc_ops selfconn_proc_ops = {
	.proc_open	= selfconn_proc_open,
	.proc_read_iter	= seq_read_iter,
	.proc_lseek	= seq_lseek,
	.proc_release	= selfconn_proc_release,
};

int selfconn_proc_init(void)
{
	if (!proc_create(SELFCONN_PROC_NAME, 0444, NULL, &selfconn_proc_ops))
		return -ENOMEM;
	return 0;
}

/*
 * remove_proc_entry() waits for running file operations and releases every
 * file still open (proc_entry_rundown()), so no reader can reach this module
 * once it returns.
 */
void selfconn_proc_exit(void)
{
	remove_proc_entry(SELFCONN_PROC_NAME, NULL);
}
