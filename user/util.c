// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the subcommands: errors, parsing, formatting. */
#define _DEFAULT_SOURCE	/* struct tcp_info */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "selfconn.h"

#define E(x) { x, #x }
static const struct {
	int err;
	const char *name;
} sc_errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(EBADF), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),
	E(EEXIST), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ENOSPC), E(ESPIPE), E(EROFS), E(EPIPE), E(ERANGE),
	E(ENOSYS), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
	E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),
	E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS),
};
#undef E

/* "ECONNREFUSED", or NULL for an errno not in the table. */
const char *sc_errname(int err)
{
	size_t i;

	for (i = 0; i < sizeof(sc_errnames) / sizeof(sc_errnames[0]); i++)
		if (sc_errnames[i].err == err)
			return sc_errnames[i].name;
	return NULL;
}

/* "selfconn connect: " or, for selfconn itself (cmd NULL), "selfconn: " */
static void print_prefix(const char *prog, const char *cmd)
{
	if (cmd)
		fprintf(stderr, "%s %s: ", prog, cmd);
	else
		fprintf(stderr, "%s: ", prog);
}

/* "selfconn connect: bind 127.0.0.1:18082: EADDRINUSE (Address in use)" */
void sc_err(const char *prog, const char *cmd, int err, const char *fmt, ...)
{
	va_list ap;

	print_prefix(prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err && sc_errname(err))
		fprintf(stderr, ": %s (%s)", sc_errname(err), strerror(err));
	else if (err)
		fprintf(stderr, ": errno %d (%s)", err, strerror(err));
	fputc('\n', stderr);
}

/* "selfconn connect: PORT missing", then "Try 'selfconn connect --help'." */
void sc_usage_err(const char *prog, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	print_prefix(prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s%s%s --help'.\n", prog, cmd ? " " : "", cmd ? cmd : "");
}

/* Plain decimal, no sign or space, 0..max. */
int sc_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (!*s)
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (max - (unsigned long)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*out = v;
	return 0;
}

int sc_parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (sc_parse_uint(s, 65535, &v) || v == 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * An IPv4 address, or an IPv6 one (anything with a ':', optionally in
 * brackets) including IPv4-mapped ::ffff:a.b.c.d, which stays AF_INET6.
 */
int sc_parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	memset(ss, 0, sizeof(*ss));
	if (!strchr(s, ':')) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, s, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (n >= sizeof(buf))
		return -1;
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -1;
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		memcpy(buf, s, n + 1);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return -1;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	*len = sizeof(*sin6);
	return 0;
}

/* As ss and /proc/selfconn write it: 127.0.0.1:80, [::1]:80 */
void sc_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

/* The address alone: 127.0.0.1, ::1 */
void sc_format_host(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = sa->sa_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)sa)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	if (!inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

const char *sc_family_name(int family)
{
	return family == AF_INET ? "inet" : family == AF_INET6 ? "inet6" : "?";
}

/* Read fd to EOF into a malloc'd NUL-terminated buffer: 0 or an errno. */
/*
 * Room for one more element of @size in *@v, which holds @n of *@cap: the
 * capacity doubles (from @first). 0, or -1 with *v unchanged.
 */
int sc_grow(void **v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t new_cap = *cap ? *cap * 2 : first;
	void *nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, new_cap * size);
	if (!nv)
		return -1;
	*v = nv;
	*cap = new_cap;
	return 0;
}

int sc_read_all(int fd, char **out)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap), *nb;
	ssize_t n;

	if (!buf)
		return ENOMEM;
	for (;;) {
		if (cap - len < 4096) {
			nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = errno;
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The TCP state of a socket (TCP_INFO), or -1. */
int sc_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ? -1 : ti.tcpi_state;
}

long long sc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep @seconds, through signals that interrupt nanosleep(). */
void sc_hold(unsigned long seconds)
{
	struct timespec ts = { .tv_sec = (time_t)seconds };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}
