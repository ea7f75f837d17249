/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SELFCONN_DIAG_H
#define SELFCONN_DIAG_H

#include <stddef.h>

#include "procfile.h"

int sc_diag_selfconns(struct sc_table *t, char *what, size_t len);

#endif
