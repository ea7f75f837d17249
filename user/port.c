// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn port PORT [--json]
 *
 * Who occupies TCP port PORT in this network namespace: the report of
 * /proc/selfconn for that port, read through a per-descriptor query (open
 * the file read-write, write the port, read from offset 0). That needs no
 * privilege and leaves the namespace's watched ports alone.
 *
 * Every report line is "port P SECTION", then positional fields and
 * key=value fields; --json keeps that split: "args" holds the positional
 * fields in order, "fields" the key=value ones, integers as numbers.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "json.h"
#include "selfconn.h"

#define CMD "port"
#define PROC_PATH "/proc/selfconn"

struct port_opts {
	uint16_t port;
	int json;
};

void sc_port_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s " CMD " PORT [--json]\n"
		"\n"
		"Show who occupies TCP port PORT in this network namespace: the bind\n"
		"buckets (bhash, bhash2) and their owners, the listeners, the\n"
		"established-hash entries on either side, and whether bind() and an\n"
		"autobinding connect() could take PORT now. It is the report of\n"
		PROC_PATH " for one port, read through a per-descriptor query:\n"
		"no privilege needed, the watched ports are left alone.\n"
		"\n"
		"  PORT        1 to 65535\n"
		"  --json      one JSON object instead of the report's text:\n"
		"              {\"schema\":1,\"port\":PORT,\"lines\":[{\"section\":S,\n"
		"              \"args\":[positional fields],\"fields\":{key:value}}, ...]}\n"
		"              with integer values as JSON numbers\n"
		"  -h, --help  this help\n"
		"  -V, --version\n"
		"              the version of selfconn\n"
		"\n"
		"Exit status: 0 done, 1 error (e.g. selfconn.ko not loaded), 64 bad usage.\n",
		prog);
}

enum { OPT_JSON = 256 };

static const struct option port_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int port_option(void *opts, const struct option *opt, const char *arg,
		       const struct sc_cmdline *cl)
{
	struct port_opts *o = opts;

	(void)opt;
	(void)arg;
	(void)cl;
	o->json = 1;
	return 0;
}

/* PORT and the options: SC_CMDLINE_*. */
static int parse_args(const char *prog, int argc, char **argv, struct port_opts *o)
{
	const struct sc_cmdline cl = {
		.prog = prog, .cmd = CMD, .options = port_options,
		.max_args = 1, .option = port_option,
	};
	char **args;
	int nargs, ret;

	memset(o, 0, sizeof(*o));
	ret = sc_cmdline_parse(&cl, argc, argv, o, &args, &nargs);
	if (ret != SC_CMDLINE_RUN)
		return ret;
	if (sc_arg_port(prog, CMD, nargs ? args[0] : NULL, &o->port))
		return SC_CMDLINE_BAD;
	return SC_CMDLINE_RUN;
}

/* The report of port through a query; *text is malloc'd. Exit status. */
static int query(const char *prog, uint16_t port, char **text)
{
	char cmd[8];
	int fd, n, err;

	fd = open(PROC_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		sc_err(prog, CMD, err, "open %s%s", PROC_PATH,
		       err == ENOENT ? " (is selfconn.ko loaded?)" : "");
		return SC_EXIT_FAIL;
	}
	n = snprintf(cmd, sizeof(cmd), "%u\n", port);
	if (write(fd, cmd, (size_t)n) != n) {
		sc_err(prog, CMD, errno, "query port %u on %s", port, PROC_PATH);
		close(fd);
		return SC_EXIT_FAIL;
	}
	err = sc_read_all(fd, text);
	close(fd);
	if (err) {
		sc_err(prog, CMD, err, "read %s", PROC_PATH);
		return SC_EXIT_FAIL;
	}
	return SC_EXIT_OK;
}

/* "# port P" first, then only "port P ..." lines, each ending in '\n'. */
static int valid_report(const char *text, uint16_t port)
{
	char head[16], pfx[16];
	size_t hl, pl;
	const char *p, *nl;

	hl = (size_t)snprintf(head, sizeof(head), "# port %u\n", port);
	pl = (size_t)snprintf(pfx, sizeof(pfx), "port %u ", port);
	if (strncmp(text, head, hl))
		return 0;
	for (p = text + hl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl || strncmp(p, pfx, pl))
			return 0;
	}
	return 1;
}

/* The next space-separated token of [*p, end): its start and length. */
static int next_token(const char **p, const char *end, const char **tok, size_t *len)
{
	const char *sp;

	if (*p >= end)
		return 0;
	sp = memchr(*p, ' ', (size_t)(end - *p));
	*tok = *p;
	*len = (size_t)((sp ? sp : end) - *p);
	*p = sp ? sp + 1 : end;
	return 1;
}

/* Positional fields (want_kv 0) or key=value ones (1) of [p, end). */
static void json_fields(struct sc_json *j, const char *p, const char *end, int want_kv)
{
	const char *tok, *eq;
	size_t len;

	while (next_token(&p, end, &tok, &len)) {
		eq = memchr(tok, '=', len);
		if ((eq && eq != tok) != want_kv)
			continue;
		if (!want_kv) {
			sc_json_strn(j, tok, len);
			continue;
		}
		sc_json_keyn(j, tok, (size_t)(eq - tok));
		sc_json_int_or_strn(j, eq + 1, len - (size_t)(eq - tok) - 1);
	}
}

/* One report line, "port P SECTION rest", as a JSON object. */
static void json_line(struct sc_json *j, const char *line, const char *end)
{
	const char *p = line, *tok, *section = line;
	size_t len, slen = 0;

	next_token(&p, end, &tok, &len);	/* "port" */
	next_token(&p, end, &tok, &len);	/* P */
	next_token(&p, end, &section, &slen);
	sc_json_obj_begin(j);
	sc_json_key(j, "section");
	sc_json_strn(j, section, slen);
	sc_json_key(j, "args");
	sc_json_arr_begin(j);
	json_fields(j, p, end, 0);
	sc_json_end(j);
	sc_json_key(j, "fields");
	sc_json_obj_begin(j);
	json_fields(j, p, end, 1);
	sc_json_end(j);
	sc_json_end(j);
}

/* The document; each report line on a line of its own. */
static void print_json(FILE *out, uint16_t port, const char *text)
{
	const char *p = strchr(text, '\n') + 1, *nl;
	struct sc_json j;

	sc_json_begin_document(&j, out, NULL);
	sc_json_member_uint(&j, "port", port);
	sc_json_key(&j, "lines");
	sc_json_arr_begin(&j);
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		sc_json_line_break(&j);
		json_line(&j, p, nl);
	}
	sc_json_line_break(&j);
	sc_json_end(&j);
	sc_json_end(&j);
}

int sc_port_main(const char *prog, int argc, char **argv)
{
	struct port_opts o;
	char *text = NULL;
	int ret;

	ret = parse_args(prog, argc, argv, &o);
	if (ret != SC_CMDLINE_RUN)
		return sc_cmdline_exit(ret, prog, sc_port_usage);
	ret = query(prog, o.port, &text);
	if (ret)
		return ret;
	if (!valid_report(text, o.port)) {
		sc_err(prog, CMD, 0, "%s did not give a report of port %u "
		       "(a selfconn.ko without per-port reports?)", PROC_PATH, o.port);
		free(text);
		return SC_EXIT_FAIL;
	}
	if (o.json)
		print_json(stdout, o.port, text);
	else
		fputs(text, stdout);
	free(text);
	if (fflush(stdout) || ferror(stdout)) {
		sc_err(prog, CMD, errno, "write");
		return SC_EXIT_FAIL;
	}
	return SC_EXIT_OK;
}
