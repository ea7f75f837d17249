// SPDX-License-Identifier: GPL-2.0
/*
 * The parser of /proc/selfconn. Defensive: any line it does not understand
 * (truncated, unknown family or state, bad number) is an error with its line
 * number, never a crash; columns after the known ones are ignored, as the
 * format's later versions only append columns and header fields.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "procfile.h"
#include "selfconn.h"

#define HEADER "# selfconn v"
#define COLUMNS "# family address state uid inode timer_ms"
#define MAX_ROWS 10000000UL

/* The name of a state a row can be in, n bytes of s, or NULL. */
static const char *row_state(const char *s, size_t n)
{
	int state = sc_tcp_state_by_name(s, n);

	return sc_tcp_state_is_connection(state) ? sc_tcp_state_name(state) : NULL;
}

static int fail(char *err, size_t errlen, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The next field of [*p, end), separated by one space. */
static int next_field(const char **p, const char *end, const char **tok, size_t *len)
{
	const char *sp;

	if (*p >= end)
		return 0;
	sp = memchr(*p, ' ', (size_t)(end - *p));
	*tok = *p;
	*len = (size_t)((sp ? sp : end) - *p);
	*p = sp ? sp + 1 : end;
	return 1;
}

/* A copy of n bytes of s in buf (size len), if it fits. */
static int copy(char *buf, size_t len, const char *s, size_t n)
{
	if (n >= len)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

static int parse_num(const char *s, size_t n, unsigned long max, unsigned long *v)
{
	char buf[24];

	return copy(buf, sizeof(buf), s, n) || sc_parse_uint(buf, max, v) ? -1 : 0;
}

/* "127.0.0.1:80" (inet) or "[::1]:80" (inet6). */
static int parse_address(struct sc_row *r, const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *colon = NULL, *a = s;
	size_t alen, i;
	unsigned long port;

	for (i = 0; i < n; i++)
		if (s[i] == ':')
			colon = s + i;
	if (!colon)
		return -1;
	alen = (size_t)(colon - s);
	if (r->family == AF_INET6) {
		if (alen < 3 || s[0] != '[' || s[alen - 1] != ']')
			return -1;
		a = s + 1;
		alen -= 2;
	}
	if (copy(buf, sizeof(buf), a, alen) ||
	    inet_pton(r->family, buf, r->addr) != 1)
		return -1;
	if (parse_num(colon + 1, (size_t)(s + n - colon - 1), 65535, &port) ||
	    !port)
		return -1;
	r->port = (uint16_t)port;
	return 0;
}

static int parse_row(const char *p, const char *end, struct sc_row *r,
		     char *err, size_t errlen, unsigned int line)
{
	const char *f[6];
	size_t n[6], i;
	unsigned long v;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 6; i++) {
		if (!next_field(&p, end, &f[i], &n[i]))
			return fail(err, errlen, line, "%zu field%s, expected 6", i,
				    i == 1 ? "" : "s");
		if (!n[i])
			return fail(err, errlen, line, "empty field %zu", i + 1);
	}
	if (n[0] == 4 && !memcmp(f[0], "inet", 4))
		r->family = AF_INET;
	else if (n[0] == 5 && !memcmp(f[0], "inet6", 5))
		r->family = AF_INET6;
	else
		return fail(err, errlen, line, "unknown family '%.*s'", (int)n[0], f[0]);
	if (parse_address(r, f[1], n[1]))
		return fail(err, errlen, line, "bad %s address '%.*s'",
			    r->family == AF_INET6 ? "inet6" : "inet", (int)n[1], f[1]);
	r->state = row_state(f[2], n[2]);
	if (!r->state)
		return fail(err, errlen, line, "unknown state '%.*s'", (int)n[2], f[2]);
	if (parse_num(f[3], n[3], UINT32_MAX, &r->uid))
		return fail(err, errlen, line, "bad uid '%.*s'", (int)n[3], f[3]);
	if (parse_num(f[4], n[4], ULONG_MAX, &r->inode))
		return fail(err, errlen, line, "bad inode '%.*s'", (int)n[4], f[4]);
	r->timer_ms = -1;
	if (n[5] == 1 && f[5][0] == '-')
		return 0;
	if (parse_num(f[5], n[5], LLONG_MAX, &v))
		return fail(err, errlen, line, "bad timer_ms '%.*s'", (int)n[5], f[5]);
	r->timer_ms = (long long)v;
	return 0;
}

/* "# selfconn vN key=value ...": the version, the fields, rows=. */
static int parse_header(const char *p, const char *end, struct sc_table *t,
			unsigned long *rows, char *err, size_t errlen)
{
	const char *tok = NULL, *eq;
	size_t len = 0, hl = strlen(HEADER);
	int have_rows = 0;

	if ((size_t)(end - p) <= hl || memcmp(p, HEADER, hl))
		return fail(err, errlen, 1, "not a /proc/selfconn header (\"" HEADER "N ...\")");
	p += hl;
	if (!next_field(&p, end, &tok, &len) ||
	    parse_num(tok, len, 1000000, &t->version) || !t->version)
		return fail(err, errlen, 1, "bad format version '%.*s'", (int)len, tok);
	while (next_field(&p, end, &tok, &len)) {
		eq = memchr(tok, '=', len);
		if (!eq || eq == tok || eq == tok + len - 1)
			return fail(err, errlen, 1, "'%.*s' is not key=value", (int)len, tok);
		if ((size_t)(eq - tok) == 4 && !memcmp(tok, "rows", 4)) {
			if (parse_num(eq + 1, len - 5, MAX_ROWS, rows))
				return fail(err, errlen, 1, "bad row count '%.*s'", (int)len, tok);
			have_rows = 1;
		}
		/* Fields that do not fit are not kept; rows= always is read. */
		if (t->nfields < SC_MAX_FIELDS &&
		    !copy(t->fields[t->nfields].key, sizeof(t->fields[0].key), tok,
			  (size_t)(eq - tok)) &&
		    !copy(t->fields[t->nfields].value, sizeof(t->fields[0].value), eq + 1,
			  len - (size_t)(eq - tok) - 1))
			t->nfields++;
	}
	if (!have_rows)
		return fail(err, errlen, 1, "no rows= field in the header");
	return 0;
}

int sc_table_add_row(struct sc_table *t, const struct sc_row *r)
{
	if (sc_grow((void **)&t->rows, &t->cap, t->nrows, sizeof(*t->rows), 8))
		return -1;
	t->rows[t->nrows++] = *r;
	return 0;
}

/*
 * Parse text (NUL-terminated) into t. 0, or -1 with a message in err; t is
 * left empty on error.
 */
int sc_proc_parse(const char *text, struct sc_table *t, char *err, size_t errlen)
{
	const char *p = text, *nl;
	unsigned long rows = 0;
	unsigned int line;
	struct sc_row r;
	size_t cl = strlen(COLUMNS);

	memset(t, 0, sizeof(*t));
	for (line = 1; line < 3 + rows; line++, p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl) {
			if (!*p && line == 1)
				fail(err, errlen, 1, "empty");
			else if (!*p)
				fail(err, errlen, line,
				     "truncated: the header announces %lu row%s, found %u",
				     rows, rows == 1 ? "" : "s", line > 2 ? line - 3 : 0);
			else
				fail(err, errlen, line, "truncated: no newline at the end");
			goto err;
		}
		if (line == 1) {
			if (parse_header(p, nl, t, &rows, err, errlen))
				goto err;
		} else if (line == 2) {
			if ((size_t)(nl - p) < cl || memcmp(p, COLUMNS, cl) ||
			    ((size_t)(nl - p) > cl && p[cl] != ' ')) {
				fail(err, errlen, 2, "not the column line \"" COLUMNS "\"");
				goto err;
			}
		} else {
			if (parse_row(p, nl, &r, err, errlen, line))
				goto err;
			if (sc_table_add_row(t, &r)) {
				fail(err, errlen, line, "out of memory");
				goto err;
			}
		}
	}
	t->reports_off = (size_t)(p - text);
	/* What follows is the watched ports' reports, never a row. */
	for (; (nl = strchr(p, '\n')); p = nl + 1, line++)
		if (!strncmp(p, "inet", 4)) {
			fail(err, errlen, line, "a row after the %lu the header announces", rows);
			goto err;
		}
	return 0;
err:
	sc_table_free(t);
	return -1;
}

void sc_table_free(struct sc_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* The value of a header field, or NULL. */
const char *sc_table_field(const struct sc_table *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (!strcmp(t->fields[i].key, key))
			return t->fields[i].value;
	return NULL;
}

/* "127.0.0.1" or "::1" */
void sc_row_address(const struct sc_row *r, char *buf, size_t len)
{
	if (!inet_ntop(r->family, r->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* "127.0.0.1:80" or "[::1]:80", as /proc/selfconn and ss write it */
void sc_row_endpoint(const struct sc_row *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	sc_row_address(r, a, sizeof(a));
	if (r->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, r->port);
	else
		snprintf(buf, len, "%s:%u", a, r->port);
}
