/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON writer: strings with escaping (and invalid UTF-8 replaced),
 * numbers, and the "integer or string" values of key=value fields.
 */
#ifndef SELFCONN_JSON_H
#define SELFCONN_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Version of every --json document's layout ("schema"). */
#define SC_JSON_SCHEMA 1

void sc_json_string(FILE *out, const char *s, size_t n);
void sc_json_str(FILE *out, const char *s);
int sc_json_is_int(const char *s, size_t n);
void sc_json_value(FILE *out, const char *s, size_t n);
void sc_json_key(FILE *out, int *first, const char *key);

#endif
