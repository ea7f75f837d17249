// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the /proc/selfconn parser (procfile.c): good input,
 * extra columns and header fields, truncated and garbage input. Built with
 * ASan and UBSan: a crash or an out-of-bounds read fails it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "procfile.h"
#include "selfconn.h"
#include "tap.h"

#define HDR "# selfconn v1 rows=3 attempts=0 refused=0\n"
#define COLS "# family address state uid inode timer_ms\n"
#define ROW1 "inet 127.0.0.1:18082 ESTAB 0 8270 -\n"
#define ROW2 "inet6 [::1]:18083 TIME-WAIT 0 0 59212\n"
#define ROW3 "inet6 [::ffff:127.0.0.1]:18084 ESTAB 1000 8301 -\n"
#define GOOD HDR COLS ROW1 ROW2 ROW3
#define REPORT "# port 18084\nport 18084 bhash none\nport 18084 summary bhash_owners=0\n"

/* Parses text from a malloc'd copy of exactly its bytes (ASan sees overruns). */
static int parse(const char *text, struct sc_table *t, char *err, size_t errlen)
{
	size_t n = strlen(text);
	char *copy = malloc(n + 1);
	int ret;

	if (!copy)
		abort();
	memcpy(copy, text, n + 1);
	ret = sc_proc_parse(copy, t, err, errlen);
	free(copy);
	return ret;
}

static void good(struct tap *tp, const char *text, size_t rows, const char *what)
{
	struct sc_table t;
	char err[256] = "";

	if (!tap_ok(tp, !parse(text, &t, err, sizeof(err)) && t.nrows == rows,
		    "good: %s", what))
		printf("# error: %s; rows %zu, expected %zu\n", err, t.nrows, rows);
	sc_table_free(&t);
}

/* Bad input: an error naming the line (and want, if given), no rows. */
static void bad(struct tap *tp, const char *text, const char *want, const char *what)
{
	struct sc_table t;
	char err[256] = "";
	int ret = parse(text, &t, err, sizeof(err));

	if (!tap_ok(tp, ret == -1 && !t.nrows && !t.rows && !strncmp(err, "line ", 5) &&
		    (!want || strstr(err, want)), "bad: %s", what))
		printf("# returned %d, error '%s', expected it to name '%s'\n", ret, err,
		       want ? want : "line");
	else
		printf("#   -> %s\n", err);
	sc_table_free(&t);
}

static void fields(struct tap *tp)
{
	struct sc_table t;
	char err[256], ep[64];
	int ok;

	ok = !parse(GOOD REPORT, &t, err, sizeof(err)) && t.nrows == 3;
	tap_ok(tp, ok && t.version == 1 && sc_table_field(&t, "rows") &&
	       !strcmp(sc_table_field(&t, "attempts"), "0") &&
	       !sc_table_field(&t, "nosuch"), "header: version and key=value fields");
	if (!ok)
		return;
	sc_row_endpoint(&t.rows[0], ep, sizeof(ep));
	tap_ok(tp, t.rows[0].family == AF_INET && !strcmp(ep, "127.0.0.1:18082") &&
	       !strcmp(t.rows[0].state, "ESTAB") && t.rows[0].uid == 0 &&
	       t.rows[0].inode == 8270 && t.rows[0].timer_ms == -1, "row 1: %s", ep);
	sc_row_endpoint(&t.rows[1], ep, sizeof(ep));
	tap_ok(tp, t.rows[1].family == AF_INET6 && !strcmp(ep, "[::1]:18083") &&
	       !strcmp(t.rows[1].state, "TIME-WAIT") && t.rows[1].inode == 0 &&
	       t.rows[1].timer_ms == 59212, "row 2: %s", ep);
	sc_row_endpoint(&t.rows[2], ep, sizeof(ep));
	tap_ok(tp, t.rows[2].family == AF_INET6 && !strcmp(ep, "[::ffff:127.0.0.1]:18084") &&
	       t.rows[2].uid == 1000 && t.rows[2].port == 18084, "row 3: %s", ep);
	tap_ok(tp, !strcmp(GOOD REPORT + t.reports_off, REPORT),
	       "the watched ports' reports follow the rows");
	sc_table_free(&t);
}

/* Every prefix of a good file that cuts a row or the header is an error. */
static void prefixes(struct tap *tp)
{
	const char *text = GOOD;
	size_t n = strlen(text), i, wrong = 0;
	struct sc_table t;
	char err[256], *p;

	for (i = 0; i < n; i++) {
		p = strndup(text, i);
		if (!p)
			abort();
		if (sc_proc_parse(p, &t, err, sizeof(err)) != -1 || t.rows) {
			printf("# prefix of %zu bytes parsed\n", i);
			wrong++;
		}
		sc_table_free(&t);
		free(p);
	}
	tap_ok(tp, !wrong, "each of the %zu truncations of a good file is an error", n);
}

/* Random bytes and random edits of a good file: parse or fail, never crash. */
static void fuzz(struct tap *tp)
{
	unsigned int seed = 1, i, j, parsed = 0;
	char buf[sizeof(GOOD) + 8], err[256];
	struct sc_table t;

	for (i = 0; i < 20000; i++) {
		memcpy(buf, GOOD, sizeof(GOOD));
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % (sizeof(GOOD) - 1)] = (char)(seed >> 16);
		}
		if (i % 2) {	/* or garbage throughout */
			for (j = 0; j < sizeof(buf) - 1; j++) {
				seed = seed * 1103515245 + 12345;
				buf[j] = (char)(seed >> 16);
			}
			buf[sizeof(buf) - 1] = '\0';
		}
		if (!sc_proc_parse(buf, &t, err, sizeof(err)))
			parsed++;
		sc_table_free(&t);
	}
	tap_ok(tp, 1, "20000 mutated and garbage inputs: no crash (%u parsed)", parsed);
}

/* Every state a connection can be in is a row's; the table's names. */
static void states(struct tap *tp)
{
	static const char * const names[] = {
		"SYN-SENT", "SYN-RECV", "ESTAB", "FIN-WAIT-1", "FIN-WAIT-2",
		"CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT",
	};
	char text[160], err[256];
	struct sc_table t;
	size_t i, n = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(text, sizeof(text), "# selfconn v1 rows=1\n" COLS
			 "inet 127.0.0.1:1 %s 0 1 -\n", names[i]);
		if (!parse(text, &t, err, sizeof(err)) && !strcmp(t.rows[0].state, names[i]))
			n++;
		else
			printf("# %s: %s\n", names[i], err);
		sc_table_free(&t);
	}
	tap_ok(tp, n == i, "good: a row in each of the %zu states of a connection", i);
	tap_ok(tp, !strcmp(sc_tcp_state_name(1), "ESTAB") &&
	       !strcmp(sc_tcp_state_name(7), "UNCONN") &&
	       !strcmp(sc_tcp_state_name(10), "LISTEN") &&
	       !strcmp(sc_tcp_state_name(12), "SYN-RECV") &&
	       !strcmp(sc_tcp_state_name(0), "UNKNOWN") &&
	       !strcmp(sc_tcp_state_name(13), "UNKNOWN") &&
	       !strcmp(sc_tcp_state_name(-1), "UNKNOWN"),
	       "state names by number, as ss prints them; UNKNOWN outside 1..12");
	tap_ok(tp, sc_tcp_state_by_name("SYN-RECV", 8) == 3 &&
	       sc_tcp_state_by_name("TIME-WAIT", 9) == 6 &&
	       sc_tcp_state_by_name("ESTABLISHED", 5) == 1 &&
	       sc_tcp_state_by_name("ESTA", 4) == -1 &&
	       sc_tcp_state_by_name("UNKNOWN", 7) == -1,
	       "state numbers by name, n bytes of it");
}

#define PLAN 48

int main(void)
{
	struct tap tp = { 0 };

	tap_plan(PLAN);
	good(&tp, GOOD, 3, "the README example");
	good(&tp, "# selfconn v1 rows=0\n" COLS, 0, "no rows, no other field");
	good(&tp, GOOD REPORT, 3, "rows, then a watched port's report");
	good(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:1 SYN-SENT 4294967295 1 -\n",
	     1, "port 1, largest uid");
	good(&tp, "# selfconn v2 rows=1 attempts=5 refused=2 future=x\n"
	     "# family address state uid inode timer_ms cgroup netns\n"
	     "inet 10.0.0.1:65535 FIN-WAIT-2 0 0 100 /sys.slice 4026531840\n",
	     1, "a later version: extra header fields and columns ignored");
	good(&tp, "# selfconn v1 rows=1 " "k1=1 k2=2 k3=3 k4=4 k5=5 k6=6 k7=7 k8=8 k9=9 "
	     "k10=1 k11=1 k12=1 k13=1 k14=1 k15=1 k16=1 k17=1 "
	     "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk=long\n" COLS ROW1,
	     1, "more header fields than kept, a key too long to keep");
	fields(&tp);
	bad(&tp, "", "empty", "empty input");
	bad(&tp, "# selfconn v1 rows=3", "no newline", "header without newline");
	bad(&tp, HDR, "truncated", "header only");
	bad(&tp, HDR COLS ROW1, "announces 3 rows, found 1", "two rows missing");
	bad(&tp, HDR COLS ROW1 "inet6 [::1]:18083 TIME", "no newline", "a row cut short");
	bad(&tp, HDR COLS ROW1 ROW2 ROW3 ROW1, "a row after", "a row more than rows=");
	bad(&tp, "# selfconn v1 attempts=0\n" COLS, "no rows=", "no rows= field");
	bad(&tp, "# selfconn v1 rows=x\n" COLS, "row count", "rows= not a number");
	bad(&tp, "# selfconn v1 rows=99999999999\n" COLS, "row count", "rows= too big");
	bad(&tp, "# selfconn v1 rows=0 junk\n" COLS, "key=value", "a header token without =");
	bad(&tp, "# selfconn v1 rows=0 =1\n" COLS, "key=value", "a header field without key");
	bad(&tp, "# selfconn vx rows=0\n" COLS, "version", "bad version");
	bad(&tp, "# selfconn v0 rows=0\n" COLS, "version", "version 0");
	bad(&tp, "# selfconn\n" COLS, "header", "no version");
	bad(&tp, "hello world\n", "header", "not the file at all");
	bad(&tp, "# selfconn v1 rows=0\n# address family\n", "column line", "wrong column line");
	bad(&tp, "# selfconn v1 rows=0\n# family address state uid inode timer_msX\n",
	    "column line", "column line with a longer last name");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet4 127.0.0.1:1 ESTAB 0 1 -\n",
	    "family", "unknown family");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet [::1]:1 ESTAB 0 1 -\n",
	    "address", "an IPv6 address on an inet row");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet6 ::1:1 ESTAB 0 1 -\n",
	    "address", "inet6 address without brackets");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:0 ESTAB 0 1 -\n",
	    "address", "port 0");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:65536 ESTAB 0 1 -\n",
	    "address", "port 65536");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1: ESTAB 0 1 -\n",
	    "address", "no port");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet6 []:1 ESTAB 0 1 -\n",
	    "address", "empty brackets");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:1 ESTABLISHED 0 1 -\n",
	    "state", "unknown state");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:1 LISTEN 0 1 -\n",
	    "state", "a listener's state");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:1 UNCONN 0 1 -\n",
	    "state", "a closed socket's state");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:1 ESTAB 4294967296 1 -\n",
	    "uid", "uid beyond 32 bits");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:1 ESTAB 0 -1 -\n",
	    "inode", "negative inode");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:1 TIME-WAIT 0 0 12x\n",
	    "timer_ms", "timer not a number");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet 127.0.0.1:1 ESTAB 0 1\n",
	    "5 fields", "a column missing");
	bad(&tp, "# selfconn v1 rows=1\n" COLS "inet  127.0.0.1:1 ESTAB 0 1 -\n",
	    "empty field", "two spaces");
	states(&tp);
	prefixes(&tp);
	fuzz(&tp);
	return tap_done(&tp, PLAN);
}
