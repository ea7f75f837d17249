/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parser of /proc/selfconn (format v1, README.md "/proc/selfconn"):
 * a header line of key=value fields, a column line, rows=N socket rows,
 * then the reports of watched ports, which it leaves as text.
 */
#ifndef SELFCONN_PROCFILE_H
#define SELFCONN_PROCFILE_H

#include <stddef.h>
#include <stdint.h>

#define SC_PROC_PATH "/proc/selfconn"
#define SC_MAX_FIELDS 16

struct sc_row {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network order; IPv4 in addr[0..3] */
	uint16_t port;
	const char *state;		/* as ss prints it: "ESTAB", ... */
	unsigned long uid;
	unsigned long inode;		/* 0 for TIME-WAIT */
	long long timer_ms;		/* -1: none ("-") */
};

struct sc_field {
	char key[32];
	char value[64];
};

struct sc_table {
	unsigned long version;
	size_t nfields;			/* header key=value fields kept */
	struct sc_field fields[SC_MAX_FIELDS];
	size_t nrows;
	struct sc_row *rows;		/* malloc'd */
	size_t cap;
	size_t reports_off;		/* offset of the text after the rows */
};

int sc_proc_parse(const char *text, struct sc_table *t, char *err, size_t errlen);
void sc_table_free(struct sc_table *t);
int sc_table_add_row(struct sc_table *t, const struct sc_row *r);
const char *sc_table_field(const struct sc_table *t, const char *key);
void sc_row_address(const struct sc_row *r, char *buf, size_t len);
void sc_row_endpoint(const struct sc_row *r, char *buf, size_t len);

#endif
