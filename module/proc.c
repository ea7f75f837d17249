// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/selfconn: the self-connected TCP sockets of the reader's network
 * namespace, then a report for each watched port.
 *
 * A read that starts at offset 0 takes a snapshot (snapshot.c) of the rows
 * and of the watched ports; every later read() continues in that snapshot,
 * so the cost of a full read does not depend on the reader's buffer size and
 * the header's row count always matches the rows that follow.
 *
 * Writes:
 *   - on a write-only descriptor, "P", "-P" or "clear" change the watched
 *     ports of the opener's namespace (CAP_NET_ADMIN over it);
 *   - on a read-write descriptor, "P" makes that descriptor report port P
 *     only, without touching shared state and without privilege.
 */

#include <linux/capability.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <net/tcp_states.h>

#include "selfconn.h"

#define SELFCONN_PROC_NAME	"selfconn"
#define SELFCONN_FORMAT_VERSION	1
/* Longest valid write: "-65535\n" or "clear\n". */
#define SELFCONN_WRITE_MAX	7

struct selfconn_iter {
	struct net			*net;
	struct selfconn_snapshot	snap;
	u16				ports[SELFCONN_MAX_WATCHED];
	unsigned int			nr_ports;
	u16				query_port;	/* 0: none */
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

const char *selfconn_state_name(u8 state)
{
	if (state < TCP_MAX_STATES && selfconn_state_names[state])
		return selfconn_state_names[state];
	return "UNKNOWN";
}

/* address:port as ss(8) writes it; IPv4 lives in addr->s6_addr32[3]. */
void selfconn_seq_addr(struct seq_file *seq, u8 family,
		       const struct in6_addr *addr, u16 port)
{
	if (family == AF_INET6)
		seq_printf(seq, "[%pI6c]:%u", addr, port);
	else
		seq_printf(seq, "%pI4:%u", &addr->s6_addr32[3], port);
}

static void selfconn_show_header(struct seq_file *seq)
{
	struct selfconn_iter *it = seq->private;

	seq_printf(seq, "# selfconn v%d rows=%u", SELFCONN_FORMAT_VERSION, it->snap.nr);
	selfconn_refuse_show(seq, it->net);
	seq_puts(seq, "\n# family address state uid inode timer_ms\n");
}

static void selfconn_show_row(struct seq_file *seq, const struct selfconn_row *row)
{
	/* Like /proc/net/tcp: a timewait socket has no owner and prints 0. */
	uid_t uid = row->timewait ? 0 : from_kuid_munged(seq_user_ns(seq), row->uid);

	seq_puts(seq, row->family == AF_INET6 ? "inet6 " : "inet ");
	selfconn_seq_addr(seq, row->family, &row->laddr, row->lport);
	seq_printf(seq, " %s %u %lu ", selfconn_state_name(row->state), uid, row->ino);
	if (row->timewait)
		seq_printf(seq, "%lu\n", row->timer_ms);
	else
		seq_puts(seq, "-\n");
}

/*
 * Positions: 0 is the header, 1..nr are the rows, then one report per
 * watched port. A per-descriptor query has one position: its report.
 */
static void *selfconn_seq_item(struct selfconn_iter *it, loff_t pos)
{
	if (it->query_port)
		return pos == 0 ? &it->query_port : NULL;
	if (pos == 0)
		return SEQ_START_TOKEN;
	if (pos <= it->snap.nr)
		return &it->snap.rows[pos - 1];
	pos -= it->snap.nr + 1;
	if (pos < it->nr_ports)
		return &it->ports[pos];
	return NULL;
}

static int selfconn_take_snapshot(struct selfconn_iter *it)
{
	it->snap.nr = 0;
	it->nr_ports = 0;
	if (it->query_port)
		return 0;
	it->nr_ports = selfconn_watch_copy(it->net, it->ports);
	return selfconn_snapshot_take(&it->snap, it->net, selfconn_match_self, 0);
}

static void *selfconn_seq_start(struct seq_file *seq, loff_t *pos)
{
	struct selfconn_iter *it = seq->private;
	int err;

	if (*pos == 0) {
		err = selfconn_take_snapshot(it);
		if (err)
			return ERR_PTR(err);
	}
	return selfconn_seq_item(it, *pos);
}

static void *selfconn_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return selfconn_seq_item(seq->private, *pos);
}

static void selfconn_seq_stop(struct seq_file *seq, void *v)
{
}

static bool selfconn_is_port(const struct selfconn_iter *it, const void *v)
{
	const u16 *p = v;

	return p == &it->query_port ||
	       (p >= it->ports && p < it->ports + it->nr_ports);
}

static int selfconn_seq_show(struct seq_file *seq, void *v)
{
	struct selfconn_iter *it = seq->private;

	if (v == SEQ_START_TOKEN)
		selfconn_show_header(seq);
	else if (selfconn_is_port(it, v))
		selfconn_report_show(seq, it->net, *(u16 *)v);
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

/* A port: 1 to 65535 in plain decimal, no sign, space or leading zero. */
static int selfconn_parse_port(const char *s, u16 *port)
{
	unsigned int val = 0;
	const char *p;

	if (*s < '1' || *s > '9')
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		val = val * 10 + (*p - '0');
		if (val > U16_MAX)
			return -EINVAL;
	}
	*port = val;
	return 0;
}

/* Copy one command of at most one line, without its newline. */
static int selfconn_copy_cmd(char *buf, const char __user *ubuf, size_t count)
{
	if (count == 0 || count > SELFCONN_WRITE_MAX)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (buf[count - 1] == '\n')
		buf[--count] = '\0';
	if (count == 0 || strlen(buf) != count)
		return -EINVAL;
	return 0;
}

static int selfconn_watch_cmd(struct file *file, struct net *net, const char *cmd)
{
	u16 port;
	int err;

	if (!file_ns_capable(file, net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (!strcmp(cmd, "clear")) {
		selfconn_watch_clear(net);
		return 0;
	}
	if (cmd[0] == '-') {
		err = selfconn_parse_port(cmd + 1, &port);
		return err ?: selfconn_watch_del(net, port);
	}
	err = selfconn_parse_port(cmd, &port);
	return err ?: selfconn_watch_add(net, port);
}

static ssize_t selfconn_proc_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct seq_file *seq = file->private_data;
	struct selfconn_iter *it = seq->private;
	char cmd[SELFCONN_WRITE_MAX + 1];
	u16 port;
	int err;

	if (*ppos)
		return -EINVAL;
	err = selfconn_copy_cmd(cmd, ubuf, count);
	if (err)
		return err;

	if (file->f_mode & FMODE_READ) {
		err = selfconn_parse_port(cmd, &port);
		if (err)
			return err;
		mutex_lock(&seq->lock);
		it->query_port = port;
		mutex_unlock(&seq->lock);
	} else {
		err = selfconn_watch_cmd(file, it->net, cmd);
		if (err)
			return err;
	}
	return count;
}

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
	.proc_write	= selfconn_proc_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= selfconn_proc_release,
};

/*
 * World-writable so that anyone can run a per-descriptor query; changing
 * the watched ports is checked against the opener's credentials.
 */
int selfconn_proc_init(void)
{
	if (selfconn_fault() ||
	    !proc_create(SELFCONN_PROC_NAME, 0666, NULL, &selfconn_proc_ops))
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
