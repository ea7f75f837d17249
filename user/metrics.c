// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn metrics [--all-netns] [--textfile DIR]
 *
 * The Prometheus text exposition format: self-connected sockets now, the
 * hooks' counters and sysctls, of this network namespace or of every one
 * (a netns label each). With --textfile, DIR/selfconn.prom is replaced
 * atomically, as node_exporter's textfile collector expects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "netns.h"
#include "procfile.h"
#include "rows.h"
#include "selfconn.h"

#define CMD "metrics"
#define SC_TEXTFILE "selfconn.prom"
#define SC_SYSCTL_DIR "/proc/sys/net/selfconn/"
#define NSTATES 16

struct metrics_opts {
	int all_netns;
	const char *textfile;		/* a directory, or NULL */
};

/* What one namespace reports. */
struct metrics_ns {
	int module_loaded;
	int have_counters;		/* attempts and refused, from the module */
	unsigned long long attempts, refused;
	int refuse, audit;		/* -1: no such sysctl */
	unsigned long sockets[2][NSTATES];	/* [inet, inet6][TCP state] */
};

static const struct metrics_family {
	const char *name, *type, *help;
} metrics_families[] = {
	{ "selfconn_module_loaded", "gauge",
	  "Whether selfconn.ko is loaded (1) or not (0: the sockets come from sock_diag)." },
	{ "selfconn_sockets", "gauge",
	  "TCP sockets connected to themselves now, by address family and TCP state." },
	{ "selfconn_attempts_total", "counter",
	  "Self-connect SYNs seen while net.selfconn.refuse or net.selfconn.audit was 1." },
	{ "selfconn_refused_total", "counter",
	  "Self-connects refused with ECONNREFUSED (net.selfconn.refuse=1)." },
	{ "selfconn_refuse_enabled", "gauge", "The value of net.selfconn.refuse (1 or 0)." },
	{ "selfconn_audit_enabled", "gauge", "The value of net.selfconn.audit (1 or 0)." },
};

/* A series always given, 0 or not: a self-connect's usual states. */
static const char * const metrics_states[] = { "ESTAB", "TIME-WAIT" };

void sc_metrics_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s " CMD " [--all-netns] [--textfile DIR]\n"
		"\n"
		"Print metrics of self-connected TCP sockets in the Prometheus text\n"
		"exposition format, with # HELP and # TYPE for every family:\n"
		"\n"
		"  selfconn_module_loaded           gauge: 1 if selfconn.ko is loaded, else 0\n"
		"  selfconn_sockets{family,state}   gauge: self-connected sockets now\n"
		"                                   (inet/inet6; ESTAB and TIME-WAIT always,\n"
		"                                   other states when there are some)\n"
		"  selfconn_attempts_total          counter: self-connect SYNs the hooks saw\n"
		"  selfconn_refused_total           counter: of those, refused\n"
		"  selfconn_refuse_enabled          gauge: net.selfconn.refuse\n"
		"  selfconn_audit_enabled           gauge: net.selfconn.audit\n"
		"\n"
		"Without the module the sockets come from sock_diag and the module's\n"
		"series (counters, sysctls) are left out.\n"
		"\n"
		"  --all-netns      every network namespace of the host (root), as\n"
		"                   '%s list --all-netns' finds them: each series\n"
		"                   gets a netns label, the namespace's inode\n"
		"  --textfile DIR   write DIR/" SC_TEXTFILE " instead of standard output,\n"
		"                   atomically (a temporary file in DIR, then rename()),\n"
		"                   for node_exporter's --collector.textfile.directory\n"
		"  -h, --help       this help\n"
		"  -V, --version    the version of selfconn\n"
		"\n"
		"Exit status: 0 written, 1 error (with --all-netns: a namespace could\n"
		"not be read; the others are written), 64 bad usage.\n",
		prog, prog);
}

enum { OPT_ALL_NETNS = 256, OPT_TEXTFILE };

static const struct option metrics_options[] = {
	{ "all-netns", no_argument, NULL, OPT_ALL_NETNS },
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ NULL, 0, NULL, 0 },
};

static int metrics_option(void *opts, const struct option *opt, const char *arg,
			  const struct sc_cmdline *cl)
{
	struct metrics_opts *o = opts;

	if (opt->val == OPT_ALL_NETNS) {
		o->all_netns = 1;
		return 0;
	}
	if (!*arg) {
		sc_usage_err(cl->prog, cl->cmd, "--textfile: empty directory name");
		return -1;
	}
	o->textfile = arg;
	return 0;
}

/* 0 or 1 from a sysctl of the module, or -1. */
static int metrics_sysctl(const char *name)
{
	char path[64], buf[16] = "";
	int fd, v = -1;
	ssize_t n;

	snprintf(path, sizeof(path), SC_SYSCTL_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && sscanf(buf, "%d", &v) != 1)
		v = -1;
	return v;
}

/* An unsigned header field of the module, or -1 without it. */
static int metrics_field(const struct sc_table *t, const char *key, unsigned long long *v)
{
	const char *s = sc_table_field(t, key);
	char *end;

	if (!s)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || end == s ? -1 : 0;
}

/* The numbers of this namespace: 0, or -1 after a message. */
static int metrics_collect(const char *prog, struct metrics_ns *m)
{
	const char *source = NULL;
	struct sc_table t;
	size_t i;
	int state;

	memset(m, 0, sizeof(*m));
	if (sc_rows_load(prog, CMD, SC_ROWS_QUIET, &t, &source))
		return -1;
	m->module_loaded = !strcmp(source, "proc");
	m->have_counters = m->module_loaded &&
			   !metrics_field(&t, "attempts", &m->attempts) &&
			   !metrics_field(&t, "refused", &m->refused);
	m->refuse = metrics_sysctl("refuse");
	m->audit = metrics_sysctl("audit");
	for (i = 0; i < t.nrows; i++) {
		state = sc_tcp_state_by_name(t.rows[i].state, strlen(t.rows[i].state));
		if (state > 0 && state < NSTATES)
			m->sockets[t.rows[i].family == AF_INET6][state]++;
	}
	sc_table_free(&t);
	return 0;
}

/* One sample: NAME{LABELS} VALUE, the netns label first if any. */
static void metrics_sample(FILE *out, const char *name, const char *netns,
			   const char *labels, unsigned long long v)
{
	int any = *netns || *labels;

	fprintf(out, "%s%s%s%s%s%s%s%s %llu\n", name, any ? "{" : "",
		*netns ? "netns=\"" : "", netns, *netns ? "\"" : "",
		*netns && *labels ? "," : "", labels, any ? "}" : "", v);
}

static int metrics_state_always(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(metrics_states) / sizeof(metrics_states[0]); i++)
		if (!strcmp(metrics_states[i], name))
			return 1;
	return 0;
}

/* Every sample of one namespace, in no particular order of families. */
static void metrics_samples(FILE *out, const struct metrics_ns *m, const char *netns)
{
	static const char * const families[] = { "inet", "inet6" };
	char labels[64];
	const char *name;
	int f, s;

	metrics_sample(out, "selfconn_module_loaded", netns, "", m->module_loaded);
	for (f = 0; f < 2; f++) {
		for (s = 1; s < NSTATES; s++) {
			name = sc_tcp_state_name(s);
			if (!sc_tcp_state_is_connection(s))
				continue;
			/* SYN-RECV is two states; the first one counts both. */
			if (sc_tcp_state_by_name(name, strlen(name)) != s)
				continue;
			if (!m->sockets[f][s] && !metrics_state_always(name))
				continue;
			snprintf(labels, sizeof(labels), "family=\"%s\",state=\"%s\"",
				 families[f], name);
			metrics_sample(out, "selfconn_sockets", netns, labels, m->sockets[f][s]);
		}
	}
	if (m->have_counters) {
		metrics_sample(out, "selfconn_attempts_total", netns, "", m->attempts);
		metrics_sample(out, "selfconn_refused_total", netns, "", m->refused);
	}
	if (m->refuse >= 0)
		metrics_sample(out, "selfconn_refuse_enabled", netns, "", (unsigned int)m->refuse);
	if (m->audit >= 0)
		metrics_sample(out, "selfconn_audit_enabled", netns, "", (unsigned int)m->audit);
}

/* The samples of @samples, grouped by family under its HELP and TYPE. */
static void metrics_write(FILE *out, const char *samples)
{
	const struct metrics_family *fam;
	const char *line, *next;
	size_t len, n;

	for (fam = metrics_families;
	     fam < metrics_families + sizeof(metrics_families) / sizeof(metrics_families[0]);
	     fam++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help,
			fam->name, fam->type);
		len = strlen(fam->name);
		for (line = samples; *line; line = next) {
			next = strchr(line, '\n');
			next = next ? next + 1 : line + strlen(line);
			n = (size_t)(next - line);
			if (!strncmp(line, fam->name, len) && (line[len] == '{' || line[len] == ' '))
				fwrite(line, 1, n, out);
		}
	}
}

struct metrics_netns {
	const char *prog;
	const struct sc_netns *ns;
};

/* In a child inside one namespace: its samples. */
static int metrics_one_netns(void *arg, FILE *out)
{
	const struct metrics_netns *a = arg;
	struct metrics_ns m;
	char netns[24];

	if (metrics_collect(a->prog, &m))
		return SC_EXIT_FAIL;
	snprintf(netns, sizeof(netns), "%lu", a->ns->inode);
	metrics_samples(out, &m, netns);
	return SC_EXIT_OK;
}

/* The samples of every namespace, appended to out: 0, or -1 if one failed. */
static int metrics_all_netns(const char *prog, FILE *out)
{
	struct sc_netns_set set;
	int failed = 0, rc;
	char *buf;
	size_t i;

	if (sc_netns_find(&set)) {
		sc_err(prog, CMD, errno, "finding the network namespaces in /proc and /run/netns");
		return -1;
	}
	for (i = 0; i < set.n; i++) {
		struct metrics_netns a = { prog, &set.v[i] };

		rc = sc_netns_run(prog, CMD, &set.v[i], metrics_one_netns, &a, &buf);
		if (rc < 0 && errno == ENOENT)
			continue;	/* gone since it was found */
		if (rc < 0)
			sc_err(prog, CMD, errno, "%s", set.v[i].path);
		if (rc)
			failed = 1;
		else if (buf)
			fputs(buf, out);
		free(buf);
	}
	sc_netns_free(&set);
	return failed ? -1 : 0;
}

/* Write @text to DIR/selfconn.prom through a temporary file and rename(). */
static int metrics_textfile(const char *prog, const char *dir, const char *text)
{
	char tmp[4096], path[4096];
	size_t len = strlen(text);
	int fd, err = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/" SC_TEXTFILE, dir) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/." SC_TEXTFILE ".XXXXXX", dir) >= sizeof(tmp)) {
		sc_err(prog, CMD, ENAMETOOLONG, "--textfile %s", dir);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		sc_err(prog, CMD, errno, "--textfile %s: creating a file there", dir);
		return -1;
	}
	if (fchmod(fd, 0644) || write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = errno ? errno : EIO;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		sc_err(prog, CMD, err, "writing %s", path);
		return -1;
	}
	return 0;
}

int sc_metrics_main(const char *prog, int argc, char **argv)
{
	const struct sc_cmdline cl = {
		.prog = prog, .cmd = CMD, .options = metrics_options,
		.max_args = 0, .option = metrics_option,
	};
	struct metrics_opts o = { 0 };
	char *samples = NULL, *text = NULL, **args;
	size_t samples_len = 0, text_len = 0;
	struct metrics_ns m;
	int nargs, ret, failed = 0;
	FILE *f;

	ret = sc_cmdline_parse(&cl, argc, argv, &o, &args, &nargs);
	if (ret != SC_CMDLINE_RUN)
		return sc_cmdline_exit(ret, prog, sc_metrics_usage);
	if (o.all_netns && sc_netns_privileged(prog, CMD))
		return SC_EXIT_FAIL;
	f = open_memstream(&samples, &samples_len);
	if (!f) {
		sc_err(prog, CMD, errno, "open_memstream");
		return SC_EXIT_FAIL;
	}
	if (o.all_netns)
		failed = metrics_all_netns(prog, f);
	else if (metrics_collect(prog, &m))
		failed = -1;
	else
		metrics_samples(f, &m, "");
	fclose(f);
	if (failed && !o.all_netns) {
		free(samples);
		return SC_EXIT_FAIL;
	}
	f = open_memstream(&text, &text_len);
	if (!f) {
		sc_err(prog, CMD, errno, "open_memstream");
		free(samples);
		return SC_EXIT_FAIL;
	}
	metrics_write(f, samples ? samples : "");
	fclose(f);
	free(samples);
	if (o.textfile) {
		ret = metrics_textfile(prog, o.textfile, text);
	} else {
		fputs(text, stdout);
		ret = fflush(stdout) || ferror(stdout) ? -1 : 0;
		if (ret)
			sc_err(prog, CMD, errno, "write");
	}
	free(text);
	return ret || failed ? SC_EXIT_FAIL : SC_EXIT_OK;
}
