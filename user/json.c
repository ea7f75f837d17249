// SPDX-License-Identifier: GPL-2.0
/* The JSON writer of every --json output: json.h says how to use it. */
#include <string.h>

#include "json.h"

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* One ASCII character of a string: quote, backslash and controls escaped. */
static void write_ascii(FILE *out, unsigned char c)
{
	if (c == '"' || c == '\\')
		fprintf(out, "\\%c", c);
	else if (c == '\n')
		fputs("\\n", out);
	else if (c == '\t')
		fputs("\\t", out);
	else if (c < 0x20 || c == 0x7f)
		fprintf(out, "\\u%04x", c);
	else
		fputc(c, out);
}

/*
 * n bytes of s as a JSON string. Control characters are escaped; a byte
 * that is not part of valid UTF-8 becomes U+FFFD, so the output is always
 * valid JSON whatever the input (a process name can hold any byte).
 */
static void write_string(FILE *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;

	fputc('"', out);
	while (i < n) {
		len = utf8_len(u + i, n - i);
		if (!len)
			fputs("\\ufffd", out);
		else if (len > 1)
			fwrite(u + i, 1, len, out);
		else
			write_ascii(out, u[i]);
		i += len ? len : 1;
	}
	fputc('"', out);
}

void sc_json_init(struct sc_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

/* Every container closed, every key given its value, no call misplaced. */
int sc_json_ok(const struct sc_json *j)
{
	return !j->misused && !j->depth && !j->after_key;
}

static int in_object(const struct sc_json *j)
{
	return j->depth && j->is_object[j->depth - 1];
}

/* A call out of place: remembered, nothing written. Returns -1. */
static int misuse(struct sc_json *j)
{
	j->misused = 1;
	return -1;
}

/* The line break sc_json_line_break() asked for, if any. */
static void write_line_break(struct sc_json *j)
{
	if (j->line_break)
		fputc('\n', j->out);
	j->line_break = 0;
}

/* What comes before an item of the open container: ',' and a line break. */
static void separate(struct sc_json *j)
{
	if (j->depth && j->has_items[j->depth - 1])
		fputc(',', j->out);
	if (j->depth)
		j->has_items[j->depth - 1] = 1;
	write_line_break(j);
}

/* Before a value: after its key, as an array's item, or as the document. */
static int value_begins(struct sc_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return 0;
	}
	if (in_object(j))
		return misuse(j);
	separate(j);
	return 0;
}

/* After a value: the document ends its line. */
static void value_ends(struct sc_json *j)
{
	if (!j->depth)
		fputc('\n', j->out);
}

static void container_begin(struct sc_json *j, int is_object)
{
	if (j->depth == SC_JSON_MAX_DEPTH) {
		misuse(j);
		return;
	}
	if (value_begins(j))
		return;
	j->is_object[j->depth] = (unsigned char)is_object;
	j->has_items[j->depth] = 0;
	j->depth++;
	fputc(is_object ? '{' : '[', j->out);
}

void sc_json_obj_begin(struct sc_json *j)
{
	container_begin(j, 1);
}

void sc_json_arr_begin(struct sc_json *j)
{
	container_begin(j, 0);
}

/* Closes the innermost object or array. */
void sc_json_end(struct sc_json *j)
{
	if (!j->depth || j->after_key) {
		misuse(j);
		return;
	}
	write_line_break(j);
	j->depth--;
	fputc(j->is_object[j->depth] ? '}' : ']', j->out);
	value_ends(j);
}

/* The next item of the open container, or its end, starts a new line. */
void sc_json_line_break(struct sc_json *j)
{
	if (!j->depth) {
		misuse(j);
		return;
	}
	j->line_break = 1;
}

/* An object member's key, n bytes of key; its value comes next. */
void sc_json_keyn(struct sc_json *j, const char *key, size_t n)
{
	if (!in_object(j) || j->after_key) {
		misuse(j);
		return;
	}
	separate(j);
	write_string(j->out, key, n);
	fputc(':', j->out);
	j->after_key = 1;
}

void sc_json_key(struct sc_json *j, const char *key)
{
	sc_json_keyn(j, key, strlen(key));
}

void sc_json_strn(struct sc_json *j, const char *s, size_t n)
{
	if (value_begins(j))
		return;
	write_string(j->out, s, n);
	value_ends(j);
}

void sc_json_str(struct sc_json *j, const char *s)
{
	sc_json_strn(j, s, strlen(s));
}

/* A string, or null for NULL and "" (a value not known or not there). */
void sc_json_str_or_null(struct sc_json *j, const char *s)
{
	if (s && *s)
		sc_json_str(j, s);
	else
		sc_json_null(j);
}

/* A literal: a number, true, false or null, n bytes of s. */
static void write_literal(struct sc_json *j, const char *s, size_t n)
{
	if (value_begins(j))
		return;
	fwrite(s, 1, n, j->out);
	value_ends(j);
}

/*
 * A value that is already JSON (a child process's document, less its
 * newline), written as it is.
 */
void sc_json_raw(struct sc_json *j, const char *s, size_t n)
{
	write_literal(j, s, n);
}

void sc_json_int(struct sc_json *j, long long v)
{
	char buf[24];

	write_literal(j, buf, (size_t)snprintf(buf, sizeof(buf), "%lld", v));
}

void sc_json_uint(struct sc_json *j, unsigned long long v)
{
	char buf[24];

	write_literal(j, buf, (size_t)snprintf(buf, sizeof(buf), "%llu", v));
}

void sc_json_bool(struct sc_json *j, int v)
{
	write_literal(j, v ? "true" : "false", v ? 4 : 5);
}

void sc_json_null(struct sc_json *j)
{
	write_literal(j, "null", 4);
}

/* A JSON integer: -?(0|[1-9][0-9]*), at most 18 digits. */
int sc_json_is_int(const char *s, size_t n)
{
	size_t i = (n && s[0] == '-') ? 1 : 0;

	if (i == n || n - i > 18 || (s[i] == '0' && n - i > 1))
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A key=value field's value: a number if it is an integer, else a string. */
void sc_json_int_or_strn(struct sc_json *j, const char *s, size_t n)
{
	if (sc_json_is_int(s, n))
		write_literal(j, s, n);
	else
		sc_json_strn(j, s, n);
}

void sc_json_member_str(struct sc_json *j, const char *key, const char *s)
{
	sc_json_key(j, key);
	sc_json_str(j, s);
}

void sc_json_member_str_or_null(struct sc_json *j, const char *key, const char *s)
{
	sc_json_key(j, key);
	sc_json_str_or_null(j, s);
}

void sc_json_member_int(struct sc_json *j, const char *key, long long v)
{
	sc_json_key(j, key);
	sc_json_int(j, v);
}

void sc_json_member_uint(struct sc_json *j, const char *key, unsigned long long v)
{
	sc_json_key(j, key);
	sc_json_uint(j, v);
}

void sc_json_member_bool(struct sc_json *j, const char *key, int v)
{
	sc_json_key(j, key);
	sc_json_bool(j, v);
}

/*
 * A --json document begins: {"schema":1, then "command":command unless it
 * is NULL. The caller adds the members and ends it with sc_json_end().
 */
void sc_json_begin_document(struct sc_json *j, FILE *out, const char *command)
{
	sc_json_init(j, out);
	sc_json_obj_begin(j);
	sc_json_member_int(j, "schema", SC_JSON_SCHEMA);
	if (command)
		sc_json_member_str(j, "command", command);
}
