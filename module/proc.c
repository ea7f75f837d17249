// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/selfconn: the self-connected TCP sockets of the reader's network
 * namespace, then a report for each watched port.
 *
 * A read that starts at offset 0 takes a snapshot of the rows (snapshot.c)
 * and of the report of each watched port (report.c); every later read()
 * continues in that snapshot, one seq_file record a line, so the cost of a
 * full read does not depend on the reader's buffer size and the header's
 * row count always matches the rows that follow.
 *
 * Writes:
 *   - on a write-only descriptor, "P", "-P" or "clear" change the watched
 *     ports of the opener's namespace (CAP_NET_ADMIN over it);
 *   - on a read-write descriptor, "P" makes that descriptor report port P
 *     only, without touching shared state and without privilege.
 */

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

#include "format.h"
#include "proc.h"
#include "refuse.h"
#include "report.h"
#include "row.h"
#include "snapshot.h"
#include "watch.h"

#define SELFCONN_PROC_NAME	"selfconn"
#define SELFCONN_FORMAT_VERSION	1
/* Longest valid write: "-65535\n" or "clear\n". */
#define SELFCONN_WRITE_MAX	7

/* A line of a report, as the seq_file iterator hands it to ->show(). */
struct selfconn_cursor {
	const struct selfconn_report	*report;
	unsigned int			line;
};

struct selfconn_iter {
	struct net			*net;
	u16				query_port;	/* 0: none */
	/* Taken when a read starts at offset 0. */
	bool				with_rows;
	u64				attempts;
	u64				refused;
	struct selfconn_snapshot	snap;
	struct selfconn_report		*reports[SELFCONN_MAX_WATCHED];
	unsigned int			nr_reports;
	struct selfconn_cursor		cursor;
};

static void selfconn_show_header(struct seq_file *seq, const struct selfconn_iter *it)
{
	seq_printf(seq, "# selfconn v%d rows=%u attempts=%llu refused=%llu\n",
		   SELFCONN_FORMAT_VERSION, it->snap.nr, it->attempts, it->refused);
	seq_puts(seq, "# family address state uid inode timer_ms\n");
}

static void selfconn_show_row(struct seq_file *seq, const struct selfconn_row *row)
{
	seq_printf(seq, "%s ", selfconn_family_name(row->family));
	selfconn_seq_addr(seq, row->family, &row->laddr, row->lport);
	seq_printf(seq, " %s %u %llu ", selfconn_state_name(row->state),
		   selfconn_row_uid(seq, row), row->ino);
	if (row->timewait)
		seq_printf(seq, "%lu\n", row->timer_ms);
	else
		seq_puts(seq, "-\n");
}

static void selfconn_drop_reports(struct selfconn_iter *it)
{
	while (it->nr_reports)
		selfconn_report_free(it->reports[--it->nr_reports]);
}

/*
 * The rows and counters of the namespace and the report of each watched
 * port, or only the report of the descriptor's query port.
 */
static int selfconn_take_snapshot(struct selfconn_iter *it)
{
	u16 ports[SELFCONN_MAX_WATCHED];
	struct selfconn_report *r;
	unsigned int nr, i;
	int err;

	selfconn_drop_reports(it);
	it->snap.nr = 0;
	it->with_rows = !it->query_port;
	if (it->with_rows) {
		nr = selfconn_watch_copy(it->net, ports);
		selfconn_refuse_counters(it->net, &it->attempts, &it->refused);
		err = selfconn_snapshot_take(&it->snap, it->net, selfconn_match_self, 0);
		if (err)
			return err;
	} else {
		ports[0] = it->query_port;
		nr = 1;
	}
	for (i = 0; i < nr; i++) {
		r = selfconn_report_take(it->net, ports[i]);
		if (IS_ERR(r))
			return PTR_ERR(r);
		it->reports[it->nr_reports++] = r;
	}
	return 0;
}

/*
 * Positions: 0 is the header, 1..nr are the rows, then every line of each
 * report, one record each. A per-descriptor query has its report only.
 */
static void *selfconn_seq_item(struct selfconn_iter *it, loff_t pos)
{
	unsigned int i, lines;

	if (it->with_rows) {
		if (pos == 0)
			return SEQ_START_TOKEN;
		if (pos <= it->snap.nr)
			return &it->snap.rows[pos - 1];
		pos -= it->snap.nr + 1;
	}
	for (i = 0; i < it->nr_reports; i++) {
		lines = selfconn_report_nr_lines(it->reports[i]);
		if (pos < lines) {
			it->cursor.report = it->reports[i];
			it->cursor.line = pos;
			return &it->cursor;
		}
		pos -= lines;
	}
	return NULL;
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

static int selfconn_seq_show(struct seq_file *seq, void *v)
{
	struct selfconn_iter *it = seq->private;

	if (v == SEQ_START_TOKEN)
		selfconn_show_header(seq, it);
	else if (v == &it->cursor)
		selfconn_report_show_line(seq, it->cursor.report, it->cursor.line);
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

	selfconn_drop_reports(it);
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
	if (!proc_create(SELFCONN_PROC_NAME, 0666, NULL, &selfconn_proc_ops))
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
