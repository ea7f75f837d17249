// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn list [--json] [--check] [--diag] [--all-netns]
 *
 * The self-connected TCP sockets of this network namespace (or of every
 * one, each read from inside it by a child: netns.c), from
 * /proc/selfconn (or, without selfconn.ko, from sock_diag), with the
 * processes that hold each socket: pid and command, found as ss -p finds
 * them, through the "socket:[INODE]" links in /proc/PID/fd.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmdline.h"
#include "json.h"
#include "netns.h"
#include "procfile.h"
#include "rows.h"
#include "selfconn.h"

#define CMD "list"

struct list_opts {
	int json;
	int check;
	int diag;
	int all_netns;
	int quiet;		/* no note on stderr about the sock_diag fallback */
};

struct owner {
	size_t row;		/* index into the table's rows */
	long pid;
	char comm[32];
};

struct owners {
	struct owner *v;
	size_t n, cap;
};

void sc_list_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s " CMD " [--json] [--check] [--diag] [--all-netns]\n"
		"\n"
		"List the TCP sockets of this network namespace that are connected to\n"
		"themselves, from " SC_PROC_PATH ", with the processes holding each\n"
		"one (pid/command, from /proc/PID/fd as ss -p does; other users'\n"
		"processes only as root). Without selfconn.ko, the sockets come from the\n"
		"kernel's sock_diag netlink interface (inet_diag) instead, with a note\n"
		"on stderr: the port report (%s port) needs the module.\n"
		"\n"
		"  # selfconn list v1 source=proc rows=N [header fields of the module]\n"
		"  # family address state uid inode timer_ms users\n"
		"  inet 127.0.0.1:18082 ESTAB 0 8270 - 1234/nc\n"
		"\n"
		"users: PID/COMMAND[,PID/COMMAND...], '-' for none (TIME-WAIT);\n"
		"in COMMAND, a space, ',' or unprintable byte shows as '?'.\n"
		"\n"
		"  --json      one JSON object (schema 1):\n"
		"              {\"schema\":1,\"source\":\"proc\"|\"sock_diag\",\n"
		"               \"header\":{key:value, of the module's header line},\n"
		"               \"rows\":[{\"family\":\"inet\",\"address\":\"127.0.0.1\",\n"
		"                 \"port\":18082,\"state\":\"ESTAB\",\"uid\":0,\"inode\":8270,\n"
		"                 \"timer_ms\":null,\"users\":[{\"pid\":1234,\"comm\":\"nc\"}]}]}\n"
		"  --check     for cron and monitoring: exit 1 if any self-connect exists,\n"
		"              0 if none, 3 if that could not be found out\n"
		"  --diag      use sock_diag even when the module is loaded\n"
		"  --all-netns every network namespace of the host (root: CAP_SYS_ADMIN\n"
		"              and CAP_SYS_PTRACE), found as lsns -t net does (the\n"
		"              /proc/PID/ns/net of every process and /run/netns/*, once\n"
		"              each by inode), each read from inside it. Text: a line\n"
		"              '# netns=INODE pid=PID source=... rows=N ...' for each\n"
		"              namespace (pid: its lowest, '-' for a /run/netns name\n"
		"              alone), rows prefixed with the namespace's inode and that\n"
		"              pid. --json: {\"schema\":1,\"all_netns\":true,\"namespaces\":\n"
		"              [{\"netns\":INODE,\"pid\":PID|null,\"source\":...,\"header\":\n"
		"              {...},\"rows\":[...]}]}. --check: 1 if any namespace has one\n"
		"  -h, --help  this help\n"
		"  -V, --version\n"
		"              the version of selfconn\n"
		"\n"
		"Exit status: 0 listed, 1 error, 64 bad usage; with --check: 0 no\n"
		"self-connect, 1 at least one, 3 error (unknown), 64 bad usage.\n",
		prog, prog);
}

enum { OPT_JSON = 256, OPT_CHECK, OPT_DIAG, OPT_ALL_NETNS };

static const struct option list_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "diag", no_argument, NULL, OPT_DIAG },
	{ "all-netns", no_argument, NULL, OPT_ALL_NETNS },
	{ NULL, 0, NULL, 0 },
};

static int list_option(void *opts, const struct option *opt, const char *arg,
		       const struct sc_cmdline *cl)
{
	struct list_opts *o = opts;

	(void)arg;
	(void)cl;
	if (opt->val == OPT_JSON)
		o->json = 1;
	else if (opt->val == OPT_CHECK)
		o->check = 1;
	else if (opt->val == OPT_ALL_NETNS)
		o->all_netns = 1;
	else
		o->diag = 1;
	return 0;
}

/* The options, no argument: SC_CMDLINE_*. */
static int parse_args(const char *prog, int argc, char **argv, struct list_opts *o)
{
	const struct sc_cmdline cl = {
		.prog = prog, .cmd = CMD, .options = list_options,
		.max_args = 0, .option = list_option,
	};
	char **args;
	int nargs;

	memset(o, 0, sizeof(*o));
	return sc_cmdline_parse(&cl, argc, argv, o, &args, &nargs);
}

static int row_cmp(const void *a, const void *b)
{
	const struct sc_row *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->state, y->state);
}

static int add_owner(struct owners *w, size_t row, long pid)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->v[i].row == row && w->v[i].pid == pid)
			return 0;	/* the same socket on two fds */
	if (sc_grow((void **)&w->v, &w->cap, w->n, sizeof(*w->v), 16))
		return -1;
	memset(&w->v[w->n], 0, sizeof(w->v[0]));
	w->v[w->n].row = row;
	w->v[w->n].pid = pid;
	w->n++;
	return 0;
}

static void read_comm(long pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The sockets of one process: owners of the rows' inodes. */
static int scan_pid(const struct sc_table *t, struct owners *w, long pid)
{
	char path[64], link[64];
	unsigned long ino;
	struct dirent *d;
	size_t first = w->n, i;
	ssize_t n;
	DIR *dir;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;	/* gone, or not ours to see */
	while (!ret && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/%.20s", pid, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) != 1 || !ino)
			continue;
		for (i = 0; i < t->nrows && !ret; i++)
			if (t->rows[i].inode == ino)
				ret = add_owner(w, i, pid);
	}
	closedir(dir);
	if (w->n > first) {
		read_comm(pid, w->v[first].comm, sizeof(w->v[0].comm));
		for (i = first + 1; i < w->n; i++)
			memcpy(w->v[i].comm, w->v[first].comm, sizeof(w->v[0].comm));
	}
	return ret;
}

static int find_owners(const struct sc_table *t, struct owners *w)
{
	struct dirent *d;
	char *end;
	long pid;
	DIR *dir;
	size_t i;
	int ret = 0;

	for (i = 0; i < t->nrows && !t->rows[i].inode; i++)
		;
	if (i == t->nrows)
		return 0;	/* nothing to look for: no /proc walk */
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while (!ret && (d = readdir(dir))) {
		pid = strtol(d->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		ret = scan_pid(t, w, pid);
	}
	closedir(dir);
	return ret;
}

static void print_comm(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s > ' ' && *s < 0x7f && *s != ',' ? *s : '?', out);
}

/* "source=S rows=N" and the module's header fields. */
static void print_fields(FILE *out, const struct sc_table *t, const char *source)
{
	size_t i;

	fprintf(out, "source=%s rows=%zu", source, t->nrows);
	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].key, "rows"))
			fprintf(out, " %s=%s", t->fields[i].key, t->fields[i].value);
	fputc('\n', out);
}

/* The rows, each after @prefix. */
static void print_rows(FILE *out, const struct sc_table *t, const struct owners *w,
		       const char *prefix)
{
	char ep[64];
	size_t i, j;
	int any;

	for (i = 0; i < t->nrows; i++) {
		const struct sc_row *r = &t->rows[i];

		sc_row_endpoint(r, ep, sizeof(ep));
		fprintf(out, "%s%s %s %s %lu %lu ", prefix, sc_family_name(r->family), ep,
			r->state, r->uid, r->inode);
		if (r->timer_ms < 0)
			fputs("- ", out);
		else
			fprintf(out, "%lld ", r->timer_ms);
		for (j = 0, any = 0; j < w->n; j++) {
			if (w->v[j].row != i)
				continue;
			fprintf(out, "%s%ld/", any ? "," : "", w->v[j].pid);
			print_comm(out, w->v[j].comm);
			any = 1;
		}
		fputs(any ? "\n" : "-\n", out);
	}
}

static void print_text(FILE *out, const struct sc_table *t, const struct owners *w,
		       const char *source)
{
	fputs("# selfconn list v1 ", out);
	print_fields(out, t, source);
	fputs("# family address state uid inode timer_ms users\n", out);
	print_rows(out, t, w, "");
}

/* "users":[{"pid":N,"comm":C}...], the processes holding row idx. */
static void json_users(struct sc_json *j, const struct owners *w, size_t idx)
{
	size_t i;

	sc_json_key(j, "users");
	sc_json_arr_begin(j);
	for (i = 0; i < w->n; i++) {
		if (w->v[i].row != idx)
			continue;
		sc_json_obj_begin(j);
		sc_json_member_int(j, "pid", w->v[i].pid);
		sc_json_member_str(j, "comm", w->v[i].comm);
		sc_json_end(j);
	}
	sc_json_end(j);
}

static void json_row(struct sc_json *j, const struct sc_row *r, const struct owners *w,
		     size_t idx)
{
	char a[64];

	sc_row_address(r, a, sizeof(a));
	sc_json_obj_begin(j);
	sc_json_member_str(j, "family", sc_family_name(r->family));
	sc_json_member_str(j, "address", a);
	sc_json_member_uint(j, "port", r->port);
	sc_json_member_str(j, "state", r->state);
	sc_json_member_uint(j, "uid", r->uid);
	sc_json_member_uint(j, "inode", r->inode);
	sc_json_key(j, "timer_ms");
	if (r->timer_ms < 0)
		sc_json_null(j);
	else
		sc_json_int(j, r->timer_ms);
	json_users(j, w, idx);
	sc_json_end(j);
}

/* "header":{...}, the key=value fields of the module's header line. */
static void json_header(struct sc_json *j, const struct sc_table *t)
{
	size_t i;

	sc_json_key(j, "header");
	sc_json_obj_begin(j);
	for (i = 0; i < t->nfields; i++) {
		sc_json_key(j, t->fields[i].key);
		sc_json_int_or_strn(j, t->fields[i].value, strlen(t->fields[i].value));
	}
	sc_json_end(j);
}

/* "source", "header" and "rows" of an open object; each row on a line. */
static void json_members(struct sc_json *j, const struct sc_table *t,
			 const struct owners *w, const char *source)
{
	size_t i;

	sc_json_member_str(j, "source", source);
	json_header(j, t);
	sc_json_key(j, "rows");
	sc_json_arr_begin(j);
	for (i = 0; i < t->nrows; i++) {
		sc_json_line_break(j);
		json_row(j, &t->rows[i], w, i);
	}
	if (t->nrows)
		sc_json_line_break(j);
	sc_json_end(j);
}

static void print_json(FILE *out, const struct sc_table *t, const struct owners *w,
		       const char *source)
{
	struct sc_json j;

	sc_json_begin_document(&j, out, NULL);
	json_members(&j, t, w, source);
	sc_json_end(&j);
}

/* The rows, sorted, and their processes: 0, or an exit status after a message. */
static int list_collect(const char *prog, const struct list_opts *o, struct sc_table *t,
			struct owners *w, const char **source)
{
	if (sc_rows_load(prog, CMD, (o->diag ? SC_ROWS_DIAG : 0) | (o->quiet ? SC_ROWS_QUIET : 0),
			 t, source))
		return o->check ? SC_EXIT_UNKNOWN : SC_EXIT_FAIL;
	if (t->nrows)
		qsort(t->rows, t->nrows, sizeof(t->rows[0]), row_cmp);
	if (find_owners(t, w)) {
		sc_err(prog, CMD, errno, "looking for the sockets' processes in /proc");
		free(w->v);
		sc_table_free(t);
		return o->check ? SC_EXIT_UNKNOWN : SC_EXIT_FAIL;
	}
	return 0;
}

/* The exit status once the output is written. */
static int list_status(const char *prog, const struct list_opts *o, FILE *out, int found)
{
	if (fflush(out) || ferror(out)) {
		sc_err(prog, CMD, errno, "write");
		return o->check ? SC_EXIT_UNKNOWN : SC_EXIT_FAIL;
	}
	return o->check && found ? SC_EXIT_FOUND : SC_EXIT_OK;
}

struct list_netns {
	const char *prog;
	const struct list_opts *o;	/* with check set: 0, 1 found, or 3 */
	const struct sc_netns *ns;
};

/* In a child inside one namespace: its part of the output. */
static int list_one_netns(void *arg, FILE *out)
{
	const struct list_netns *a = arg;
	struct owners w = { 0 };
	const char *source = NULL;
	struct sc_table t;
	struct sc_json j;
	char pid[24], prefix[64];
	int ret;

	ret = list_collect(a->prog, a->o, &t, &w, &source);
	if (ret)
		return ret;
	snprintf(pid, sizeof(pid), a->ns->pid ? "%ld" : "-", a->ns->pid);
	if (a->o->json) {
		sc_json_init(&j, out);
		sc_json_obj_begin(&j);
		sc_json_member_uint(&j, "netns", a->ns->inode);
		sc_json_key(&j, "pid");
		if (a->ns->pid)
			sc_json_int(&j, a->ns->pid);
		else
			sc_json_null(&j);
		json_members(&j, &t, &w, source);
		sc_json_end(&j);
	} else {
		fprintf(out, "# netns=%lu pid=%s ", a->ns->inode, pid);
		print_fields(out, &t, source);
		snprintf(prefix, sizeof(prefix), "%lu %s ", a->ns->inode, pid);
		print_rows(out, &t, &w, prefix);
	}
	ret = list_status(a->prog, a->o, out, t.nrows != 0);
	free(w.v);
	sc_table_free(&t);
	return ret;
}

/* One namespace's output into the document: 1 found, 0 none, -1 error. */
static int list_netns_part(const char *prog, const struct list_opts *o,
			   const struct sc_netns *ns, struct sc_json *j)
{
	struct list_opts child = *o;
	struct list_netns a = { prog, &child, ns };
	char *buf = NULL;
	size_t len;
	int rc;

	child.check = 1;
	child.quiet = 1;
	rc = sc_netns_run(prog, CMD, ns, list_one_netns, &a, &buf);
	if (rc < 0 && errno == ENOENT)
		return 0;	/* gone since it was found */
	if (rc < 0)
		sc_err(prog, CMD, errno, "%s", ns->path);
	len = buf ? strlen(buf) : 0;
	if (len && o->json) {
		sc_json_line_break(j);
		sc_json_raw(j, buf, buf[len - 1] == '\n' ? len - 1 : len);
	} else if (len) {
		fputs(buf, stdout);
	}
	free(buf);
	return rc == SC_EXIT_FOUND ? 1 : rc ? -1 : 0;
}

static int list_all_netns(const char *prog, const struct list_opts *o)
{
	int fail = o->check ? SC_EXIT_UNKNOWN : SC_EXIT_FAIL;
	struct sc_netns_set set;
	int found = 0, failed = 0, rc;
	struct sc_json j;
	size_t i;

	if (sc_netns_privileged(prog, CMD))
		return fail;
	if (sc_netns_find(&set)) {
		sc_err(prog, CMD, errno, "finding the network namespaces in /proc and /run/netns");
		return fail;
	}
	if (!o->diag && access(SC_PROC_PATH, F_OK))
		fprintf(stderr, "%s %s: %s missing (selfconn.ko not loaded): self-connects found through sock_diag (inet_diag) instead\n",
			prog, CMD, SC_PROC_PATH);
	if (o->json) {
		sc_json_begin_document(&j, stdout, NULL);
		sc_json_member_bool(&j, "all_netns", 1);
		sc_json_key(&j, "namespaces");
		sc_json_arr_begin(&j);
	} else {
		printf("# selfconn list v1 all-netns namespaces=%zu\n"
		       "# netns pid family address state uid inode timer_ms users\n", set.n);
	}
	for (i = 0; i < set.n; i++) {
		rc = list_netns_part(prog, o, &set.v[i], &j);
		found |= rc > 0;
		failed |= rc < 0;
	}
	if (o->json) {
		if (set.n)
			sc_json_line_break(&j);
		sc_json_end(&j);
		sc_json_end(&j);
	}
	sc_netns_free(&set);
	rc = list_status(prog, o, stdout, found);
	if (rc != SC_EXIT_OK && rc != SC_EXIT_FOUND)
		return rc;
	/* With --check, a self-connect found is an answer even if a namespace failed. */
	return failed && !(o->check && found) ? fail : rc;
}

int sc_list_main(const char *prog, int argc, char **argv)
{
	struct owners w = { 0 };
	struct list_opts o;
	struct sc_table t;
	const char *source = NULL;
	int ret;

	ret = parse_args(prog, argc, argv, &o);
	if (ret != SC_CMDLINE_RUN)
		return sc_cmdline_exit(ret, prog, sc_list_usage);
	if (o.all_netns)
		return list_all_netns(prog, &o);
	ret = list_collect(prog, &o, &t, &w, &source);
	if (ret)
		return ret;
	if (o.json)
		print_json(stdout, &t, &w, source);
	else
		print_text(stdout, &t, &w, source);
	ret = list_status(prog, &o, stdout, t.nrows != 0);
	free(w.v);
	sc_table_free(&t);
	return ret;
}
