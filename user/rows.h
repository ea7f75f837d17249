/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SELFCONN_ROWS_H
#define SELFCONN_ROWS_H

#include "procfile.h"

enum {
	SC_ROWS_DIAG = 1,	/* sock_diag even when the module is loaded */
	SC_ROWS_QUIET = 2,	/* no note on stderr when sock_diag stands in */
};

int sc_rows_load(const char *prog, const char *cmd, unsigned int flags,
		 struct sc_table *t, const char **source);

#endif
