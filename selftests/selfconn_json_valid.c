// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn_json_valid: exit 0 if stdin is exactly one JSON value (RFC 8259,
 * strings valid UTF-8 without raw control characters), else print where it
 * breaks on stderr and exit 1. A helper of selfconn_companion.sh, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (16 << 20)
#define MAX_DEPTH 64

struct jv {
	const unsigned char *s;
	size_t n, i;
};

static int value(struct jv *j, int depth);

static void ws(struct jv *j)
{
	while (j->i < j->n && strchr(" \t\r\n", j->s[j->i]) && j->s[j->i])
		j->i++;
}

static int eat(struct jv *j, char c)
{
	ws(j);
	if (j->i < j->n && j->s[j->i] == (unsigned char)c) {
		j->i++;
		return 1;
	}
	return 0;
}

static int lit(struct jv *j, const char *w)
{
	size_t l = strlen(w);

	if (j->n - j->i < l || memcmp(j->s + j->i, w, l))
		return 0;
	j->i += l;
	return 1;
}

/* One UTF-8 sequence of 2 to 4 bytes at j->i (RFC 3629). */
static int utf8(struct jv *j)
{
	const unsigned char *p = j->s + j->i;
	size_t len, k, left = j->n - j->i;
	unsigned int cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (left < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	j->i += len;
	return 1;
}

static int string(struct jv *j)
{
	unsigned char c;
	int k;

	if (!eat(j, '"'))
		return 0;
	while (j->i < j->n) {
		c = j->s[j->i];
		if (c == '"') {
			j->i++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c >= 0x80) {
			if (!utf8(j))
				return 0;
			continue;
		}
		j->i++;
		if (c != '\\')
			continue;
		if (j->i >= j->n)
			return 0;
		c = j->s[j->i++];
		if (c == 'u') {
			for (k = 0; k < 4; k++, j->i++)
				if (j->i >= j->n || !strchr("0123456789abcdefABCDEF", j->s[j->i]) ||
				    !j->s[j->i])
					return 0;
		} else if (!strchr("\"\\/bfnrt", c) || !c) {
			return 0;
		}
	}
	return 0;
}

static int digits(struct jv *j)
{
	size_t start = j->i;

	while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
		j->i++;
	return j->i > start;
}

static int number(struct jv *j)
{
	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (!digits(j))
		return 0;
	if (j->i < j->n && j->s[j->i] == '.') {
		j->i++;
		if (!digits(j))
			return 0;
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (!digits(j))
			return 0;
	}
	return 1;
}

/* The members of an object (obj) or the elements of an array after '{' / '['. */
static int members(struct jv *j, int obj, int depth)
{
	char close = obj ? '}' : ']';

	if (eat(j, close))
		return 1;
	do {
		if (obj && (!string(j) || !eat(j, ':')))
			return 0;
		if (!value(j, depth + 1))
			return 0;
	} while (eat(j, ','));
	return eat(j, close);
}

static int value(struct jv *j, int depth)
{
	unsigned char c;

	if (depth > MAX_DEPTH)
		return 0;
	ws(j);
	if (j->i >= j->n)
		return 0;
	c = j->s[j->i];
	if (c == '{' || c == '[') {
		j->i++;
		return members(j, c == '{', depth);
	}
	if (c == '"')
		return string(j);
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(j);
	return lit(j, "true") || lit(j, "false") || lit(j, "null");
}

int main(void)
{
	struct jv j = { 0 };
	int ok;
	unsigned char *buf = malloc(MAX_INPUT);

	if (!buf)
		return 2;
	j.s = buf;
	j.n = fread(buf, 1, MAX_INPUT, stdin);
	if (ferror(stdin) || j.n == MAX_INPUT) {
		fprintf(stderr, "json: read error or input too large\n");
		free(buf);
		return 2;
	}
	ok = value(&j, 0);
	ws(&j);
	if (!ok || j.i != j.n)
		fprintf(stderr, "json: invalid at byte %zu of %zu\n", j.i, j.n);
	free(buf);
	return ok && j.i == j.n ? 0 : 1;
}
