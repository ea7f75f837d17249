// SPDX-License-Identifier: GPL-2.0
/*
 * Exit 0 if stdin is exactly one JSON value (RFC 8259, strings valid UTF-8 without raw control
 * characters), else print where it breaks on stderr and exit 1: selfconn_companion.sh's helper.
 * No rule takes a NUL byte: a parse stops at the one after the input.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_INPUT (16 << 20)
#define MAX_DEPTH 64

static const unsigned char *p;	/* where the parse is */

static int value(int depth);

static void ws(void)
{
	while (*p && strchr(" \t\r\n", *p))
		p++;
}

static int eat(int c)
{
	ws();
	if (*p != c)
		return 0;
	p++;
	return 1;
}

/* One UTF-8 sequence of 2 to 4 bytes (RFC 3629): shortest form, no surrogate. */
static int utf8(void)
{
	static const unsigned int min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	int len = *p < 0xc2 ? 0 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : *p < 0xf5 ? 4 : 0;
	unsigned int cp;
	int k;

	if (!len)
		return 0;
	cp = *p++ & (0x7f >> len);
	for (k = 1; k < len; k++, p++) {
		if ((*p & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (*p & 0x3f);
	}
	return cp >= min[len] && (cp < 0xd800 || cp > 0xdfff) && cp <= 0x10ffff;
}

static int string(void)
{
	if (!eat('"'))
		return 0;
	while (*p != '"') {
		if (*p < 0x20)
			return 0;
		if (*p >= 0x80) {
			if (!utf8())
				return 0;
		} else if (*p++ == '\\') {
			if (*p == 'u') {
				if (strspn((const char *)p + 1, "0123456789abcdefABCDEF") < 4)
					return 0;
				p += 5;
			} else if (!*p || !strchr("\"\\/bfnrt", *p++)) {
				return 0;
			}
		}
	}
	p++;
	return 1;
}

static int digits(void)
{
	const unsigned char *start = p;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > start;
}

static int number(void)
{
	p += *p == '-';
	if (*p == '0')
		p++;
	else if (!digits())
		return 0;
	if (*p == '.') {
		p++;
		if (!digits())
			return 0;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		p += *p == '+' || *p == '-';
		return digits();
	}
	return 1;
}

/* The members of an object (obj) or the elements of an array after '{' / '['. */
static int members(int obj, int depth)
{
	char close = obj ? '}' : ']';

	if (eat(close))
		return 1;
	do {
		if (obj && (!string() || !eat(':')))
			return 0;
		if (!value(depth + 1))
			return 0;
	} while (eat(','));
	return eat(close);
}

static int value(int depth)
{
	static const char * const lits[] = { "true", "false", "null" };
	size_t i;

	ws();
	if (depth > MAX_DEPTH)
		return 0;
	if (*p == '{' || *p == '[')
		return members(*p++ == '{', depth);
	if (*p == '"')
		return string();
	if (*p == '-' || isdigit(*p))
		return number();
	for (i = 0; i < 3; i++) {
		if (!strncmp((const char *)p, lits[i], strlen(lits[i]))) {
			p += strlen(lits[i]);
			return 1;
		}
	}
	return 0;
}

int main(void)
{
	static unsigned char buf[MAX_INPUT + 1];
	size_t n = fread(buf, 1, MAX_INPUT, stdin);
	int ok;

	if (ferror(stdin) || n == MAX_INPUT) {
		fprintf(stderr, "json: read error or input too large\n");
		return 2;
	}
	buf[n] = '\0';
	p = buf;
	ok = value(0);
	ws();
	ok = ok && p == buf + n;
	if (!ok)
		fprintf(stderr, "json: invalid at byte %zu of %zu\n", (size_t)(p - buf), n);
	return !ok;
}
