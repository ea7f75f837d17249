// SPDX-License-Identifier: GPL-2.0
/*
 * The self-connected sockets of this network namespace: the rows of
 * /proc/selfconn, or, without selfconn.ko, those sock_diag finds.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "procfile.h"
#include "rows.h"
#include "selfconn.h"

/* The text of /proc/selfconn: 0, ENOENT if the module is not loaded, or -1. */
static int read_proc(const char *prog, const char *cmd, char **text)
{
	int fd, err;

	fd = open(SC_PROC_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT)
			return ENOENT;
		sc_err(prog, cmd, err, "open %s", SC_PROC_PATH);
		return -1;
	}
	err = sc_read_all(fd, text);
	close(fd);
	if (err) {
		sc_err(prog, cmd, err, "read %s", SC_PROC_PATH);
		return -1;
	}
	return 0;
}

/*
 * The rows: from the module, or from sock_diag; *source says which. 0, or
 * -1 after a message.
 */
int sc_rows_load(const char *prog, const char *cmd, unsigned int flags,
		 struct sc_table *t, const char **source)
{
	char *text = NULL, msg[256];
	int err = ENOENT;

	if (!(flags & SC_ROWS_DIAG))
		err = read_proc(prog, cmd, &text);
	if (err < 0)
		return -1;
	if (!err) {
		*source = "proc";
		err = sc_proc_parse(text, t, msg, sizeof(msg));
		free(text);
		if (err)
			sc_err(prog, cmd, 0, "%s: %s", SC_PROC_PATH, msg);
		return err ? -1 : 0;
	}
	*source = "sock_diag";
	memset(t, 0, sizeof(*t));
	if (!(flags & (SC_ROWS_DIAG | SC_ROWS_QUIET)))
		fprintf(stderr, "%s %s: %s missing (selfconn.ko not loaded): self-connects "
			"found through sock_diag (inet_diag) instead; the bhash report "
			"(%s port) needs the module\n", prog, cmd, SC_PROC_PATH, prog);
	err = sc_diag_selfconns(t, msg, sizeof(msg));
	if (err) {
		sc_err(prog, cmd, err, "%s", msg);
		sc_table_free(t);
		return -1;
	}
	return 0;
}

