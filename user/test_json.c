// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the JSON writer (json.c): escaping, UTF-8, integers,
 * and the nesting it keeps itself: commas, keys, line breaks, misuse.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

/* A writer into memory: begin, write with w.j, then finish. */
struct mem {
	struct sc_json j;
	FILE *f;
	char *buf;
	size_t len;
};

static void mem_begin(struct mem *m)
{
	m->buf = NULL;
	m->f = open_memstream(&m->buf, &m->len);
	if (!m->f)
		abort();
	sc_json_init(&m->j, m->f);
}

/* What was written, malloc'd; the caller frees it. */
static char *mem_finish(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

/* Compares what m wrote with want; false and both shown if they differ. */
static int check_mem(struct tap *t, struct mem *m, const char *want, const char *what)
{
	char *got = mem_finish(m);
	int ok = tap_ok(t, !strcmp(got, want), "%s", what);

	if (!ok)
		printf("# got  %s\n# want %s\n", got, want);
	free(got);
	return ok;
}

/* n bytes of in as a document of one string: want and a newline. */
static void check_str(struct tap *t, const char *in, size_t n, const char *want,
		      const char *what)
{
	struct mem m;
	char line[128];

	snprintf(line, sizeof(line), "%s\n", want);
	mem_begin(&m);
	sc_json_strn(&m.j, in, n);
	check_mem(t, &m, line, what);
}

static void check_int_or_str(struct tap *t, const char *in, const char *want)
{
	struct mem m;
	char line[64], what[96];

	snprintf(line, sizeof(line), "%s\n", want);
	snprintf(what, sizeof(what), "value '%s' is %s", in, want);
	mem_begin(&m);
	sc_json_int_or_strn(&m.j, in, strlen(in));
	check_mem(t, &m, line, what);
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

static void test_strings(struct tap *t)
{
	check_str(t, "plain", 5, "\"plain\"", "string: plain ASCII");
	check_str(t, "", 0, "\"\"", "string: empty");
	check_str(t, "a\"b\\c", 5, "\"a\\\"b\\\\c\"", "string: quote and backslash");
	check_str(t, "a\nb\tc", 5, "\"a\\nb\\tc\"", "string: newline and tab");
	check_str(t, "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"",
		  "string: controls and DEL");
	check_str(t, "a\0b", 3, "\"a\\u0000b\"", "string: an embedded NUL, by length");
	check_str(t, "/", 1, "\"/\"", "string: slash left alone");
	check_str(t, "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", "string: valid 2-byte UTF-8 kept");
	check_str(t, "\xe2\x82\xac\xf0\x9f\x98\x80", 7, "\"\xe2\x82\xac\xf0\x9f\x98\x80\"",
		  "string: valid 3- and 4-byte UTF-8 kept");
	check_str(t, "\xff", 1, "\"\\ufffd\"", "string: 0xff replaced");
	check_str(t, "\x80x", 2, "\"\\ufffdx\"", "string: lone continuation byte replaced");
	check_str(t, "\xc0\x80", 2, "\"\\ufffd\\ufffd\"", "string: overlong NUL replaced");
	check_str(t, "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"",
		  "string: UTF-16 surrogate replaced");
	check_str(t, "a\xe2\x82", 3, "\"a\\ufffd\\ufffd\"",
		  "string: sequence cut at the end replaced");
	check_str(t, "\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
		  "string: beyond U+10FFFF replaced");
	check_str(t, "\x08\x0c\r", 3, "\"\\u0008\\u000c\\u000d\"",
		  "string: backspace, form feed, CR as \\u escapes");
}

/* Every byte value in one string: printable ASCII out, as RFC 8259 allows. */
static void test_all_bytes(struct tap *t)
{
	struct mem m;
	char all[256], *got;
	int i;

	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	mem_begin(&m);
	sc_json_strn(&m.j, all, sizeof(all));
	got = mem_finish(&m);
	/* no byte >= 0x80 alone is UTF-8: the output is printable ASCII */
	for (i = 0; got[i] && (unsigned char)got[i] >= 0x20 &&
	     (unsigned char)got[i] < 0x7f; i++)
		;
	tap_ok(t, got[i] == '\n' && !got[i + 1] && !strncmp(got, "\"\\u0000\\u0001", 13),
	       "string: all 256 byte values: printable ASCII out");
	free(got);
}

static void test_numbers(struct tap *t)
{
	struct mem m;
	int i;

	for (i = 0; i < NINTS; i++)
		tap_ok(t, sc_json_is_int(ints[i].in, strlen(ints[i].in)) == ints[i].is_int,
		       "is_int('%s') = %d", ints[i].in, ints[i].is_int);
	check_int_or_str(t, "18082", "18082");
	check_int_or_str(t, "-1", "-1");
	check_int_or_str(t, "EADDRINUSE", "\"EADDRINUSE\"");
	check_int_or_str(t, "0x10", "\"0x10\"");
	mem_begin(&m);
	sc_json_arr_begin(&m.j);
	sc_json_int(&m.j, LLONG_MIN);
	sc_json_uint(&m.j, ULLONG_MAX);
	sc_json_int(&m.j, 0);
	sc_json_end(&m.j);
	check_mem(t, &m, "[-9223372036854775808,18446744073709551615,0]\n",
		  "numbers: int and uint limits, zero");
	mem_begin(&m);
	sc_json_arr_begin(&m.j);
	sc_json_bool(&m.j, 1);
	sc_json_bool(&m.j, 0);
	sc_json_null(&m.j);
	sc_json_str_or_null(&m.j, NULL);
	sc_json_str_or_null(&m.j, "");
	sc_json_str_or_null(&m.j, "x");
	sc_json_end(&m.j);
	check_mem(t, &m, "[true,false,null,null,null,\"x\"]\n",
		  "literals: true, false, null; str_or_null of NULL, \"\" and \"x\"");
}

static void test_nesting(struct tap *t)
{
	struct mem m;

	mem_begin(&m);
	sc_json_obj_begin(&m.j);
	sc_json_end(&m.j);
	sc_json_arr_begin(&m.j);
	sc_json_end(&m.j);
	check_mem(t, &m, "{}\n[]\n", "nesting: empty object, empty array, a line each");

	mem_begin(&m);
	sc_json_obj_begin(&m.j);
	sc_json_key(&m.j, "a");
	sc_json_int(&m.j, 1);
	sc_json_key(&m.j, "b\"");
	sc_json_int(&m.j, 2);
	sc_json_end(&m.j);
	check_mem(t, &m, "{\"a\":1,\"b\\\"\":2}\n", "nesting: keys with commas between, escaped");

	mem_begin(&m);
	sc_json_obj_begin(&m.j);
	sc_json_key(&m.j, "a");
	sc_json_arr_begin(&m.j);
	sc_json_int(&m.j, 1);
	sc_json_obj_begin(&m.j);
	sc_json_key(&m.j, "b");
	sc_json_null(&m.j);
	sc_json_key(&m.j, "c");
	sc_json_arr_begin(&m.j);
	sc_json_end(&m.j);
	sc_json_end(&m.j);
	sc_json_str(&m.j, "d");
	sc_json_end(&m.j);
	sc_json_key(&m.j, "e");
	sc_json_obj_begin(&m.j);
	sc_json_end(&m.j);
	sc_json_end(&m.j);
	tap_ok(t, sc_json_ok(&m.j), "nesting: ok when all is closed");
	check_mem(t, &m, "{\"a\":[1,{\"b\":null,\"c\":[]},\"d\"],\"e\":{}}\n",
		  "nesting: arrays and objects in each other, commas only between items");

	mem_begin(&m);
	sc_json_obj_begin(&m.j);
	sc_json_keyn(&m.j, "key=value", 3);
	sc_json_strn(&m.j, "value", 2);
	sc_json_end(&m.j);
	check_mem(t, &m, "{\"key\":\"va\"}\n", "nesting: keyn and strn take n bytes");
}

/* The line breaks of list, reuse and port: one array item a line. */
static void test_line_breaks(struct tap *t)
{
	struct mem m;
	int i;

	mem_begin(&m);
	sc_json_obj_begin(&m.j);
	sc_json_key(&m.j, "rows");
	sc_json_arr_begin(&m.j);
	for (i = 0; i < 2; i++) {
		sc_json_line_break(&m.j);
		sc_json_obj_begin(&m.j);
		sc_json_key(&m.j, "n");
		sc_json_int(&m.j, i);
		sc_json_end(&m.j);
	}
	sc_json_line_break(&m.j);
	sc_json_end(&m.j);
	sc_json_key(&m.j, "z");
	sc_json_bool(&m.j, 1);
	sc_json_end(&m.j);
	check_mem(t, &m, "{\"rows\":[\n{\"n\":0},\n{\"n\":1}\n],\"z\":true}\n",
		  "line breaks: after the comma, before an item and before the end");

	mem_begin(&m);
	sc_json_arr_begin(&m.j);
	sc_json_line_break(&m.j);
	sc_json_end(&m.j);
	check_mem(t, &m, "[\n]\n", "line breaks: an empty array with a break before its end");
}

/* The documents of --json: {"schema":1[,"command":C], then members. */
static void test_documents(struct tap *t)
{
	struct mem m;

	mem_begin(&m);
	sc_json_begin_document(&m.j, m.f, "race");
	sc_json_member_str(&m.j, "address", "::1");
	sc_json_member_int(&m.j, "elapsed_ms", -1);
	sc_json_member_uint(&m.j, "attempts", 40000);
	sc_json_member_bool(&m.j, "self_connect", 0);
	sc_json_member_str_or_null(&m.j, "state", NULL);
	sc_json_end(&m.j);
	check_mem(t, &m, "{\"schema\":1,\"command\":\"race\",\"address\":\"::1\","
		  "\"elapsed_ms\":-1,\"attempts\":40000,\"self_connect\":false,"
		  "\"state\":null}\n", "documents: schema, command, a member of each kind");

	mem_begin(&m);
	sc_json_begin_document(&m.j, m.f, NULL);
	sc_json_member_str_or_null(&m.j, "source", "proc");
	sc_json_end(&m.j);
	check_mem(t, &m, "{\"schema\":1,\"source\":\"proc\"}\n",
		  "documents: without a command");
}

/* Calls out of place: nothing written, and sc_json_ok() says so. */
static void test_misuse(struct tap *t)
{
	struct mem m;
	int i, ok;

	mem_begin(&m);
	sc_json_obj_begin(&m.j);
	sc_json_int(&m.j, 1);		/* a value without its key */
	sc_json_end(&m.j);
	ok = !sc_json_ok(&m.j);
	check_mem(t, &m, "{}\n", "misuse: a value in an object without a key is not written");
	tap_ok(t, ok, "misuse: ... and sc_json_ok() is false");

	mem_begin(&m);
	sc_json_arr_begin(&m.j);
	sc_json_key(&m.j, "k");		/* a key in an array */
	sc_json_end(&m.j);
	sc_json_end(&m.j);		/* nothing open */
	ok = !sc_json_ok(&m.j);
	check_mem(t, &m, "[]\n", "misuse: a key in an array, an end too many: not written");
	tap_ok(t, ok, "misuse: ... and sc_json_ok() is false");

	mem_begin(&m);
	sc_json_obj_begin(&m.j);
	sc_json_key(&m.j, "k");
	tap_ok(t, !sc_json_ok(&m.j), "misuse: not ok while a key waits for its value");
	sc_json_end(&m.j);		/* the key has no value */
	sc_json_key(&m.j, "l");		/* a key after a key */
	sc_json_null(&m.j);
	sc_json_end(&m.j);
	check_mem(t, &m, "{\"k\":null}\n", "misuse: an end or a key after a key: not written");

	mem_begin(&m);
	for (i = 0; i <= SC_JSON_MAX_DEPTH; i++)
		sc_json_arr_begin(&m.j);
	ok = !sc_json_ok(&m.j) && m.j.depth == SC_JSON_MAX_DEPTH;
	while (m.j.depth)
		sc_json_end(&m.j);
	check_mem(t, &m, "[[[[[[[[]]]]]]]]\n", "misuse: nesting deeper than the stack is refused");
	tap_ok(t, ok, "misuse: ... and sc_json_ok() is false");

	mem_begin(&m);
	sc_json_line_break(&m.j);	/* no container */
	sc_json_null(&m.j);
	ok = !sc_json_ok(&m.j);
	check_mem(t, &m, "null\n", "misuse: a line break outside any container is refused");
	tap_ok(t, ok, "misuse: ... and sc_json_ok() is false");
}

#define PLAN (17 + NINTS + 4 + 2 + 5 + 2 + 2 + 10)

int main(void)
{
	struct tap t = { 0 };

	tap_plan(PLAN);
	test_strings(&t);
	test_all_bytes(&t);
	test_numbers(&t);
	test_nesting(&t);
	test_line_breaks(&t);
	test_documents(&t);
	test_misuse(&t);
	return tap_done(&t, PLAN);
}
