// SPDX-License-Identifier: GPL-2.0
/* selfconn(8)'s commands, and the dispatch of its command line to them. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "selfconn.h"

#define PROG "selfconn"

const struct sc_command sc_commands[] = {
	{ "connect", "make a TCP socket connect to itself",
	  sc_connect_main, sc_connect_usage },
	{ "list", "list self-connected sockets with their processes",
	  sc_list_main, sc_list_usage },
	{ "race", "reproduce the accidental self-connect of connect() without bind()",
	  sc_race_main, sc_race_usage },
	{ "reuse", "the 4-tuple rule: shared local ports, EADDRNOTAVAIL, EADDRINUSE",
	  sc_reuse_main, sc_reuse_usage },
	{ "simopen", "a simultaneous open of two sockets (private netns, netem)",
	  sc_simopen_main, sc_simopen_usage },
	{ "port", "show who occupies a TCP port (bind, connect verdicts)",
	  sc_port_main, sc_port_usage },
	{ "metrics", "Prometheus metrics of self-connects (node_exporter textfile)",
	  sc_metrics_main, sc_metrics_usage },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *out, const char *prog)
{
	const struct sc_command *c;

	fprintf(out,
		"Usage: %s COMMAND [ARGS]\n"
		"       %s COMMAND --help\n"
		"       %s --version\n"
		"\n"
		"Companion of selfconn.ko, which lists self-connected TCP sockets\n"
		"in /proc/selfconn.\n"
		"\n"
		"Commands:\n", prog, prog, prog);
	for (c = sc_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out,
		"\n"
		"Options of every command: --opt=VALUE is --opt VALUE, '--' ends the\n"
		"options; -h, --help; -V, --version.\n"
		"\n"
		"Exit status: 0 done, 1 error, 2 connection refused (connect) or no\n"
		"self-connect within --max (race), 64 bad usage; list --check: 0 none,\n"
		"1 a self-connect exists, 3 unknown. See '%s COMMAND --help'.\n", prog);
}

/* The command called name, or NULL. */
const struct sc_command *sc_command_find(const char *name)
{
	const struct sc_command *c;

	for (c = sc_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static const struct sc_command *find_or_complain(const char *name)
{
	const struct sc_command *c = sc_command_find(name);

	if (!c)
		sc_usage_err(PROG, NULL, "unknown command '%s'", name);
	return c;
}

/* selfconn help [COMMAND] */
static int help(int nargs, char **args)
{
	const struct sc_command *c;

	if (nargs < 2) {
		usage(stdout, PROG);
		return SC_EXIT_OK;
	}
	c = find_or_complain(args[1]);
	if (!c)
		return SC_EXIT_USAGE;
	c->usage(stdout, PROG);
	return SC_EXIT_OK;
}

/* selfconn [-h|-V] COMMAND [ARGS]: the exit status. */
int sc_main(int argc, char **argv)
{
	const struct sc_cmdline cl = { .prog = PROG, .max_args = INT_MAX, .stop_at_arg = 1 };
	const struct sc_command *c;
	char **args;
	int nargs, ret;

	ret = sc_cmdline_parse(&cl, argc, argv, NULL, &args, &nargs);
	if (ret != SC_CMDLINE_RUN)
		return sc_cmdline_exit(ret, PROG, usage);
	if (!nargs) {
		usage(stderr, PROG);
		return SC_EXIT_USAGE;
	}
	if (!strcmp(args[0], "help"))
		return help(nargs, args);
	c = find_or_complain(args[0]);
	return c ? c->run(PROG, nargs, args) : SC_EXIT_USAGE;
}
