/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The JSON writer of every --json output. It keeps the nesting itself: a
 * stack of open objects and arrays, each knowing whether it has an item
 * yet, so callers never write ',', ':', braces or brackets:
 *
 *	struct sc_json j;
 *
 *	sc_json_init(&j, stdout);
 *	sc_json_obj_begin(&j);
 *	sc_json_key(&j, "port");
 *	sc_json_int(&j, 80);
 *	sc_json_key(&j, "users");
 *	sc_json_arr_begin(&j);
 *	sc_json_str(&j, "nc");
 *	sc_json_end(&j);
 *	sc_json_end(&j);	// {"port":80,"users":["nc"]} and a newline
 *
 * A value at the top level (the document) is followed by a newline. Strings
 * are escaped as RFC 8259 requires, and bytes that are not UTF-8 become
 * U+FFFD, so the output is valid JSON whatever the input. A call out of
 * place (a value in an object without its key, an end with nothing open)
 * writes nothing and is remembered: sc_json_ok() says so.
 */
#ifndef SELFCONN_JSON_H
#define SELFCONN_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Version of every --json document's layout ("schema"). */
#define SC_JSON_SCHEMA 1

#define SC_JSON_MAX_DEPTH 8

struct sc_json {
	FILE *out;
	int depth;				/* objects and arrays open */
	unsigned char is_object[SC_JSON_MAX_DEPTH];
	unsigned char has_items[SC_JSON_MAX_DEPTH];
	int after_key;				/* a key waits for its value */
	int line_break;				/* one is due before the next item */
	int misused;				/* a call was out of place */
};

void sc_json_init(struct sc_json *j, FILE *out);
int sc_json_ok(const struct sc_json *j);

void sc_json_obj_begin(struct sc_json *j);
void sc_json_arr_begin(struct sc_json *j);
void sc_json_end(struct sc_json *j);
void sc_json_line_break(struct sc_json *j);

void sc_json_key(struct sc_json *j, const char *key);
void sc_json_keyn(struct sc_json *j, const char *key, size_t n);

void sc_json_str(struct sc_json *j, const char *s);
void sc_json_strn(struct sc_json *j, const char *s, size_t n);
void sc_json_str_or_null(struct sc_json *j, const char *s);
void sc_json_int(struct sc_json *j, long long v);
void sc_json_uint(struct sc_json *j, unsigned long long v);
void sc_json_bool(struct sc_json *j, int v);
void sc_json_null(struct sc_json *j);
void sc_json_int_or_strn(struct sc_json *j, const char *s, size_t n);
void sc_json_raw(struct sc_json *j, const char *s, size_t n);

int sc_json_is_int(const char *s, size_t n);

/* An object's member: its key, then its value. */
void sc_json_member_str(struct sc_json *j, const char *key, const char *s);
void sc_json_member_str_or_null(struct sc_json *j, const char *key, const char *s);
void sc_json_member_int(struct sc_json *j, const char *key, long long v);
void sc_json_member_uint(struct sc_json *j, const char *key, unsigned long long v);
void sc_json_member_bool(struct sc_json *j, const char *key, int v);

void sc_json_begin_document(struct sc_json *j, FILE *out, const char *command);

#endif
