// SPDX-License-Identifier: GPL-2.0
/* selfconn(1): subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "selfconn.h"

static const struct sc_command sc_commands[] = {
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
};

#define SC_NCOMMANDS (sizeof(sc_commands) / sizeof(sc_commands[0]))

static void usage(FILE *out, const char *prog)
{
	size_t i;

	fprintf(out,
		"Usage: %s COMMAND [ARGS]\n"
		"       %s COMMAND --help\n"
		"\n"
		"Companion of selfconn.ko, which lists self-connected TCP sockets\n"
		"in /proc/selfconn.\n"
		"\n"
		"Commands:\n", prog, prog);
	for (i = 0; i < SC_NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", sc_commands[i].name,
			sc_commands[i].summary);
	fprintf(out,
		"\n"
		"Exit status: 0 done, 1 error, 2 connection refused (connect) or no\n"
		"self-connect within --max (race), 64 bad usage; list --check: 0 none,\n"
		"1 a self-connect exists, 3 unknown. See '%s COMMAND --help'.\n", prog);
}

int main(int argc, char **argv)
{
	const char *prog = "selfconn";
	size_t i;

	if (argc < 2) {
		usage(stderr, prog);
		return SC_EXIT_USAGE;
	}
	if (sc_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			for (i = 0; i < SC_NCOMMANDS; i++)
				if (!strcmp(argv[2], sc_commands[i].name)) {
					sc_commands[i].usage(stdout, prog);
					return SC_EXIT_OK;
				}
			fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[2]);
			return SC_EXIT_USAGE;
		}
		usage(stdout, prog);
		return SC_EXIT_OK;
	}
	for (i = 0; i < SC_NCOMMANDS; i++)
		if (!strcmp(argv[1], sc_commands[i].name))
			return sc_commands[i].run(prog, argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n",
		prog, argv[1], prog);
	return SC_EXIT_USAGE;
}
