// SPDX-License-Identifier: GPL-2.0
/* The command-line parser of selfconn and its commands (cmdline.h). */
#define _GNU_SOURCE	/* getopt_long() */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "selfconn.h"

#ifndef SELFCONN_VERSION
#error "SELFCONN_VERSION is the content of ../VERSION: build with user/Makefile"
#endif

/* -h, --help, -V and --version, after the command's own options. */
static const struct option common_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The command's options and the common ones in all: 0, or -1 if too many. */
static int merge_options(const struct option *own, struct option *all)
{
	size_t n = 0;

	for (; own && own[n].name; n++) {
		if (n == SC_MAX_OPTIONS)
			return -1;
		all[n] = own[n];
	}
	memcpy(all + n, common_options, sizeof(common_options));
	return 0;
}

/* The option whose val is val, or NULL. */
static const struct option *option_of(const struct option *all, int val)
{
	for (; all->name; all++)
		if (all->val == val)
			return all;
	return NULL;
}

/* How many options' names begin with the name of arg, "--NAME[=VALUE]". */
static int prefix_matches(const struct option *all, const char *arg)
{
	size_t n = strcspn(arg + 2, "=");
	int count = 0;

	for (; all->name; all++)
		count += !strncmp(all->name, arg + 2, n);
	return count;
}

/* getopt_long() returned '?': say what was wrong with argv[optind - 1]. */
static void bad_option(const struct sc_cmdline *cl, const struct option *all,
		       char **argv)
{
	const struct option *o = optopt ? option_of(all, optopt) : NULL;
	const char *arg = argv[optind - 1];

	if (o)
		sc_usage_err(cl->prog, cl->cmd, "option '--%s' takes no value", o->name);
	else if (optopt)
		sc_usage_err(cl->prog, cl->cmd, "unknown option '-%c'", optopt);
	else if (prefix_matches(all, arg) > 1)
		sc_usage_err(cl->prog, cl->cmd, "option '%s' is ambiguous", arg);
	else
		sc_usage_err(cl->prog, cl->cmd, "unknown option '%s'", arg);
}

/* getopt_long() returned ':': the option at the end lacks its value. */
static void missing_value(const struct sc_cmdline *cl, const struct option *all)
{
	const struct option *o = option_of(all, optopt);

	sc_usage_err(cl->prog, cl->cmd, "option '--%s' needs a value",
		     o ? o->name : "?");
}

/* The options of argv, up to the arguments: SC_CMDLINE_*. */
static int parse_options(const struct sc_cmdline *cl, const struct option *all,
			 int argc, char **argv, void *opts)
{
	const char *shortopts = cl->stop_at_arg ? "+:hV" : ":hV";
	int c, idx;

	optind = 0;	/* glibc: start afresh, as each command parses anew */
	opterr = 0;	/* the messages are ours */
	while ((c = getopt_long(argc, argv, shortopts, all, &idx)) != -1) {
		if (c == 'h')
			return SC_CMDLINE_HELP;
		if (c == 'V')
			return SC_CMDLINE_VERSION;
		if (c == '?')
			bad_option(cl, all, argv);
		else if (c == ':')
			missing_value(cl, all);
		else if (!cl->option(opts, &all[idx], optarg, cl))
			continue;
		return SC_CMDLINE_BAD;
	}
	return SC_CMDLINE_RUN;
}

/*
 * Parse argv (argv[0] is the command's name) with getopt_long(), calling
 * cl->option() for each of the command's options. On SC_CMDLINE_RUN, *args
 * and *nargs are the arguments after the options, at most cl->max_args.
 */
int sc_cmdline_parse(const struct sc_cmdline *cl, int argc, char **argv,
		     void *opts, char ***args, int *nargs)
{
	struct option all[SC_MAX_OPTIONS + 3];
	int ret;

	if (merge_options(cl->options, all)) {
		sc_err(cl->prog, cl->cmd, 0, "more than %d options", SC_MAX_OPTIONS);
		return SC_CMDLINE_BAD;
	}
	ret = parse_options(cl, all, argc, argv, opts);
	if (ret != SC_CMDLINE_RUN)
		return ret;
	*args = argv + optind;
	*nargs = argc - optind;
	if (*nargs > cl->max_args) {
		sc_usage_err(cl->prog, cl->cmd, "unexpected argument '%s'",
			     (*args)[cl->max_args]);
		return SC_CMDLINE_BAD;
	}
	return SC_CMDLINE_RUN;
}

/* When the command line says not to run: print what it asks, the exit status. */
int sc_cmdline_exit(int result, const char *prog,
		    void (*usage)(FILE *out, const char *prog))
{
	if (result == SC_CMDLINE_HELP)
		usage(stdout, prog);
	else if (result == SC_CMDLINE_VERSION)
		sc_print_version(stdout, prog);
	else
		return SC_EXIT_USAGE;
	return SC_EXIT_OK;
}

/* The value of option opt as a number, min to max: 0, or -1 after a message. */
int sc_option_uint(const struct sc_cmdline *cl, const struct option *opt,
		   const char *arg, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	if (!sc_parse_uint(arg, max, out) && *out >= min)
		return 0;
	sc_usage_err(cl->prog, cl->cmd, "--%s: '%s' is not a number from %lu to %lu",
		     opt->name, arg, min, max);
	return -1;
}

/* The argument PORT, 1 to 65535 (NULL: not given): 0, or -1 after a message. */
int sc_arg_port(const char *prog, const char *cmd, const char *s, uint16_t *port)
{
	if (s && !sc_parse_port(s, port))
		return 0;
	if (s)
		sc_usage_err(prog, cmd, "'%s' is not a port (1 to 65535)", s);
	else
		sc_usage_err(prog, cmd, "PORT missing");
	return -1;
}

/* An argument that is an ADDR, with port: 0, or -1 after a message. */
int sc_arg_addr(const char *prog, const char *cmd, const char *s, uint16_t port,
		struct sockaddr_storage *ss, socklen_t *len)
{
	if (!sc_parse_addr(s, port, ss, len))
		return 0;
	sc_usage_err(prog, cmd, "'%s' is not an IPv4 or IPv6 address", s);
	return -1;
}

/* "selfconn 0.4.0", as util-linux prints its version. */
void sc_print_version(FILE *out, const char *prog)
{
	fprintf(out, "%s %s\n", prog, SELFCONN_VERSION);
}
