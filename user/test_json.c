// SPDX-License-Identifier: GPL-2.0
/* Host unit test of the JSON writer (json.c): escaping, UTF-8, integers. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

/* What sc_json_string() writes for n bytes of s, malloc'd. */
static char *str(const char *s, size_t n)
{
	size_t len;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	sc_json_string(f, s, n);
	fclose(f);
	return buf;
}

static char *value(const char *s)
{
	size_t len;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	sc_json_value(f, s, strlen(s));
	fclose(f);
	return buf;
}

static void check_str(struct tap *t, const char *in, size_t n, const char *want,
		      const char *what)
{
	char *got = str(in, n);

	if (!tap_ok(t, !strcmp(got, want), "string: %s", what))
		printf("# got  %s\n# want %s\n", got, want);
	free(got);
}

static void check_value(struct tap *t, const char *in, const char *want)
{
	char *got = value(in);

	if (!tap_ok(t, !strcmp(got, want), "value '%s' is %s", in, want))
		printf("# got %s\n", got);
	free(got);
}

static const struct {
	const char *in;
	int is_int;
} ints[] = {
	{ "0", 1 }, { "42", 1 }, { "-7", 1 }, { "123456789012345678", 1 },
	{ "1234567890123456789", 0 }, { "007", 0 }, { "-0x1", 0 }, { "", 0 },
	{ "-", 0 }, { "1e3", 0 }, { "+1", 0 }, { " 1", 0 }, { "1.5", 0 },
};

#define NINTS (int)(sizeof(ints) / sizeof(ints[0]))
#define PLAN (16 + NINTS + 4 + 2)

int main(void)
{
	struct tap t = { 0 };
	char *got;
	size_t len;
	int i, first = 1;
	FILE *f;

	tap_plan(PLAN);
	check_str(&t, "plain", 5, "\"plain\"", "plain ASCII");
	check_str(&t, "", 0, "\"\"", "empty");
	check_str(&t, "a\"b\\c", 5, "\"a\\\"b\\\\c\"", "quote and backslash");
	check_str(&t, "a\nb\tc", 5, "\"a\\nb\\tc\"", "newline and tab");
	check_str(&t, "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"", "controls and DEL");
	check_str(&t, "a\0b", 3, "\"a\\u0000b\"", "an embedded NUL, by length");
	check_str(&t, "/", 1, "\"/\"", "slash left alone");
	check_str(&t, "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", "valid 2-byte UTF-8 kept");
	check_str(&t, "\xe2\x82\xac\xf0\x9f\x98\x80", 7, "\"\xe2\x82\xac\xf0\x9f\x98\x80\"",
		  "valid 3- and 4-byte UTF-8 kept");
	check_str(&t, "\xff", 1, "\"\\ufffd\"", "0xff replaced");
	check_str(&t, "\x80x", 2, "\"\\ufffdx\"", "lone continuation byte replaced");
	check_str(&t, "\xc0\x80", 2, "\"\\ufffd\\ufffd\"", "overlong NUL replaced");
	check_str(&t, "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"", "UTF-16 surrogate replaced");
	check_str(&t, "a\xe2\x82", 3, "\"a\\ufffd\\ufffd\"", "sequence cut at the end replaced");
	check_str(&t, "\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
		  "beyond U+10FFFF replaced");
	{
		char all[256];

		for (i = 0; i < 256; i++)
			all[i] = (char)i;
		got = str(all, sizeof(all));
		/* no byte >= 0x80 alone is UTF-8: the output is printable ASCII */
		for (i = 0; got[i] && (unsigned char)got[i] >= 0x20 &&
		     (unsigned char)got[i] < 0x7f; i++)
			;
		tap_ok(&t, !got[i] && !strncmp(got, "\"\\u0000\\u0001", 13),
		       "all 256 byte values: printable ASCII out");
		free(got);
	}
	for (i = 0; i < NINTS; i++)
		tap_ok(&t, sc_json_is_int(ints[i].in, strlen(ints[i].in)) == ints[i].is_int,
		       "is_int('%s') = %d", ints[i].in, ints[i].is_int);
	check_value(&t, "18082", "18082");
	check_value(&t, "-1", "-1");
	check_value(&t, "EADDRINUSE", "\"EADDRINUSE\"");
	check_value(&t, "0x10", "\"0x10\"");
	f = open_memstream(&got, &len);
	if (!f)
		abort();
	fputc('{', f);
	sc_json_key(f, &first, "a");
	fputs("1", f);
	sc_json_key(f, &first, "b\"");
	fputs("2", f);
	fputc('}', f);
	fclose(f);
	tap_ok(&t, !strcmp(got, "{\"a\":1,\"b\\\"\":2}"), "keys: commas between, escaped");
	tap_ok(&t, !first, "keys: first cleared");
	free(got);
	return tap_done(&t, PLAN);
}
