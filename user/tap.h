/* SPDX-License-Identifier: GPL-2.0 */
/* Plain TAP for the host unit tests: "ok N - what" / "not ok N - what". */
#ifndef SELFCONN_TAP_H
#define SELFCONN_TAP_H

#include <stdarg.h>
#include <stdio.h>

struct tap {
	int n;
	int failed;
};

static inline void tap_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
}

__attribute__((format(printf, 3, 4)))
static inline int tap_ok(struct tap *t, int cond, const char *fmt, ...)
{
	va_list ap;

	t->n++;
	if (!cond)
		t->failed++;
	printf("%sok %d - ", cond ? "" : "not ", t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static inline int tap_done(const struct tap *t, int planned)
{
	if (t->n != planned)
		printf("# planned %d tests, ran %d\n", planned, t->n);
	return t->failed || t->n != planned;
}

#endif
