// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the command lines (cmdline.c, commands.c and each
 * command's options): getopt_long() semantics (--opt=V is --opt V, --
 * ends the options, options after arguments), -h/--help and -V/--version
 * everywhere, and each usage error's exit status 64 and message. Nothing
 * here gets past the command line: no socket is made.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "selfconn.h"
#include "tap.h"

#ifndef VERSION_FILE
#error "VERSION_FILE: build with user/Makefile"
#endif

#define MAX_ARGS 16

/* What a call printed and returned. */
struct result {
	int ret;
	char out[8192];
	char err[1024];
};

/* The words of line, as a mutable argv. */
struct argv {
	char buf[256];
	char *v[MAX_ARGS + 1];
	int c;
};

static void split(struct argv *a, const char *line)
{
	char *save = NULL, *w;

	snprintf(a->buf, sizeof(a->buf), "%s", line);
	a->c = 0;
	for (w = strtok_r(a->buf, " ", &save); w && a->c < MAX_ARGS;
	     w = strtok_r(NULL, " ", &save))
		a->v[a->c++] = w;
	a->v[a->c] = NULL;
}

/* fd into a temporary file until restore(): the saved fd. */
static int redirect(int fd, FILE **tmp)
{
	int saved;

	fflush(NULL);
	*tmp = tmpfile();
	saved = dup(fd);
	if (!*tmp || saved < 0 || dup2(fileno(*tmp), fd) < 0)
		abort();
	return saved;
}

/* fd back; what went to the file into buf. */
static void restore(int fd, int saved, FILE *tmp, char *buf, size_t len)
{
	size_t n;

	fflush(NULL);
	if (dup2(saved, fd) < 0)
		abort();
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

/* s as TAP comments, "# what: line" a line. */
static void diag(const char *what, const char *s)
{
	int n;

	for (; *s; s += n + (s[n] == '\n')) {
		n = (int)strcspn(s, "\n");
		printf("# %s: %.*s\n", what, n, s);
	}
}

typedef int (*call_fn)(void *ctx, int argc, char **argv);

/* fn on the words of line, its stdout and stderr caught in r. */
static void call(call_fn fn, void *ctx, const char *line, struct result *r)
{
	struct argv a;
	FILE *out, *err;
	int so, se;

	split(&a, line);
	so = redirect(1, &out);
	se = redirect(2, &err);
	r->ret = fn(ctx, a.c, a.v);
	restore(2, se, err, r->err, sizeof(r->err));
	restore(1, so, out, r->out, sizeof(r->out));
}

/* ---- the parser, with a command of its own ---- */

enum { OPT_NUM = 256, OPT_FLAG, OPT_FAIL };

static const struct option t_options[] = {
	{ "num", required_argument, NULL, OPT_NUM },
	{ "flag", no_argument, NULL, OPT_FLAG },
	{ "fail", no_argument, NULL, OPT_FAIL },
	{ NULL, 0, NULL, 0 },
};

struct t_opts {
	unsigned long num;
	int flag;
	int nargs;
	char args[MAX_ARGS][32];
};

static int t_option(void *opts, const struct option *opt, const char *arg,
		    const struct sc_cmdline *cl)
{
	struct t_opts *o = opts;

	if (opt->val == OPT_NUM)
		return sc_option_uint(cl, opt, arg, 1, 10, &o->num);
	if (opt->val == OPT_FLAG) {
		o->flag = 1;
		return 0;
	}
	sc_usage_err(cl->prog, cl->cmd, "--fail fails");
	return -1;
}

static int stop_at_arg;

/* Parses as command "t" (at most 2 arguments); keeps what it found in ctx. */
static int t_parse(void *ctx, int argc, char **argv)
{
	const struct sc_cmdline cl = {
		.prog = "selfconn", .cmd = "t", .options = t_options,
		.max_args = 2, .stop_at_arg = stop_at_arg, .option = t_option,
	};
	struct t_opts *o = ctx;
	char **args;
	int i, ret;

	memset(o, 0, sizeof(*o));
	ret = sc_cmdline_parse(&cl, argc, argv, o, &args, &o->nargs);
	for (i = 0; ret == SC_CMDLINE_RUN && i < o->nargs; i++)
		snprintf(o->args[i], sizeof(o->args[i]), "%s", args[i]);
	return ret;
}

/* line parses to want: RUN with num, flag and the arguments a1 a2. */
static void parses(struct tap *t, const char *line, unsigned long num, int flag,
		   const char *a1, const char *a2)
{
	struct t_opts o;
	struct result r;
	int nargs = !!a1 + !!a2;

	call(t_parse, &o, line, &r);
	if (!tap_ok(t, r.ret == SC_CMDLINE_RUN && o.num == num && o.flag == flag &&
		    o.nargs == nargs && (!a1 || !strcmp(o.args[0], a1)) &&
		    (!a2 || !strcmp(o.args[1], a2)) && !r.err[0], "parse '%s'", line)) {
		printf("# result %d, num %lu, flag %d, %d arguments '%s' '%s'\n",
		       r.ret, o.num, o.flag, o.nargs, o.args[0], o.args[1]);
		diag("stderr", r.err);
	}
}

/* line is refused with want, a message on stderr beginning with msg. */
static void refused(struct tap *t, const char *line, int want, const char *msg)
{
	struct t_opts o;
	struct result r;
	char full[256];

	snprintf(full, sizeof(full), "selfconn t: %s\nTry 'selfconn t --help'.\n", msg);
	call(t_parse, &o, line, &r);
	if (!tap_ok(t, r.ret == want && (want != SC_CMDLINE_BAD || !strcmp(r.err, full)),
		    "parse '%s': %s", line, want == SC_CMDLINE_HELP ? "help" :
		    want == SC_CMDLINE_VERSION ? "version" : msg)) {
		printf("# result %d, want %d\n", r.ret, want);
		diag("stderr", r.err);
	}
}

#define PARSER_TESTS 30

static void test_parser(struct tap *t)
{
	struct t_opts o1, o2;
	struct result r1, r2;

	parses(t, "t --num=5", 5, 0, NULL, NULL);
	parses(t, "t --num 5", 5, 0, NULL, NULL);
	parses(t, "t --nu=7 --flag", 7, 1, NULL, NULL);
	parses(t, "t a --num 5 b", 5, 0, "a", "b");
	parses(t, "t a -- --num", 0, 0, "a", "--num");
	parses(t, "t -- -5", 0, 0, "-5", NULL);
	parses(t, "t - --flag", 0, 1, "-", NULL);
	parses(t, "t --num=1 --num=2", 2, 0, NULL, NULL);
	refused(t, "t -h", SC_CMDLINE_HELP, NULL);
	refused(t, "t --help", SC_CMDLINE_HELP, NULL);
	refused(t, "t a --he b", SC_CMDLINE_HELP, NULL);
	refused(t, "t -V", SC_CMDLINE_VERSION, NULL);
	refused(t, "t --version", SC_CMDLINE_VERSION, NULL);
	refused(t, "t --help --bogus", SC_CMDLINE_HELP, NULL);
	refused(t, "t --bogus --help", SC_CMDLINE_BAD, "unknown option '--bogus'");
	refused(t, "t --bogus=1", SC_CMDLINE_BAD, "unknown option '--bogus=1'");
	refused(t, "t -x", SC_CMDLINE_BAD, "unknown option '-x'");
	refused(t, "t --num", SC_CMDLINE_BAD, "option '--num' needs a value");
	refused(t, "t --flag=1", SC_CMDLINE_BAD, "option '--flag' takes no value");
	refused(t, "t --help=1", SC_CMDLINE_BAD, "option '--help' takes no value");
	refused(t, "t --f", SC_CMDLINE_BAD, "option '--f' is ambiguous");
	refused(t, "t --num=x", SC_CMDLINE_BAD, "--num: 'x' is not a number from 1 to 10");
	refused(t, "t --num x", SC_CMDLINE_BAD, "--num: 'x' is not a number from 1 to 10");
	refused(t, "t --num -1", SC_CMDLINE_BAD, "--num: '-1' is not a number from 1 to 10");
	refused(t, "t --num=11", SC_CMDLINE_BAD, "--num: '11' is not a number from 1 to 10");
	refused(t, "t a b c", SC_CMDLINE_BAD, "unexpected argument 'c'");
	refused(t, "t a b --fail", SC_CMDLINE_BAD, "--fail fails");
	call(t_parse, &o1, "t b --num 3 a", &r1);
	call(t_parse, &o2, "t b --num 3 a", &r2);
	tap_ok(t, r1.ret == r2.ret && o2.num == 3 && o2.nargs == 2 && !strcmp(o2.args[0], "b"),
	       "the same command line parsed twice: the same result (getopt restarts)");
	stop_at_arg = 1;
	parses(t, "t --flag cmd --num", 0, 1, "cmd", "--num");
	stop_at_arg = 0;
	call(t_parse, &o1, "t cmd --flag", &r1);
	tap_ok(t, r1.ret == SC_CMDLINE_RUN && o1.flag && o1.nargs == 1,
	       "and without stop_at_arg, options after the argument are read");
}

/* ---- each command ---- */

static int run_command(void *ctx, int argc, char **argv)
{
	const struct sc_command *c = ctx;

	return c->run("selfconn", argc, argv);
}

static int run_main(void *ctx, int argc, char **argv)
{
	(void)ctx;
	return sc_main(argc, argv);
}

/* The content of ../VERSION, its newline cut, into buf. */
static void read_version(char *buf, size_t len)
{
	FILE *f = fopen(VERSION_FILE, "r");

	buf[0] = '\0';
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* fn on line exits ret, its stdout begins with out, its stderr holds err. */
static int says(call_fn fn, void *ctx, const char *line, int ret, const char *out,
		const char *err)
{
	struct result r;

	call(fn, ctx, line, &r);
	if (r.ret == ret && !strncmp(r.out, out, strlen(out)) && strstr(r.err, err))
		return 1;
	printf("# %s: exit %d (want %d)\n", line, r.ret, ret);
	diag("stdout", r.out);
	diag("stderr", r.err);
	return 0;
}

static int command_says(const struct sc_command *c, const char *args, int ret,
			const char *out, const char *err)
{
	char line[128];

	snprintf(line, sizeof(line), "%s %s", c->name, args);
	return says(run_command, (void *)c, line, ret, out, err);
}

#define PER_COMMAND_TESTS 5

/* An option of the command that takes no value. */
static const char *flag_option(const struct sc_command *c)
{
	return strcmp(c->name, "metrics") ? "json" : "all-netns";
}

/* What every command does with -h, --help, -V, --version and bad options. */
static void test_every_command(struct tap *t, const char *version)
{
	const struct sc_command *c;
	char usage[64], err[96], arg[32];

	for (c = sc_commands; c->name; c++) {
		snprintf(usage, sizeof(usage), "Usage: selfconn %s ", c->name);
		tap_ok(t, command_says(c, "--help", 0, usage, "") &&
		       command_says(c, "-h", 0, usage, ""),
		       "%s --help and -h: its usage on stdout, exit 0", c->name);
		tap_ok(t, command_says(c, "--version", 0, version, "") &&
		       command_says(c, "-V", 0, version, ""),
		       "%s --version and -V: '%.*s', exit 0", c->name,
		       (int)strlen(version) - 1, version);
		snprintf(err, sizeof(err), "selfconn %s: unknown option '--bogus'\n"
			 "Try 'selfconn %s --help'.\n", c->name, c->name);
		tap_ok(t, command_says(c, "--bogus", 64, "", err),
		       "%s --bogus: exit 64, the option named, where help is", c->name);
		snprintf(err, sizeof(err), "selfconn %s: option '--%s' takes no value",
			 c->name, flag_option(c));
		snprintf(arg, sizeof(arg), "--%s=1", flag_option(c));
		tap_ok(t, command_says(c, arg, 64, "", err),
		       "%s %s: exit 64, --%s takes no value", c->name, arg, flag_option(c));
		tap_ok(t, command_says(c, "1 2 3 4", 64, "", "unexpected argument"),
		       "%s with too many arguments: exit 64", c->name);
	}
}

/* An option with a value: --opt=V and --opt V give the same (bad) verdict. */
static void same_both_ways(struct tap *t, const char *cmd, const char *opt,
			   const char *val, const char *err)
{
	const struct sc_command *c = sc_command_find(cmd);
	char a[64], b[64];
	struct result r1, r2;

	snprintf(a, sizeof(a), "%s --%s=%s 1", cmd, opt, val);
	snprintf(b, sizeof(b), "%s 1 --%s %s", cmd, opt, val);
	call(run_command, (void *)c, a, &r1);
	call(run_command, (void *)c, b, &r2);
	if (!tap_ok(t, r1.ret == 64 && r2.ret == 64 && !strcmp(r1.err, r2.err) &&
		    strstr(r1.err, err), "%s --%s=%s and --%s %s: exit 64, the same message",
		    cmd, opt, val, opt, val)) {
		printf("# exit %d and %d\n", r1.ret, r2.ret);
		diag(a, r1.err);
		diag(b, r2.err);
	}
}

static void refuses(struct tap *t, const char *cmd, const char *args, const char *err)
{
	const struct sc_command *c = sc_command_find(cmd);

	tap_ok(t, c && command_says(c, args, 64, "", err), "%s %s: exit 64, '%s'", cmd, args,
	       err);
}

#define VALUE_TESTS 13

static void test_values(struct tap *t)
{
	same_both_ways(t, "connect", "hold", "x", "--hold: 'x' is not a number from 0 to ");
	same_both_ways(t, "race", "max", "0", "--max: '0' is not a number from 1 to ");
	same_both_ways(t, "race", "hold", "-1", "--hold: '-1' is not a number from 0 to ");
	same_both_ways(t, "simopen", "delay", "0", "--delay: '0' is not a number from 1 to ");
	same_both_ways(t, "simopen", "delay", "10001", "'10001' is not a number from 1 to 10000");
	refuses(t, "connect", "", "PORT missing");
	refuses(t, "connect", "--hold", "option '--hold' needs a value");
	refuses(t, "connect", "65536", "'65536' is not a port (1 to 65535)");
	refuses(t, "connect", "-- --json", "'--json' is not a port");
	refuses(t, "port", "", "PORT missing");
	refuses(t, "port", "-- -1", "'-1' is not a port");
	refuses(t, "race", "127.0.0.1 0", "'0' is not a port (1 to 65535)");
	refuses(t, "list", "-- --json", "unexpected argument '--json'");
}

static int main_says(const char *line, int ret, const char *out, const char *err)
{
	return says(run_main, NULL, line, ret, out, err);
}

#define MAIN_TESTS 8

static void test_main(struct tap *t, const char *version)
{
	struct result r;
	const struct sc_command *c;
	int all = 1;

	tap_ok(t, main_says("selfconn --version", 0, version, "") &&
	       main_says("selfconn -V", 0, version, ""),
	       "selfconn --version and -V: 'selfconn VERSION' on stdout, exit 0");
	call(run_main, NULL, "selfconn --help", &r);
	for (c = sc_commands; c->name; c++)
		all = all && strstr(r.out, c->name);
	tap_ok(t, r.ret == 0 && all && strstr(r.out, "--version"),
	       "selfconn --help: every command and --version, exit 0");
	tap_ok(t, main_says("selfconn", 64, "", "Usage: selfconn COMMAND"),
	       "selfconn alone: the usage on stderr, exit 64");
	tap_ok(t, main_says("selfconn bogus", 64, "",
			    "selfconn: unknown command 'bogus'\nTry 'selfconn --help'.\n"),
	       "selfconn bogus: exit 64, unknown command");
	tap_ok(t, main_says("selfconn --bogus connect", 64, "",
			    "selfconn: unknown option '--bogus'"),
	       "selfconn --bogus: exit 64, unknown option");
	tap_ok(t, main_says("selfconn help connect", 0, "Usage: selfconn connect ", "") &&
	       main_says("selfconn -- help connect", 0, "Usage: selfconn connect ", ""),
	       "selfconn help connect: its usage, exit 0");
	tap_ok(t, main_says("selfconn help bogus", 64, "", "unknown command 'bogus'"),
	       "selfconn help bogus: exit 64");
	tap_ok(t, main_says("selfconn connect --bogus", 64, "",
			    "selfconn connect: unknown option '--bogus'"),
	       "selfconn connect --bogus: the command's options are the command's");
}

static int ncommands(void)
{
	int n = 0;

	while (sc_commands[n].name)
		n++;
	return n;
}

int main(void)
{
	int plan = 1 + PARSER_TESTS + ncommands() * PER_COMMAND_TESTS + VALUE_TESTS +
		   MAIN_TESTS;
	struct tap t = { 0 };
	char file[64], version[80];

	tap_plan(plan);
	read_version(file, sizeof(file));
	snprintf(version, sizeof(version), "selfconn %s\n", SELFCONN_VERSION);
	tap_ok(&t, file[0] && !strcmp(file, SELFCONN_VERSION),
	       "the version built in is the content of VERSION ('%s')", file);
	test_parser(&t);
	test_every_command(&t, version);
	test_values(&t);
	test_main(&t, version);
	return tap_done(&t, plan);
}
