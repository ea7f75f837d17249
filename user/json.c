// SPDX-License-Identifier: GPL-2.0
/* The JSON writer of every --json output. */
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

/*
 * n bytes of s as a JSON string. Control characters are escaped; a byte
 * that is not part of valid UTF-8 becomes U+FFFD, so the output is always
 * valid JSON whatever the input (a process name can hold any byte).
 */
void sc_json_string(FILE *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;

	fputc('"', out);
	while (i < n) {
		unsigned char c = u[i];

		len = utf8_len(u + i, n - i);
		if (!len) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		if (len > 1) {
			fwrite(u + i, 1, len, out);
			i += len;
			continue;
		}
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
		i++;
	}
	fputc('"', out);
}

void sc_json_str(FILE *out, const char *s)
{
	sc_json_string(out, s, strlen(s));
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

/* A field's value: a number if it is an integer, else a string. */
void sc_json_value(FILE *out, const char *s, size_t n)
{
	if (sc_json_is_int(s, n))
		fwrite(s, 1, n, out);
	else
		sc_json_string(out, s, n);
}

/* ,"key": inside an object; *first is set to 1 when the object opens. */
void sc_json_key(FILE *out, int *first, const char *key)
{
	if (!*first)
		fputc(',', out);
	*first = 0;
	sc_json_str(out, key);
	fputc(':', out);
}
