/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every network namespace of the host, as lsns -t net finds them (the
 * /proc/PID/ns/net of every process and the names in /run/netns, counted
 * once by inode), and a way to run code inside each: in a child that
 * setns()es into it, whose output comes back through a pipe.
 */
#ifndef SELFCONN_NETNS_H
#define SELFCONN_NETNS_H

#include <stddef.h>
#include <stdio.h>

struct sc_netns {
	unsigned long inode;
	long pid;		/* the lowest pid in it; 0: only a /run/netns name */
	char path[300];		/* /proc/PID/ns/net or /run/netns/NAME */
};

struct sc_netns_set {
	struct sc_netns *v;	/* sorted by inode */
	size_t n, cap;
};

int sc_netns_privileged(const char *prog, const char *cmd);
int sc_netns_find(struct sc_netns_set *s);
void sc_netns_free(struct sc_netns_set *s);

/* The child could not enter the namespace or finish: it said why. */
#define SC_NETNS_FAILED 255

/*
 * Runs fn in a child inside @ns; what fn writes to out is returned in
 * *buf (malloc'd, NUL-terminated). Returns fn's return value (the child's
 * exit status), SC_NETNS_FAILED, or -1 with errno if no child ran.
 */
int sc_netns_run(const char *prog, const char *cmd, const struct sc_netns *ns,
		 int (*fn)(void *arg, FILE *out), void *arg, char **buf);

#endif
