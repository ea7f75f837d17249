// SPDX-License-Identifier: GPL-2.0
/*
 * The port report of /proc/selfconn: who occupies a TCP port.
 *
 * A report is "# port P", then lines "port P SECTION" followed by
 * positional fields and key=value fields (module/report.c). These tests
 * build known socket set-ups on a port and check every section against the
 * real sockets (inodes from fstat(), ports from getsockname()), and check
 * the verdict lines against what bind() and connect() really do right
 * after.
 *
 * Every test runs in a fresh network namespace with lo up, so the fixed
 * ports below are free, TIME-WAIT sockets of one test never show in
 * another, and ip_local_port_range (per namespace) can be set to "P P" to
 * make connect() autobind to P. The "port" tests run for IPv4 (127.0.0.1)
 * and IPv6 (::1) sockets; the verdicts always describe an IPv4
 * bind(0.0.0.0:P), as the module defines them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define PR_PROC		"/proc/selfconn"
#define PR_RANGE	"/proc/sys/net/ipv4/ip_local_port_range"
#define PR_RESERVED	"/proc/sys/net/ipv4/ip_local_reserved_ports"
#define PR_TIMEOUT	120	/* seconds per test: QEMU without KVM, KASAN */
#define PR_WAIT_MS	10000	/* how long closing handshakes may take */

#define PR_PORT		18084	/* the port under study */
#define PR_PORT2	18086
#define PR_PORT3	18088
#define PR_PORT4	18094
#define PR_PEER		18090	/* a set-up's listener elsewhere */
#define PR_PEER2	18098
#define PR_PROBE	18092	/* where the verdict check's connect() goes */
#define PR_SELF		18096	/* a self-connect, for a listing row */
#define PR_UID		4242
#define PR_NOBODY	65534

#define PR_MAXTOK	12	/* fields per line after the section */
#define PR_MAXPOS	5	/* positional fields a match can name */
#define PR_TOKLEN	64
#define PR_KEYLEN	24
#define PR_MAXREP	70	/* reports per read: 64 watched ports at most */

/* ---- parsing reports ---- */

struct pr_line {
	char section[PR_KEYLEN];
	int npos, nkv;
	char pos[PR_MAXTOK][PR_TOKLEN];		/* positional fields, in order */
	char key[PR_MAXTOK][PR_KEYLEN];		/* key=value fields, in order */
	char val[PR_MAXTOK][PR_TOKLEN];
	char text[256];				/* the line, for logs */
};

struct pr_report {
	int port;
	int n, cap;
	struct pr_line *lines;
};

/* One read of /proc/selfconn: the raw text and the reports in it. */
struct pr_file {
	char *text;
	size_t len;
	int nrep;
	struct pr_report rep[PR_MAXREP];
	char err[400];
};

static const char * const pr_sections[] = {
	"bhash", "bhash-owner", "bhash2", "bhash2-owner", "listener",
	"ehash-local", "ehash-remote", "verdict", "summary",
};

/* The last file read, dumped by the failure logs. */
static const struct pr_file *pr_shown;

static void pr_free(struct pr_file *f)
{
	int i;

	free(f->text);
	for (i = 0; i < f->nrep; i++)
		free(f->rep[i].lines);
	memset(f, 0, sizeof(*f));
}

/* A port as the module writes it: 1..65535, plain decimal; else -1. */
static int pr_number(const char *s)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	return v;
}

static bool pr_is_section(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(pr_sections) / sizeof(pr_sections[0]); i++)
		if (!strcmp(s, pr_sections[i]))
			return true;
	return false;
}

static const char *pr_kv(const struct pr_line *l, const char *key)
{
	int i;

	for (i = 0; i < l->nkv; i++)
		if (!strcmp(l->key[i], key))
			return l->val[i];
	return NULL;
}

static long pr_kv_num(const struct pr_line *l, const char *key)
{
	const char *v = pr_kv(l, key);

	return v ? strtol(v, NULL, 10) : -1;
}

static int pr_add_field(struct pr_line *l, const char *tok)
{
	const char *eq = strchr(tok, '=');

	if (eq && eq != tok) {
		if (l->nkv == PR_MAXTOK || eq - tok >= PR_KEYLEN ||
		    strlen(eq + 1) >= PR_TOKLEN)
			return -1;
		snprintf(l->key[l->nkv], PR_KEYLEN, "%.*s", (int)(eq - tok), tok);
		snprintf(l->val[l->nkv++], PR_TOKLEN, "%s", eq + 1);
		return 0;
	}
	if (l->npos == PR_MAXTOK || strlen(tok) >= PR_TOKLEN)
		return -1;
	snprintf(l->pos[l->npos++], PR_TOKLEN, "%s", tok);
	return 0;
}

/* "port P SECTION field ...", single spaces, P == port: NULL or why not. */
static const char *pr_split(char *s, int port, struct pr_line *l)
{
	char *tok, *save = NULL;
	int i = 0;

	memset(l, 0, sizeof(*l));
	snprintf(l->text, sizeof(l->text), "%s", s);
	if (!*s || *s == ' ' || s[strlen(s) - 1] == ' ' || strstr(s, "  "))
		return "empty field (stray space)";
	for (tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++) {
		if (i == 0 && strcmp(tok, "port"))
			return "does not start with 'port'";
		if (i == 1 && pr_number(tok) != port)
			return "port differs from its '# port' line";
		if (i == 2 && !pr_is_section(tok))
			return "unknown section";
		if (i == 2)
			snprintf(l->section, sizeof(l->section), "%s", tok);
		if (i > 2 && pr_add_field(l, tok))
			return "too many or too long fields";
	}
	return i < 3 ? "no section" : NULL;
}

static const char *pr_add_line(struct pr_report *r, char *s)
{
	if (r->n == r->cap) {
		struct pr_line *nl;

		r->cap = r->cap ? r->cap * 2 : 32;
		nl = realloc(r->lines, r->cap * sizeof(*nl));
		if (!nl)
			return "out of memory";
		r->lines = nl;
	}
	return pr_split(s, r->port, &r->lines[r->n++]);
}

static int pr_count_section(const struct pr_report *r, const char *section)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += !strcmp(r->lines[i].section, section);
	return n;
}

static const struct pr_line *pr_section(const struct pr_report *r, const char *section)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->lines[i].section, section))
			return &r->lines[i];
	return NULL;
}

static const struct pr_line *pr_verdict(const struct pr_report *r, const char *name)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->lines[i].section, "verdict") &&
		    r->lines[i].npos && !strcmp(r->lines[i].pos[0], name))
			return &r->lines[i];
	return NULL;
}

/* Starts with bhash, ends with the one summary, one line per verdict. */
static const char *pr_check_shape(const struct pr_report *r)
{
	static const char * const names[] = { "bind", "bind-reuseaddr", "connect-autobind" };
	int i, n;

	if (!r->n || strcmp(r->lines[0].section, "bhash"))
		return "first line is not bhash";
	if (strcmp(r->lines[r->n - 1].section, "summary") ||
	    pr_count_section(r, "summary") != 1 || pr_count_section(r, "bhash") != 1)
		return "not exactly one bhash line and one summary line, last";
	for (i = 0; i < 3; i++) {
		for (n = 0; n < r->n; n++)
			if (&r->lines[n] == pr_verdict(r, names[i]))
				break;
		if (n == r->n)
			return "a verdict line is missing";
	}
	return pr_count_section(r, "verdict") == 3 ? NULL : "not exactly 3 verdict lines";
}

/* Owners in TIME-WAIT (or a FIN-WAIT-2 timewait socket): via=-. */
static int pr_count_tw(const struct pr_report *r)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->lines[i].section, "bhash-owner") &&
		    pr_kv(&r->lines[i], "via") && !strcmp(pr_kv(&r->lines[i], "via"), "-"))
			n++;
	return n;
}

/* The summary and bhash counts agree with the lines. */
static const char *pr_check_counts(const struct pr_report *r)
{
	const struct pr_line *s = pr_section(r, "summary"), *b = pr_section(r, "bhash");
	int owners = pr_count_section(r, "bhash-owner");
	int buckets = pr_count_section(r, "bhash2");

	if (pr_section(r, "bhash2") && !strcmp(pr_section(r, "bhash2")->pos[0], "truncated"))
		buckets--;
	if (b->npos == 1 && !strcmp(b->pos[0], "none") ? owners != 0 :
	    pr_kv_num(b, "owners") != owners)
		return "bhash owners= differs from the bhash-owner lines";
	if (pr_kv_num(s, "bhash_owners") != owners ||
	    pr_kv_num(s, "bhash2_buckets") != buckets ||
	    pr_kv_num(s, "listeners") != pr_count_section(r, "listener") ||
	    pr_kv_num(s, "ehash_local") != pr_count_section(r, "ehash-local") ||
	    pr_kv_num(s, "ehash_remote") != pr_count_section(r, "ehash-remote") ||
	    pr_kv_num(s, "timewait") != pr_count_tw(r))
		return "summary counts differ from the lines";
	return NULL;
}

/* Each bhash2 bucket is followed by owners + timewait bhash2-owner lines. */
static const char *pr_check_bhash2(const struct pr_report *r)
{
	int i, j;

	for (i = 0; i < r->n; i++) {
		const struct pr_line *l = &r->lines[i];

		if (!strcmp(l->section, "bhash2-owner") &&
		    (!i || (strcmp(r->lines[i - 1].section, "bhash2") &&
			    strcmp(r->lines[i - 1].section, "bhash2-owner"))))
			return "bhash2-owner line outside a bhash2 bucket";
		if (strcmp(l->section, "bhash2") || !strcmp(l->pos[0], "truncated"))
			continue;
		for (j = i + 1; j < r->n && !strcmp(r->lines[j].section, "bhash2-owner"); j++)
			if (strcmp(r->lines[j].pos[1], l->pos[1]))
				return "bhash2-owner address differs from its bucket";
		if (pr_kv_num(l, "owners") + pr_kv_num(l, "timewait") != j - i - 1)
			return "bhash2 owners= + timewait= differ from its bhash2-owner lines";
	}
	return NULL;
}

/* A bind verdict that fails names a blocker that is a bhash owner. */
static const char *pr_check_blocker(const struct pr_report *r, const char *name)
{
	const struct pr_line *v = pr_verdict(r, name);
	const char *res = pr_kv(v, "result"), *ino = pr_kv(v, "inode");
	int i;

	if (!res || (strcmp(res, "ok") && strcmp(res, "EADDRINUSE")))
		return "bind verdict result is neither ok nor EADDRINUSE";
	if (!strcmp(res, "ok"))
		return v->npos == 1 && !ino ? NULL : "bind verdict ok with a blocker";
	if (v->npos != 5 || strcmp(v->pos[1], "blocker") || !ino)
		return "EADDRINUSE verdict without 'blocker FAMILY ADDR STATE inode=N'";
	for (i = 0; i < r->n; i++) {
		const struct pr_line *o = &r->lines[i];

		if (!strcmp(o->section, "bhash-owner") && !strcmp(o->pos[0], v->pos[2]) &&
		    !strcmp(o->pos[1], v->pos[3]) && !strcmp(o->pos[2], v->pos[4]) &&
		    pr_kv(o, "inode") && !strcmp(pr_kv(o, "inode"), ino))
			return NULL;
	}
	return "the blocker is not one of the bhash owners";
}

static const char *pr_check_connect(const struct pr_report *r)
{
	const struct pr_line *v = pr_verdict(r, "connect-autobind");
	const char *res = pr_kv(v, "result"), *why = pr_kv(v, "reason");

	if (!res || !why)
		return "connect-autobind without result= and reason=";
	if (!strcmp(res, "ok"))
		return !strcmp(why, "free") || !strcmp(why, "new-4-tuple-only") ? NULL :
			"connect-autobind ok with an unknown reason";
	if (!strcmp(res, "no"))
		return !strcmp(why, "outside-ip_local_port_range") ||
		       !strcmp(why, "ip_local_reserved_ports") ||
		       !strcmp(why, "bound-by-bind") ? NULL :
			"connect-autobind no with an unknown reason";
	return "connect-autobind result is neither ok nor no";
}

static const char *pr_check(const struct pr_report *r)
{
	const char *why;

	why = pr_check_shape(r);
	why = why ?: pr_check_counts(r);
	why = why ?: pr_check_bhash2(r);
	why = why ?: pr_check_blocker(r, "bind");
	why = why ?: pr_check_blocker(r, "bind-reuseaddr");
	return why ?: pr_check_connect(r);
}

static int pr_fail(struct pr_file *f, int lineno, const char *why, const char *line)
{
	snprintf(f->err, sizeof(f->err), "line %d: %s: '%.200s'", lineno, why, line);
	return -1;
}

/* The line last added to the last report (for errors). */
static const char *pr_last_line(const struct pr_file *f)
{
	const struct pr_report *r = &f->rep[f->nrep - 1];

	return r->n ? r->lines[r->n - 1].text : "";
}

/*
 * Split f->text into reports. Lines before the first "# port" (the
 * listing's header and rows) are not checked here; after it, every line
 * belongs to a report.
 */
static int pr_parse(struct pr_file *f)
{
	char *copy, *line, *nl;
	struct pr_report *cur = NULL;
	const char *why = NULL;
	int lineno = 0, i, ret = 0;

	if (strlen(f->text) != f->len)
		return pr_fail(f, 0, "NUL byte in the output", "");
	if (f->len && f->text[f->len - 1] != '\n')
		return pr_fail(f, 0, "output does not end with a newline", "");
	copy = strdup(f->text);
	if (!copy)
		return pr_fail(f, 0, "out of memory", "");
	for (line = copy; *line && !ret; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		lineno++;
		if (!strncmp(line, "# port ", 7)) {
			if (f->nrep == PR_MAXREP || pr_number(line + 7) < 0)
				ret = pr_fail(f, lineno, "bad '# port' line or too many", line);
			else
				f->rep[f->nrep++].port = pr_number(line + 7);
		} else if (cur || !strncmp(line, "port ", 5)) {
			if (!f->nrep)
				ret = pr_fail(f, lineno, "report line before '# port'", line);
			else if ((why = pr_add_line(&f->rep[f->nrep - 1], line)))
				ret = pr_fail(f, lineno, why, pr_last_line(f));
		}
		cur = f->nrep ? &f->rep[f->nrep - 1] : NULL;
	}
	free(copy);
	for (i = 0; i < f->nrep && !ret; i++)
		if ((why = pr_check(&f->rep[i])))
			ret = pr_fail(f, 0, why, "report of the port below");
	if (ret && why && i)
		snprintf(f->err + strlen(f->err), sizeof(f->err) - strlen(f->err),
			 " (port %d)", f->rep[i - 1].port);
	return ret;
}

static void pr_dump(struct __test_metadata *_metadata)
{
	const char *p = pr_shown ? pr_shown->text : NULL, *nl;

	if (!p)
		return;
	TH_LOG("%s as last read (%zu bytes):", PR_PROC, pr_shown->len);
	while (*p) {
		nl = strchrnul(p, '\n');
		TH_LOG("  | %.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* Read fd to EOF: 0 or -errno. */
static int pr_read_fd(int fd, char **out, size_t *outlen)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1), *nb;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
	}
	if (n < 0) {
		n = -errno;
		free(buf);
		return n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Read what fd gives from its current offset and parse it; asserts. */
static void pr_read_parse(struct __test_metadata *_metadata, int fd, struct pr_file *f)
{
	int ret;

	pr_free(f);
	ret = pr_read_fd(fd, &f->text, &f->len);
	ASSERT_EQ(0, ret) TH_LOG("read %s: %s", PR_PROC, strerror(-ret));
	pr_shown = f;
	ret = pr_parse(f);
	if (ret)
		pr_dump(_metadata);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", PR_PROC, f->err);
}

/*
 * The report of one port through a per-descriptor query: open read-write,
 * write the port, read from offset 0 (the write does not move it).
 */
static void pr_query(struct __test_metadata *_metadata, int port, struct pr_file *f)
{
	char cmd[16], head[16];
	int fd, n;

	fd = open(PR_PROC, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s read-write: %s", PR_PROC, strerror(errno));
	n = snprintf(cmd, sizeof(cmd), "%d\n", port);
	ASSERT_EQ(n, write(fd, cmd, n)) TH_LOG("query %d: %s", port, strerror(errno));
	pr_read_parse(_metadata, fd, f);
	close(fd);
	n = snprintf(head, sizeof(head), "# port %d\n", port);
	if (f->nrep != 1 || strncmp(f->text, head, n))
		pr_dump(_metadata);
	ASSERT_EQ(1, f->nrep) TH_LOG("a query gives one report, no header, no rows");
	ASSERT_EQ(0, strncmp(f->text, head, n));
}

/* A plain read of the whole file (listing, then the watched ports). */
static void pr_cat(struct __test_metadata *_metadata, struct pr_file *f)
{
	int fd = open(PR_PROC, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", PR_PROC, strerror(errno));
	pr_read_parse(_metadata, fd, f);
	close(fd);
	ASSERT_EQ(0, strncmp(f->text, "# selfconn v1", 13)) pr_dump(_metadata);
}

/* ---- finding lines ---- */

/* A line of `section` whose first positional fields are pos (NULL: any). */
struct pr_match {
	const char *section;
	const char *pos[PR_MAXPOS];
	const char *key, *val;		/* and key=val, if key */
};

#define PR_M(sec, ...) \
	(&(const struct pr_match){ .section = (sec), .pos = { __VA_ARGS__ } })
#define PR_MK(sec, k, v, ...) \
	(&(const struct pr_match){ .section = (sec), .key = (k), .val = (v), \
				   .pos = { __VA_ARGS__ } })

static bool pr_matches(const struct pr_line *l, const struct pr_match *m)
{
	const char *v;
	int i;

	if (strcmp(l->section, m->section))
		return false;
	for (i = 0; i < PR_MAXPOS; i++)
		if (m->pos[i] && (i >= l->npos || strcmp(l->pos[i], m->pos[i])))
			return false;
	v = m->key ? pr_kv(l, m->key) : NULL;
	return !m->key || (v && !strcmp(v, m->val));
}

static int pr_count(const struct pr_report *r, const struct pr_match *m)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += pr_matches(&r->lines[i], m);
	return n;
}

static void pr_mstr(const struct pr_match *m, char *buf, size_t len)
{
	int i, off = snprintf(buf, len, "%s", m->section);

	for (i = 0; i < PR_MAXPOS; i++)
		off += snprintf(buf + off, len - off, " %s", m->pos[i] ? m->pos[i] : "*");
	if (m->key)
		snprintf(buf + off, len - off, " %s=%s", m->key, m->val);
}

/* The one line matching m; asserts there is exactly one. */
static const struct pr_line *pr_one(struct __test_metadata *_metadata,
				    const struct pr_report *r, const struct pr_match *m)
{
	char what[256];
	int i, n = pr_count(r, m);

	if (n != 1) {
		pr_mstr(m, what, sizeof(what));
		TH_LOG("port %d: expected one line '%s', found %d", r->port, what, n);
		pr_dump(_metadata);
	}
	ASSERT_EQ(1, n);
	for (i = 0; !pr_matches(&r->lines[i], m); i++)
		;
	return &r->lines[i];
}

static void pr_none(struct __test_metadata *_metadata,
		    const struct pr_report *r, const struct pr_match *m)
{
	char what[256];
	int n = pr_count(r, m);

	if (n) {
		pr_mstr(m, what, sizeof(what));
		TH_LOG("port %d: expected no line '%s', found %d", r->port, what, n);
		pr_dump(_metadata);
	}
	ASSERT_EQ(0, n);
}

/* Every "key=value" of spec (space separated) is in l. */
static void pr_expect(struct __test_metadata *_metadata, const struct pr_line *l,
		      const char *spec)
{
	char buf[256], *tok, *save = NULL, *eq;
	const char *got;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		ASSERT_NE(NULL, eq);
		*eq = '\0';
		got = pr_kv(l, tok);
		if (!got || strcmp(got, eq + 1)) {
			TH_LOG("in '%s': expected %s=%s, got %s", l->text, tok, eq + 1,
			       got ? got : "no such field");
			pr_dump(_metadata);
		}
		ASSERT_STREQ(eq + 1, got ? got : "(missing)");
	}
}

/* The summary line, checked against "key=value ..." */
static void pr_expect_summary(struct __test_metadata *_metadata,
			      const struct pr_report *r, const char *spec)
{
	pr_expect(_metadata, pr_section(r, "summary"), spec);
}

/* ---- sockets ---- */

enum { PR_REUSEADDR = 1, PR_REUSEPORT = 2, PR_V6ONLY = 4 };

/* "127.0.0.1:P" or "[::1]:P", as the report writes addresses. */
static const char *pr_addr(int family, const char *addr, int port, char *buf)
{
	if (family == AF_INET)
		sprintf(buf, "%s:%d", addr, port);
	else
		sprintf(buf, "[%s]:%d", addr, port);
	return buf;
}

static int pr_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
		     ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* The socket's inode as the report prints it. */
static const char *pr_ino(int fd, char *buf)
{
	struct stat st;

	if (fstat(fd, &st))
		return strcpy(buf, "?");
	sprintf(buf, "%llu", (unsigned long long)st.st_ino);
	return buf;
}

/* A TCP socket with the options in flags, its inode owned by uid. */
static int pr_socket_as(struct __test_metadata *_metadata, int family, int flags, uid_t uid)
{
	int fd, one = 1, v6only = !!(flags & PR_V6ONLY);
	uid_t euid = geteuid();

	ASSERT_EQ(0, setresuid(-1, uid, -1));
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, setresuid(-1, euid, -1));
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	if (flags & PR_REUSEADDR)
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	if (flags & PR_REUSEPORT)
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	if (family == AF_INET6)
		ASSERT_EQ(0, setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)));
	return fd;
}

static int pr_socket(struct __test_metadata *_metadata, int family, int flags)
{
	return pr_socket_as(_metadata, family, flags, geteuid());
}

/* bind(): 0 or errno. */
static int pr_try_bind(int fd, int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sct_sockaddr(family, addr, port, &ss);

	return bind(fd, (struct sockaddr *)&ss, len) ? errno : 0;
}

/* connect(): 0 or errno. */
static int pr_try_connect(int fd, int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sct_sockaddr(family, addr, port, &ss);

	return connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
}

static int pr_bound(struct __test_metadata *_metadata, int family,
		    const char *addr, int port, int flags)
{
	int fd = pr_socket(_metadata, family, flags), err;

	err = pr_try_bind(fd, family, addr, port);
	ASSERT_EQ(0, err) TH_LOG("bind %s port %d: %s", addr, port, strerror(err));
	return fd;
}

static int pr_listener_as(struct __test_metadata *_metadata, int family,
			  const char *addr, int port, int flags, uid_t uid)
{
	int fd = pr_socket_as(_metadata, family, flags, uid), err;

	err = pr_try_bind(fd, family, addr, port);
	ASSERT_EQ(0, err) TH_LOG("bind %s port %d: %s", addr, port, strerror(err));
	ASSERT_EQ(0, listen(fd, 16)) TH_LOG("listen: %s", strerror(errno));
	return fd;
}

static int pr_listener(struct __test_metadata *_metadata, int family,
		       const char *addr, int port, int flags)
{
	return pr_listener_as(_metadata, family, addr, port, flags, geteuid());
}

/* A socket connected to addr:port without bind(): the kernel picks its port. */
static int pr_connected(struct __test_metadata *_metadata, int family,
			const char *addr, int port, int flags)
{
	int fd = pr_socket(_metadata, family, flags), err;

	err = pr_try_connect(fd, family, addr, port);
	ASSERT_EQ(0, err) TH_LOG("connect to %s port %d: %s", addr, port, strerror(err));
	return fd;
}

/* accept() with a timeout; the peer must be the client whose port is cport. */
static int pr_accept(struct __test_metadata *_metadata, int lfd, int cport)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd, pport;

	ASSERT_EQ(1, poll(&p, 1, PR_WAIT_MS)) TH_LOG("nothing to accept");
	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	pport = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
		      ((struct sockaddr_in6 *)&ss)->sin6_port);
	ASSERT_EQ(cport, pport) TH_LOG("accepted a connection from another client");
	return fd;
}

/* Wait until the peer's FIN arrived: read() gives 0. */
static void pr_wait_eof(struct __test_metadata *_metadata, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	ASSERT_EQ(1, poll(&p, 1, PR_WAIT_MS)) TH_LOG("no FIN from the peer");
	ASSERT_EQ(0, read(fd, &c, 1));
}

/*
 * An orderly close of a connection, `first` closing first: `first` ends in
 * TIME-WAIT, the other end is gone once its LAST-ACK is answered.
 */
static void pr_close_pair(struct __test_metadata *_metadata, int first, int second)
{
	ASSERT_EQ(0, close(first));
	pr_wait_eof(_metadata, second);
	ASSERT_EQ(0, close(second));
}

/* close() with an RST: no TIME-WAIT, the port is released at once. */
static void pr_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void pr_sysctl(struct __test_metadata *_metadata, const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ((ssize_t)strlen(val), write(fd, val, strlen(val)))
		TH_LOG("write '%s' to %s: %s", val, path, strerror(errno));
	close(fd);
}

/* ip_local_port_range of this namespace: "lo hi". */
static void pr_set_range(struct __test_metadata *_metadata, int lo, int hi)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d %d\n", lo, hi);
	pr_sysctl(_metadata, PR_RANGE, buf);
}

/* States a connection passes through while it closes. */
static bool pr_transient(const struct pr_report *r)
{
	static const char * const states[] = {
		"SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
		"CLOSE-WAIT", "LAST-ACK", "CLOSING",
	};
	int i, j, k;

	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->lines[i].npos; j++)
			for (k = 0; k < 7; k++)
				if (!strcmp(r->lines[i].pos[j], states[k]))
					return true;
	return false;
}

/* Query port until no connection on it is half-closed; f holds the last. */
static void pr_query_settled(struct __test_metadata *_metadata, int port, struct pr_file *f)
{
	int waited;

	for (waited = 0; waited < PR_WAIT_MS; waited += 20) {
		pr_query(_metadata, port, f);
		if (!pr_transient(&f->rep[0]))
			return;
		usleep(20000);
	}
	pr_dump(_metadata);
	ASSERT_FALSE(pr_transient(&f->rep[0])) TH_LOG("connections on %d did not settle", port);
}

/* ---- watched ports ---- */

/* Write cmd (len bytes) on a fresh descriptor opened with flags: 0 or errno. */
static int pr_write(struct __test_metadata *_metadata, int flags, const char *cmd, size_t len)
{
	int fd = open(PR_PROC, flags | O_CLOEXEC), err = 0;

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", PR_PROC, strerror(errno));
	if (write(fd, cmd, len) != (ssize_t)len)
		err = errno;
	close(fd);
	return err;
}

static int pr_watch(struct __test_metadata *_metadata, const char *cmd)
{
	return pr_write(_metadata, O_WRONLY, cmd, strlen(cmd));
}

/* A plain read shows exactly the reports of ports[0..n-1], in that order. */
static void pr_expect_watched(struct __test_metadata *_metadata, const int *ports, int n)
{
	struct pr_file f = {};
	bool same;
	int i;

	pr_cat(_metadata, &f);
	same = f.nrep == n;
	for (i = 0; same && i < n; i++)
		same = f.rep[i].port == ports[i];
	if (!same) {
		TH_LOG("expected %d watched port report(s), first %d; read %d", n,
		       n ? ports[0] : 0, f.nrep);
		pr_dump(_metadata);
	}
	ASSERT_TRUE(same);
	pr_free(&f);
}

/* ---- namespaces ---- */

/* Why this test cannot run here, or NULL. */
static const char *pr_cannot_run(void)
{
	int fd;

	if (geteuid())
		return "needs root (network namespaces, setuid)";
	if (access(PR_PROC, F_OK))
		return NULL;	/* the test then fails: load selfconn.ko */
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return "no IPv6 in this kernel";
	close(fd);
	return NULL;
}

static void pr_setup(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, access(PR_PROC, F_OK)) TH_LOG("%s missing: load selfconn.ko first", PR_PROC);
	ASSERT_EQ(0, sct_new_netns()) TH_LOG("new netns: %s", strerror(errno));
}

/* Per address family: the tests' sockets use addr, any is the wildcard. */
FIXTURE(port) {
	bool skipped;
};

FIXTURE_VARIANT(port) {
	int family;
	const char *fam;	/* as the report names it */
	const char *addr;	/* loopback */
	const char *any;
	const char *v6only;	/* of a socket bound to addr */
};

FIXTURE_VARIANT_ADD(port, ipv4) {
	.family = AF_INET,
	.fam = "inet",
	.addr = "127.0.0.1",
	.any = "0.0.0.0",
	.v6only = "v6only=0",
};

/* bind() to a specific IPv6 address sets IPV6_V6ONLY (__inet6_bind()) */
FIXTURE_VARIANT_ADD(port, ipv6) {
	.family = AF_INET6,
	.fam = "inet6",
	.addr = "::1",
	.any = "::",
	.v6only = "v6only=1",
};

FIXTURE_SETUP(port)
{
	const char *why = pr_cannot_run();

	if (why) {
		self->skipped = true;
		SKIP(return, "%s", why);
	}
	pr_setup(_metadata);
}

FIXTURE_TEARDOWN(port)
{
}

/* Tests that mix families or do not depend on one. */
FIXTURE(ns) {
	bool skipped;
};

FIXTURE_SETUP(ns)
{
	const char *why = pr_cannot_run();

	if (why) {
		self->skipped = true;
		SKIP(return, "%s", why);
	}
	pr_setup(_metadata);
}

FIXTURE_TEARDOWN(ns)
{
}

/*
 * The verdict set-ups: sockets bind() to `bind` and connect() to `addr`.
 * On ipv6 they are bound to ::1, which makes them IPV6_V6ONLY, so they
 * never block an IPv4 bind(); on ipv6_any they are bound to [::] without
 * IPV6_V6ONLY and block it like IPv4 ones.
 */
FIXTURE(verdict) {
	bool skipped;
};

FIXTURE_VARIANT(verdict) {
	int family;
	const char *fam;
	const char *addr;
	const char *bind;
	bool bind_v6only;
};

FIXTURE_VARIANT_ADD(verdict, ipv4) {
	.family = AF_INET,
	.fam = "inet",
	.addr = "127.0.0.1",
	.bind = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(verdict, ipv6) {
	.family = AF_INET6,
	.fam = "inet6",
	.addr = "::1",
	.bind = "::1",
	.bind_v6only = true,
};

FIXTURE_VARIANT_ADD(verdict, ipv6_any) {
	.family = AF_INET6,
	.fam = "inet6",
	.addr = "::1",
	.bind = "::",
};

FIXTURE_SETUP(verdict)
{
	const char *why = pr_cannot_run();

	if (why) {
		self->skipped = true;
		SKIP(return, "%s", why);
	}
	pr_setup(_metadata);
}

FIXTURE_TEARDOWN(verdict)
{
}

/* A setup SKIP does not stop the 6.1 harness from running the test body. */
#define PR_BEGIN() do { if (self->skipped) return; } while (0)

/* ---- sections ---- */

/*
 * A listener on P (made as uid PR_UID) with: a connection closed by the
 * server first (server-side TIME-WAIT on P), one closed by the client first
 * (client-side TIME-WAIT, remote port P), one accepted and open, one still
 * in the accept queue. Every socket shows in its sections, with its state,
 * inode, uid and how it got P.
 */
TEST_F_TIMEOUT(port, listener_accept_timewait, PR_TIMEOUT)
{
	char la[64], ca[4][64], ino_l[24], ino_a[24], ino_c[4][24];
	const struct pr_report *r;
	const struct pr_line *l;
	struct pr_file f = {};
	int lfd, c[4], a[3], i;
	const char *fam = variant->fam;

	PR_BEGIN();
	lfd = pr_listener_as(_metadata, variant->family, variant->addr, PR_PORT,
			     PR_REUSEADDR, PR_UID);
	for (i = 0; i < 4; i++) {
		c[i] = pr_connected(_metadata, variant->family, variant->addr, PR_PORT, 0);
		pr_addr(variant->family, variant->addr, pr_local_port(c[i]), ca[i]);
		pr_ino(c[i], ino_c[i]);
	}
	for (i = 0; i < 3; i++)
		a[i] = pr_accept(_metadata, lfd, pr_local_port(c[i]));
	pr_close_pair(_metadata, a[0], c[0]);	/* TIME-WAIT on P */
	pr_close_pair(_metadata, c[1], a[1]);	/* TIME-WAIT towards P */
	pr_addr(variant->family, variant->addr, PR_PORT, la);
	pr_ino(lfd, ino_l);
	pr_ino(a[2], ino_a);

	pr_query_settled(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=0 fastreuseport=0 owners=4");

	l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino_l, fam, la, "LISTEN"));
	pr_expect(_metadata, l, "reuseaddr=1 reuseport=0 uid=4242 via=bind");
	pr_expect(_metadata, l, variant->v6only);
	l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino_a, fam, la, "ESTAB"));
	/* accept() grafts the socket to the acceptor's (root's) inode */
	pr_expect(_metadata, l, "reuseaddr=1 reuseport=0 uid=0 via=accept");
	pr_expect(_metadata, l, variant->v6only);
	l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", "0", fam, la, "ESTAB"));
	/* not accepted yet: no file, so uid 0 as in /proc/net/tcp (sock_i_uid()) */
	pr_expect(_metadata, l, "reuseaddr=1 uid=0 via=accept");
	l = pr_one(_metadata, r, PR_M("bhash-owner", fam, la, "TIME-WAIT"));
	pr_expect(_metadata, l, "inode=0 uid=0 via=-");

	pr_expect(_metadata, pr_one(_metadata, r, PR_M("bhash2", fam, la)),
		  "owners=3 timewait=1");
	pr_one(_metadata, r, PR_MK("bhash2-owner", "inode", ino_l, fam, la, "LISTEN"));
	pr_one(_metadata, r, PR_MK("bhash2-owner", "inode", ino_a, fam, la, "ESTAB"));
	pr_one(_metadata, r, PR_MK("bhash2-owner", "inode", "0", fam, la, "ESTAB"));
	pr_one(_metadata, r, PR_MK("bhash2-owner", "inode", "0", fam, la, "TIME-WAIT"));

	l = pr_one(_metadata, r, PR_M("listener", fam, la, "LISTEN"));
	pr_expect(_metadata, l, "backlog=16 accept_queue=1 syn_recv=0");
	ASSERT_STREQ(ino_l, pr_kv(l, "inode"));

	pr_one(_metadata, r, PR_MK("ehash-local", "inode", "0", fam, la, ca[0], "TIME-WAIT"));
	pr_one(_metadata, r, PR_MK("ehash-local", "inode", ino_a, fam, la, ca[2], "ESTAB"));
	pr_one(_metadata, r, PR_MK("ehash-local", "inode", "0", fam, la, ca[3], "ESTAB"));
	pr_one(_metadata, r, PR_MK("ehash-remote", "inode", "0", fam, ca[1], la, "TIME-WAIT"));
	pr_one(_metadata, r, PR_MK("ehash-remote", "inode", ino_c[2], fam, ca[2], la, "ESTAB"));
	pr_one(_metadata, r, PR_MK("ehash-remote", "inode", ino_c[3], fam, ca[3], la, "ESTAB"));
	pr_none(_metadata, r, PR_M("ehash-remote", fam, ca[0]));

	pr_expect_summary(_metadata, r, "bhash_owners=4 bhash2_buckets=1 listeners=1 "
			  "ehash_local=3 ehash_remote=3 timewait=1");
	pr_free(&f);
}

/*
 * How a socket got its port: connect() without bind() (two of them share
 * P, to different peers), bind() with the port, bind() with port 0, and
 * listen() without bind(). The kernel picks from ip_local_port_range, set
 * to the one port each time.
 */
TEST_F_TIMEOUT(port, via_connect_bind_bind0_listen, PR_TIMEOUT)
{
	char a[64], peer[64], peer2[64], any[64], ino[4][24];
	int fam = variant->family, p1, p2, c1, c2, cb, cz, cl, err;
	const char *addr = variant->addr;
	const struct pr_report *r;
	const struct pr_line *l;
	struct pr_file f = {};

	PR_BEGIN();
	p1 = pr_listener(_metadata, fam, addr, PR_PEER, PR_REUSEADDR);
	p2 = pr_listener(_metadata, fam, addr, PR_PEER2, PR_REUSEADDR);
	pr_set_range(_metadata, PR_PORT, PR_PORT);
	c1 = pr_connected(_metadata, fam, addr, PR_PEER, 0);
	c2 = pr_connected(_metadata, fam, addr, PR_PEER2, 0);
	ASSERT_EQ(PR_PORT, pr_local_port(c1));
	ASSERT_EQ(PR_PORT, pr_local_port(c2));

	cb = pr_bound(_metadata, fam, addr, PR_PORT2, 0);
	err = pr_try_connect(cb, fam, addr, PR_PEER);
	ASSERT_EQ(0, err) TH_LOG("connect: %s", strerror(err));

	pr_set_range(_metadata, PR_PORT3, PR_PORT3);
	cz = pr_bound(_metadata, fam, addr, 0, 0);
	ASSERT_EQ(PR_PORT3, pr_local_port(cz));

	pr_set_range(_metadata, PR_PORT4, PR_PORT4);
	cl = pr_socket(_metadata, fam, 0);
	ASSERT_EQ(0, listen(cl, 4));
	ASSERT_EQ(PR_PORT4, pr_local_port(cl));

	/* connect(): a bucket made by connect(), fastreuse -1 */
	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_addr(fam, addr, PR_PORT, a);
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=-1 fastreuseport=-1 owners=2");
	pr_ino(c1, ino[0]);
	pr_ino(c2, ino[1]);
	l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino[0], variant->fam, a, "ESTAB"));
	pr_expect(_metadata, l, "reuseaddr=0 reuseport=0 via=connect");
	l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino[1], variant->fam, a, "ESTAB"));
	pr_expect(_metadata, l, "via=connect");
	pr_one(_metadata, r, PR_MK("ehash-local", "inode", ino[0], variant->fam, a,
			 pr_addr(fam, addr, PR_PEER, peer), "ESTAB"));
	pr_one(_metadata, r, PR_MK("ehash-local", "inode", ino[1], variant->fam, a,
			 pr_addr(fam, addr, PR_PEER2, peer2), "ESTAB"));
	/* the range is now PR_PORT4 only */
	pr_expect(_metadata, pr_verdict(r, "connect-autobind"),
		  "result=no reason=outside-ip_local_port_range");
	pr_expect_summary(_metadata, r, "bhash_owners=2 listeners=0 ehash_local=2 timewait=0");

	/* bind() with the port, then connect() */
	pr_query(_metadata, PR_PORT2, &f);
	r = &f.rep[0];
	pr_addr(fam, addr, PR_PORT2, a);
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=0 fastreuseport=0 owners=1");
	l = pr_one(_metadata, r, PR_M("bhash-owner", variant->fam, a, "ESTAB"));
	pr_expect(_metadata, l, "via=bind");
	ASSERT_STREQ(pr_ino(cb, ino[2]), pr_kv(l, "inode"));

	/* bind() with port 0: the kernel chose P at bind time */
	pr_query(_metadata, PR_PORT3, &f);
	r = &f.rep[0];
	pr_addr(fam, addr, PR_PORT3, a);
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=0 fastreuseport=0 owners=1");
	l = pr_one(_metadata, r, PR_M("bhash-owner", variant->fam, a, "UNCONN"));
	pr_expect(_metadata, l, "via=bind0");
	ASSERT_STREQ(pr_ino(cz, ino[3]), pr_kv(l, "inode"));
	pr_expect_summary(_metadata, r, "bhash_owners=1 listeners=0 ehash_local=0");

	/* listen() without bind(): the wildcard address */
	pr_query(_metadata, PR_PORT4, &f);
	r = &f.rep[0];
	pr_addr(fam, variant->any, PR_PORT4, any);
	l = pr_one(_metadata, r, PR_M("bhash-owner", variant->fam, any, "LISTEN"));
	pr_expect(_metadata, l, "via=listen");
	ASSERT_STREQ(pr_ino(cl, ino[3]), pr_kv(l, "inode"));
	pr_one(_metadata, r, PR_MK("listener", "inode", ino[3], variant->fam, any, "LISTEN"));
	pr_expect(_metadata, pr_verdict(r, "connect-autobind"), "result=no reason=bound-by-bind");
	pr_free(&f);
	close(p1);
	close(p2);
}

/* Two SO_REUSEADDR sockets on one address: fastreuse 1 until one listens. */
TEST_F_TIMEOUT(port, reuseaddr_group, PR_TIMEOUT)
{
	int fam = variant->family, s[2], plain, err, i;
	char a[64], ino[2][24];
	const struct pr_report *r;
	const struct pr_line *l;
	struct pr_file f = {};

	PR_BEGIN();
	pr_addr(fam, variant->addr, PR_PORT, a);
	for (i = 0; i < 2; i++) {
		s[i] = pr_bound(_metadata, fam, variant->addr, PR_PORT, PR_REUSEADDR);
		pr_ino(s[i], ino[i]);
	}
	plain = pr_socket(_metadata, fam, 0);
	err = pr_try_bind(plain, fam, variant->addr, PR_PORT);
	ASSERT_EQ(EADDRINUSE, err) TH_LOG("a plain bind() next to SO_REUSEADDR ones: %s",
					  strerror(err));

	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=1 fastreuseport=0 owners=2");
	for (i = 0; i < 2; i++) {
		l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino[i],
					       variant->fam, a, "UNCONN"));
		pr_expect(_metadata, l, "reuseaddr=1 reuseport=0 via=bind");
		pr_expect(_metadata, l, variant->v6only);
	}
	pr_expect(_metadata, pr_one(_metadata, r, PR_M("bhash2", variant->fam, a)),
		  "owners=2 timewait=0");
	pr_expect_summary(_metadata, r, "bhash_owners=2 bhash2_buckets=1 listeners=0 "
			  "ehash_local=0 ehash_remote=0 timewait=0");

	ASSERT_EQ(0, listen(s[0], 8)) TH_LOG("listen: %s", strerror(errno));
	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=0 fastreuseport=0 owners=2");
	pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino[0], variant->fam, a, "LISTEN"));
	pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino[1], variant->fam, a, "UNCONN"));
	pr_one(_metadata, r, PR_MK("listener", "inode", ino[0], variant->fam, a, "LISTEN"));
	pr_free(&f);
}

/* An SO_REUSEPORT group of listeners: fastreuseport, one uid only. */
TEST_F_TIMEOUT(port, reuseport_group, PR_TIMEOUT)
{
	int fam = variant->family, s[2], other, err, i;
	char a[64], ino[2][24];
	const struct pr_report *r;
	const struct pr_line *l;
	struct pr_file f = {};

	PR_BEGIN();
	pr_addr(fam, variant->addr, PR_PORT, a);
	for (i = 0; i < 2; i++) {
		s[i] = pr_listener(_metadata, fam, variant->addr, PR_PORT, PR_REUSEPORT);
		pr_ino(s[i], ino[i]);
	}
	/* SO_REUSEPORT groups are per uid */
	other = pr_socket_as(_metadata, fam, PR_REUSEPORT, PR_UID);
	err = pr_try_bind(other, fam, variant->addr, PR_PORT);
	ASSERT_EQ(EADDRINUSE, err) TH_LOG("SO_REUSEPORT bind() by another uid: %s",
					  strerror(err));

	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=0 fastreuseport=1 owners=2");
	for (i = 0; i < 2; i++) {
		l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino[i],
					       variant->fam, a, "LISTEN"));
		pr_expect(_metadata, l, "reuseaddr=0 reuseport=1 uid=0 via=bind");
		pr_one(_metadata, r, PR_MK("listener", "inode", ino[i], variant->fam, a, "LISTEN"));
	}
	pr_expect(_metadata, pr_one(_metadata, r, PR_M("bhash2", variant->fam, a)),
		  "owners=2 timewait=0");
	pr_expect_summary(_metadata, r, "bhash_owners=2 bhash2_buckets=1 listeners=2");
	pr_free(&f);
}

/* A self-connected socket is both a local and a remote entry of its port. */
TEST_F_TIMEOUT(port, self_connect, PR_TIMEOUT)
{
	int fam = variant->family, fd, err;
	const struct pr_report *r;
	struct pr_file f = {};
	char a[64], ino[24];

	PR_BEGIN();
	fd = pr_bound(_metadata, fam, variant->addr, PR_PORT, 0);
	err = pr_try_connect(fd, fam, variant->addr, PR_PORT);
	ASSERT_EQ(0, err) TH_LOG("self-connect: %s", strerror(err));
	pr_addr(fam, variant->addr, PR_PORT, a);
	pr_ino(fd, ino);

	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_expect(_metadata, pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ino,
							variant->fam, a, "ESTAB")), "via=bind");
	pr_one(_metadata, r, PR_MK("ehash-local", "inode", ino, variant->fam, a, a, "ESTAB"));
	pr_one(_metadata, r, PR_MK("ehash-remote", "inode", ino, variant->fam, a, a, "ESTAB"));
	pr_expect_summary(_metadata, r, "bhash_owners=1 listeners=0 ehash_local=1 ehash_remote=1");
	pr_free(&f);
}

/* Every inode a report names, local or remote side. */
static bool pr_names_inode(const struct pr_report *r, const char *ino)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (pr_kv(&r->lines[i], "inode") && !strcmp(pr_kv(&r->lines[i], "inode"), ino))
			return true;
	return false;
}

/*
 * Two namespaces on the same port. A: a SO_REUSEADDR listener, an open
 * connection and a server-side TIME-WAIT. B: a SO_REUSEPORT listener and an
 * open connection. Each sees only its own sockets in every section, through
 * a query and through its watched ports, and watching in one namespace
 * does not change the other's.
 */
TEST_F_TIMEOUT(port, two_namespaces, PR_TIMEOUT)
{
	int fam = variant->family, lA, cA, aA, cT, aT, lB, cB, aB, nsA, procA, procB;
	char inoA[3][24], inoB[3][24];
	const struct pr_report *r;
	struct pr_file f = {};
	int i;

	PR_BEGIN();
	lA = pr_listener(_metadata, fam, variant->addr, PR_PORT, PR_REUSEADDR);
	cA = pr_connected(_metadata, fam, variant->addr, PR_PORT, 0);
	aA = pr_accept(_metadata, lA, pr_local_port(cA));
	cT = pr_connected(_metadata, fam, variant->addr, PR_PORT, 0);
	aT = pr_accept(_metadata, lA, pr_local_port(cT));
	pr_close_pair(_metadata, aT, cT);
	pr_ino(lA, inoA[0]);
	pr_ino(aA, inoA[1]);
	pr_ino(cA, inoA[2]);
	procA = open(PR_PROC, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, procA);

	nsA = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nsA);
	ASSERT_EQ(0, sct_new_netns());
	lB = pr_listener(_metadata, fam, variant->addr, PR_PORT, PR_REUSEPORT);
	cB = pr_connected(_metadata, fam, variant->addr, PR_PORT, 0);
	aB = pr_accept(_metadata, lB, pr_local_port(cB));
	pr_ino(lB, inoB[0]);
	pr_ino(aB, inoB[1]);
	pr_ino(cB, inoB[2]);
	procB = open(PR_PROC, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, procB);

	/* in B */
	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(pr_names_inode(r, inoB[i])) pr_dump(_metadata);
		ASSERT_FALSE(pr_names_inode(r, inoA[i])) pr_dump(_metadata);
	}
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=0 fastreuseport=1 owners=2");
	pr_expect_summary(_metadata, r, "bhash_owners=2 bhash2_buckets=1 listeners=1 "
			  "ehash_local=1 ehash_remote=1 timewait=0");
	pr_none(_metadata, r, PR_M("bhash-owner", NULL, NULL, "TIME-WAIT"));

	/* back in A, B's sockets still open */
	ASSERT_EQ(0, setns(nsA, CLONE_NEWNET)) TH_LOG("setns: %s", strerror(errno));
	pr_query_settled(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(pr_names_inode(r, inoA[i])) pr_dump(_metadata);
		ASSERT_FALSE(pr_names_inode(r, inoB[i])) pr_dump(_metadata);
	}
	pr_expect(_metadata, pr_section(r, "bhash"), "fastreuse=0 fastreuseport=0 owners=3");
	pr_expect_summary(_metadata, r, "bhash_owners=3 bhash2_buckets=1 listeners=1 "
			  "ehash_local=2 ehash_remote=1 timewait=1");

	/* watched ports: each descriptor writes to its opener's namespace */
	ASSERT_EQ(6, write(procA, "18084\n", 6));
	ASSERT_EQ(6, write(procB, "18086\n", 6));
	ASSERT_EQ(5, write(procB, "18084", 5));
	pr_expect_watched(_metadata, (const int[]){ PR_PORT }, 1);
	ASSERT_EQ(6, write(procB, "clear\n", 6));
	pr_expect_watched(_metadata, (const int[]){ PR_PORT }, 1);
	pr_cat(_metadata, &f);
	for (i = 0; i < 3; i++)
		ASSERT_FALSE(pr_names_inode(&f.rep[0], inoB[i])) pr_dump(_metadata);
	pr_free(&f);
	close(procA);
	close(procB);
	close(nsA);
}

/* ---- verdicts against the real syscalls ---- */

struct pr_want {
	const char *bind;	/* plain bind(0.0.0.0:P): "ok" or "EADDRINUSE" */
	const char *reuse;	/* the same with SO_REUSEADDR */
	const char *connect;	/* connect() autobind to P: "ok" or "no" */
	const char *reason;	/* connect-autobind reason= */
};

static const char *pr_errname(int err)
{
	switch (err) {
	case 0: return "ok";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EINVAL: return "EINVAL";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return strerror(err);
	}
}

/* bind(0.0.0.0:port) of a fresh IPv4 socket: 0 or errno; released at once. */
static int pr_try_bind_any(struct __test_metadata *_metadata, int port, int flags)
{
	int fd = pr_socket(_metadata, AF_INET, flags), err;

	err = pr_try_bind(fd, AF_INET, "0.0.0.0", port);
	close(fd);
	return err;
}

/*
 * connect() without bind() to addr:PR_PROBE: 0 or errno. It may only get
 * PR_PORT (ip_local_port_range is "P P"). The abortive close leaves no
 * TIME-WAIT, so the port is as it was before.
 */
static int pr_try_autobind(struct __test_metadata *_metadata, int family, const char *addr)
{
	int fd = pr_socket(_metadata, family, 0), err, lport;

	err = pr_try_connect(fd, family, addr, PR_PROBE);
	lport = pr_local_port(fd);
	pr_abort(fd);
	if (!err)
		ASSERT_EQ(PR_PORT, lport) TH_LOG("connect() outside ip_local_port_range");
	return err;
}

/* A verdict line against the errno of the real syscall. */
static void pr_agree(struct __test_metadata *_metadata, const struct pr_line *v,
		     const char *syscall, int err)
{
	const char *res = pr_kv(v, "result");
	bool same;

	if (!strcmp(v->pos[0], "connect-autobind"))
		same = !strcmp(res, "ok") ? err == 0 : err == EADDRNOTAVAIL;
	else
		same = !strcmp(res, pr_errname(err));
	if (!same) {
		TH_LOG("MODULE DISAGREES WITH THE KERNEL in set-up %s: verdict '%s', "
		       "but the real %s gave %s", _metadata->name, v->text, syscall,
		       pr_errname(err));
		pr_dump(_metadata);
	}
	EXPECT_TRUE(same);
}

/*
 * Read the verdicts of PR_PORT through a query, then do what they predict:
 * connect() autobind (first: a successful bind() may change the bucket's
 * fastreuseport, which connect() looks at), bind(0.0.0.0:P) plain and with
 * SO_REUSEADDR. Each verdict must match its syscall; the outcomes must also
 * be the ones the set-up was built for (w), so no check is vacuous.
 */
static void pr_verdicts(struct __test_metadata *_metadata, int family, const char *addr,
			const struct pr_want *w)
{
	const struct pr_line *vb, *vr, *vc;
	struct pr_file f = {};
	int probe, eb, er, ec;

	probe = pr_listener(_metadata, family, addr, PR_PROBE, PR_REUSEADDR);
	pr_set_range(_metadata, PR_PORT, PR_PORT);
	pr_query_settled(_metadata, PR_PORT, &f);
	vb = pr_verdict(&f.rep[0], "bind");
	vr = pr_verdict(&f.rep[0], "bind-reuseaddr");
	vc = pr_verdict(&f.rep[0], "connect-autobind");

	ec = pr_try_autobind(_metadata, family, addr);
	eb = pr_try_bind_any(_metadata, PR_PORT, 0);
	er = pr_try_bind_any(_metadata, PR_PORT, PR_REUSEADDR);

	pr_agree(_metadata, vb, "bind(0.0.0.0:P)", eb);
	pr_agree(_metadata, vr, "bind(0.0.0.0:P) with SO_REUSEADDR", er);
	pr_agree(_metadata, vc, "connect() autobind with ip_local_port_range P P", ec);
	ASSERT_TRUE(_metadata->passed);

	if (strcmp(w->bind, pr_errname(eb)) || strcmp(w->reuse, pr_errname(er)) ||
	    strcmp(w->connect, ec ? "no" : "ok") || strcmp(w->reason, pr_kv(vc, "reason"))) {
		TH_LOG("set-up %s is not what the test meant: wanted bind %s, "
		       "reuseaddr %s, connect %s (%s); got %s, %s, %s (%s)", _metadata->name,
		       w->bind, w->reuse, w->connect, w->reason, pr_errname(eb),
		       pr_errname(er), pr_errname(ec), pr_kv(vc, "reason"));
		pr_dump(_metadata);
	}
	ASSERT_STREQ(w->bind, pr_errname(eb));
	ASSERT_STREQ(w->reuse, pr_errname(er));
	ASSERT_STREQ(w->connect, ec ? "no" : "ok");
	ASSERT_STREQ(w->reason, pr_kv(vc, "reason"));
	pr_free(&f);
	close(probe);
}

/*
 * want: what the set-up is built to give. by_bind: every owner of P got it
 * from bind() to variant->bind (or was accepted by such a listener), so on
 * the ipv6 variant all owners are IPV6_V6ONLY and both binds are free.
 */
#define PR_VERDICTS(b, r, c, why, by_bind) \
	pr_verdicts(_metadata, variant->family, variant->addr, &(const struct pr_want){ \
		variant->bind_v6only && (by_bind) ? "ok" : (b), \
		variant->bind_v6only && (by_bind) ? "ok" : (r), (c), (why) })

/* Nothing on P. */
TEST_F_TIMEOUT(verdict, free, PR_TIMEOUT)
{
	PR_BEGIN();
	PR_VERDICTS("ok", "ok", "ok", "free", false);
}

/* A plain socket bound to P, not listening. */
TEST_F_TIMEOUT(verdict, bound, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_bound(_metadata, variant->family, variant->bind, PR_PORT, 0);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/* A SO_REUSEADDR socket bound to P: another SO_REUSEADDR bind() shares it. */
TEST_F_TIMEOUT(verdict, bound_reuseaddr, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_bound(_metadata, variant->family, variant->bind, PR_PORT, PR_REUSEADDR);
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", true);
}

/* A SO_REUSEADDR listener: a listener blocks even SO_REUSEADDR. */
TEST_F_TIMEOUT(verdict, listener_reuseaddr, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_listener(_metadata, variant->family, variant->bind, PR_PORT, PR_REUSEADDR);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/* The listener is gone, its accepted connection stays (a server restart). */
TEST_F_TIMEOUT(verdict, accepted_after_listener_closed, PR_TIMEOUT)
{
	int l, c;

	PR_BEGIN();
	l = pr_listener(_metadata, variant->family, variant->bind, PR_PORT, PR_REUSEADDR);
	c = pr_connected(_metadata, variant->family, variant->addr, PR_PORT, 0);
	pr_accept(_metadata, l, pr_local_port(c));
	close(l);
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", true);
}

/* Only the server-side TIME-WAIT of a SO_REUSEADDR listener is left. */
TEST_F_TIMEOUT(verdict, timewait_reuseaddr, PR_TIMEOUT)
{
	int l, c, a;

	PR_BEGIN();
	l = pr_listener(_metadata, variant->family, variant->bind, PR_PORT, PR_REUSEADDR);
	c = pr_connected(_metadata, variant->family, variant->addr, PR_PORT, 0);
	a = pr_accept(_metadata, l, pr_local_port(c));
	close(l);
	pr_close_pair(_metadata, a, c);
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", true);
}

/* The same without SO_REUSEADDR: "Address already in use", no listener left. */
TEST_F_TIMEOUT(verdict, timewait_plain, PR_TIMEOUT)
{
	int l, c, a;

	PR_BEGIN();
	l = pr_listener(_metadata, variant->family, variant->bind, PR_PORT, 0);
	c = pr_connected(_metadata, variant->family, variant->addr, PR_PORT, 0);
	a = pr_accept(_metadata, l, pr_local_port(c));
	close(l);
	pr_close_pair(_metadata, a, c);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/*
 * P taken by a connect() without bind(): another connect() gets P too, to
 * a new peer (the verdict's probe), but not to the same peer: a repeated
 * 4-tuple, EADDRNOTAVAIL.
 */
static void pr_autobind_setup(struct __test_metadata *_metadata, int family,
			      const char *addr, int flags)
{
	int again, err;

	pr_listener(_metadata, family, addr, PR_PEER, PR_REUSEADDR);
	pr_set_range(_metadata, PR_PORT, PR_PORT);
	ASSERT_EQ(PR_PORT, pr_local_port(pr_connected(_metadata, family, addr, PR_PEER, flags)));
	again = pr_socket(_metadata, family, flags);
	err = pr_try_connect(again, family, addr, PR_PEER);
	ASSERT_EQ(EADDRNOTAVAIL, err) TH_LOG("a repeated 4-tuple: %s", pr_errname(err));
	close(again);
}

TEST_F_TIMEOUT(verdict, connect_autobind, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_autobind_setup(_metadata, variant->family, variant->addr, 0);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "ok", "new-4-tuple-only", false);
}

/* The same with SO_REUSEADDR on the connecting socket. */
TEST_F_TIMEOUT(verdict, connect_autobind_reuseaddr, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_autobind_setup(_metadata, variant->family, variant->addr, PR_REUSEADDR);
	PR_VERDICTS("EADDRINUSE", "ok", "ok", "new-4-tuple-only", false);
}

/*
 * connect() autobind took P, then a SO_REUSEADDR bind() joined it: that
 * sets the bucket's fastreuseport to 0 (inet_csk_update_fastreuse()), and
 * connect() no longer shares P, even for a new 4-tuple.
 */
TEST_F_TIMEOUT(verdict, connect_then_bind_reuseaddr, PR_TIMEOUT)
{
	struct pr_file f = {};

	PR_BEGIN();
	pr_autobind_setup(_metadata, variant->family, variant->addr, PR_REUSEADDR);
	pr_bound(_metadata, variant->family, variant->bind, PR_PORT, PR_REUSEADDR);
	pr_query(_metadata, PR_PORT, &f);
	pr_expect(_metadata, pr_section(&f.rep[0], "bhash"),
		  "fastreuse=-1 fastreuseport=0 owners=2");
	pr_free(&f);
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", false);
}

/* The same once the bind() socket is closed: the bucket keeps the mark. */
TEST_F_TIMEOUT(verdict, connect_after_closed_bind, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_autobind_setup(_metadata, variant->family, variant->addr, PR_REUSEADDR);
	close(pr_bound(_metadata, variant->family, variant->bind, PR_PORT, PR_REUSEADDR));
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", false);
}

/* A connect() autobind that closed first: a client-side TIME-WAIT on P. */
TEST_F_TIMEOUT(verdict, connect_timewait, PR_TIMEOUT)
{
	int l, c, a;

	PR_BEGIN();
	l = pr_listener(_metadata, variant->family, variant->addr, PR_PEER, PR_REUSEADDR);
	pr_set_range(_metadata, PR_PORT, PR_PORT);
	c = pr_connected(_metadata, variant->family, variant->addr, PR_PEER, 0);
	ASSERT_EQ(PR_PORT, pr_local_port(c));
	a = pr_accept(_metadata, l, PR_PORT);
	pr_close_pair(_metadata, c, a);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "ok", "new-4-tuple-only", false);
}

/*
 * The seed's case: two SO_REUSEADDR sockets bound to the same address and
 * P (bind() allows it) connect to the same peer: the second connect() is a
 * repeated 4-tuple, EADDRNOTAVAIL, not EADDRINUSE.
 */
TEST_F_TIMEOUT(verdict, duplicate_4tuple, PR_TIMEOUT)
{
	int fam = variant->family, s1, s2, err;
	char a[64], peer[64], ino[2][24];
	const struct pr_report *r;
	struct pr_file f = {};

	PR_BEGIN();
	pr_listener(_metadata, fam, variant->addr, PR_PEER, PR_REUSEADDR);
	s1 = pr_bound(_metadata, fam, variant->bind, PR_PORT, PR_REUSEADDR);
	s2 = pr_bound(_metadata, fam, variant->bind, PR_PORT, PR_REUSEADDR);
	err = pr_try_connect(s1, fam, variant->addr, PR_PEER);
	ASSERT_EQ(0, err) TH_LOG("first connect: %s", pr_errname(err));
	err = pr_try_connect(s2, fam, variant->addr, PR_PEER);
	ASSERT_EQ(EADDRNOTAVAIL, err) TH_LOG("second connect: %s", pr_errname(err));

	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_addr(fam, variant->addr, PR_PORT, a);
	pr_addr(fam, variant->addr, PR_PEER, peer);
	pr_one(_metadata, r, PR_MK("ehash-local", "inode", pr_ino(s1, ino[0]),
				   variant->fam, a, peer, "ESTAB"));
	pr_expect(_metadata, pr_one(_metadata, r, PR_MK("bhash-owner", "inode", pr_ino(s2, ino[1]),
							variant->fam, NULL, "UNCONN")),
		  "reuseaddr=1 via=bind");
	pr_free(&f);
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", true);
}

/* bind() to port 0 got P. */
TEST_F_TIMEOUT(verdict, bind0, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_set_range(_metadata, PR_PORT, PR_PORT);
	ASSERT_EQ(PR_PORT, pr_local_port(pr_bound(_metadata, variant->family,
						  variant->bind, 0, 0)));
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/* A SO_REUSEPORT group: a socket without SO_REUSEPORT cannot join. */
TEST_F_TIMEOUT(verdict, reuseport_listeners, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_listener(_metadata, variant->family, variant->bind, PR_PORT, PR_REUSEPORT);
	pr_listener(_metadata, variant->family, variant->bind, PR_PORT, PR_REUSEPORT);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/* Nothing on P, but P is in ip_local_reserved_ports. */
TEST_F_TIMEOUT(verdict, reserved_port, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_sysctl(_metadata, PR_RESERVED, "18084\n");
	PR_VERDICTS("ok", "ok", "no", "ip_local_reserved_ports", false);
}

/* ---- IPv4 and IPv6 on one port ---- */

/* IPV6_V6ONLY on [::]:P and 0.0.0.0:P: both listen. */
TEST_F_TIMEOUT(ns, v6only_and_v4_share_port, PR_TIMEOUT)
{
	const struct pr_report *r;
	const struct pr_line *l;
	struct pr_file f = {};
	char i6[24], i4[24];
	int s6, s4;

	PR_BEGIN();
	s6 = pr_listener(_metadata, AF_INET6, "::", PR_PORT, PR_V6ONLY);
	s4 = pr_listener(_metadata, AF_INET, "0.0.0.0", PR_PORT, 0);
	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_ino(s6, i6);
	pr_ino(s4, i4);
	l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", i6,
				       "inet6", "[::]:18084", "LISTEN"));
	pr_expect(_metadata, l, "v6only=1 via=bind");
	l = pr_one(_metadata, r, PR_MK("bhash-owner", "inode", i4,
				       "inet", "0.0.0.0:18084", "LISTEN"));
	pr_expect(_metadata, l, "v6only=0 via=bind");
	pr_expect(_metadata, pr_one(_metadata, r, PR_M("bhash2", "inet6", "[::]:18084")),
		  "owners=1");
	pr_expect(_metadata, pr_one(_metadata, r, PR_M("bhash2", "inet", "0.0.0.0:18084")),
		  "owners=1");
	pr_one(_metadata, r, PR_MK("listener", "inode", i6, "inet6", "[::]:18084"));
	pr_one(_metadata, r, PR_MK("listener", "inode", i4, "inet", "0.0.0.0:18084"));
	pr_expect_summary(_metadata, r, "bhash_owners=2 bhash2_buckets=2 listeners=2");
	pr_free(&f);
}

/* Without IPV6_V6ONLY, [::]:P takes 0.0.0.0:P too. */
TEST_F_TIMEOUT(ns, v6_any_takes_v4, PR_TIMEOUT)
{
	const struct pr_report *r;
	struct pr_file f = {};
	int s6, s4, err;
	char i6[24];

	PR_BEGIN();
	s6 = pr_listener(_metadata, AF_INET6, "::", PR_PORT, 0);
	s4 = pr_socket(_metadata, AF_INET, 0);
	err = pr_try_bind(s4, AF_INET, "0.0.0.0", PR_PORT);
	ASSERT_EQ(EADDRINUSE, err) TH_LOG("bind 0.0.0.0 next to [::]: %s", pr_errname(err));
	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_ino(s6, i6);
	pr_expect(_metadata, pr_one(_metadata, r, PR_MK("bhash-owner", "inode", i6,
							"inet6", "[::]:18084", "LISTEN")),
		  "v6only=0");
	pr_expect(_metadata, pr_verdict(r, "bind"), "result=EADDRINUSE");
	ASSERT_STREQ(i6, pr_kv(pr_verdict(r, "bind"), "inode"));
	pr_expect_summary(_metadata, r, "bhash_owners=1 bhash2_buckets=1 listeners=1");
	pr_free(&f);
}

/*
 * 127.0.0.1:P and [::1]:P listen side by side; an IPv4-mapped client of
 * the IPv4 one is an inet6 entry towards P.
 */
TEST_F_TIMEOUT(ns, v4_and_v6_loopback, PR_TIMEOUT)
{
	char i4[24], i6[24], ic[24], ia[24], c6[64], c4[64];
	const struct pr_report *r;
	struct pr_file f = {};
	int s4, s6, c, a;

	PR_BEGIN();
	s4 = pr_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT, 0);
	s6 = pr_listener(_metadata, AF_INET6, "::1", PR_PORT, 0);
	c = pr_connected(_metadata, AF_INET6, "::ffff:127.0.0.1", PR_PORT, 0);
	a = pr_accept(_metadata, s4, pr_local_port(c));
	pr_addr(AF_INET6, "::ffff:127.0.0.1", pr_local_port(c), c6);
	pr_addr(AF_INET, "127.0.0.1", pr_local_port(c), c4);

	pr_query(_metadata, PR_PORT, &f);
	r = &f.rep[0];
	pr_one(_metadata, r, PR_MK("listener", "inode", pr_ino(s4, i4), "inet", "127.0.0.1:18084"));
	pr_one(_metadata, r, PR_MK("listener", "inode", pr_ino(s6, i6), "inet6", "[::1]:18084"));
	pr_ino(a, ia);
	pr_ino(c, ic);
	pr_expect(_metadata, pr_one(_metadata, r, PR_MK("bhash-owner", "inode", ia,
							"inet", "127.0.0.1:18084", "ESTAB")),
		  "via=accept");
	pr_one(_metadata, r, PR_MK("ehash-local", "inode", ia,
				   "inet", "127.0.0.1:18084", c4, "ESTAB"));
	pr_one(_metadata, r, PR_MK("ehash-remote", "inode", ic,
				   "inet6", c6, "[::ffff:127.0.0.1]:18084", "ESTAB"));
	pr_expect_summary(_metadata, r, "bhash_owners=3 bhash2_buckets=2 listeners=2 "
			  "ehash_local=1 ehash_remote=1");
	pr_free(&f);
}

#define PR_VERDICTS4(...) \
	pr_verdicts(_metadata, AF_INET, "127.0.0.1", &(const struct pr_want){ __VA_ARGS__ })

/* An IPV6_V6ONLY listener on [::]:P leaves 0.0.0.0:P free. */
TEST_F_TIMEOUT(ns, verdict_v6only_any, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_listener(_metadata, AF_INET6, "::", PR_PORT, PR_V6ONLY);
	PR_VERDICTS4("ok", "ok", "no", "bound-by-bind");
}

/* An IPv4-mapped listener [::ffff:127.0.0.1]:P blocks 0.0.0.0:P. */
TEST_F_TIMEOUT(ns, verdict_v4mapped_listener, PR_TIMEOUT)
{
	PR_BEGIN();
	pr_listener(_metadata, AF_INET6, "::ffff:127.0.0.1", PR_PORT, PR_REUSEADDR);
	PR_VERDICTS4("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind");
}

/* ---- the write interface ---- */

struct pr_bad {
	const char *cmd;
	size_t len;
	int err;
};

#define PR_BAD(s, e) { s, sizeof(s) - 1, e }

/*
 * Every bad write on a write-only descriptor fails with its errno and
 * leaves the watched ports as they were.
 */
TEST_F_TIMEOUT(ns, bad_writes, PR_TIMEOUT)
{
	static const struct pr_bad bad[] = {
		PR_BAD("", EINVAL), PR_BAD("\n", EINVAL), PR_BAD("abc", EINVAL),
		PR_BAD("0", EINVAL), PR_BAD("0\n", EINVAL), PR_BAD("65536", EINVAL),
		PR_BAD("99999999", EINVAL), PR_BAD("+80", EINVAL), PR_BAD(" 80", EINVAL),
		PR_BAD("80 ", EINVAL), PR_BAD("8 0", EINVAL), PR_BAD("80x", EINVAL),
		PR_BAD("80\n81", EINVAL), PR_BAD("80\n\n", EINVAL), PR_BAD("080", EINVAL),
		PR_BAD("--80", EINVAL), PR_BAD("-", EINVAL), PR_BAD("-\n", EINVAL),
		PR_BAD("-0", EINVAL), PR_BAD("-65536", EINVAL), PR_BAD("80\0", EINVAL),
		PR_BAD("clear ", EINVAL), PR_BAD("CLEAR", EINVAL), PR_BAD("clear\n\n", EINVAL),
		PR_BAD("\t80", EINVAL), PR_BAD("-81\n", ENOENT), PR_BAD("-18085", ENOENT),
	};
	const int watched[] = { 80, PR_PORT };
	size_t i;
	int fd, err;

	PR_BEGIN();
	ASSERT_EQ(0, pr_watch(_metadata, "18084\n"));
	ASSERT_EQ(0, pr_watch(_metadata, "80"));
	pr_expect_watched(_metadata, watched, 2);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = pr_write(_metadata, O_WRONLY, bad[i].cmd, bad[i].len);
		if (err != bad[i].err)
			TH_LOG("write of %zu bytes '%.*s': expected %s, got %s", bad[i].len,
			       (int)bad[i].len, bad[i].cmd, strerror(bad[i].err),
			       err ? strerror(err) : "success");
		EXPECT_EQ(bad[i].err, err);
		pr_expect_watched(_metadata, watched, 2);
	}
	/* a command written past offset 0 (no pwrite() on a seq_file) */
	fd = open(PR_PROC, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, lseek(fd, 1, SEEK_SET));
	EXPECT_EQ(-1, write(fd, "81\n", 3));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	pr_expect_watched(_metadata, watched, 2);
}

/* 64 watched ports at most: the 65th is ENOSPC and changes nothing. */
TEST_F_TIMEOUT(ns, sixty_fifth_port, PR_TIMEOUT)
{
	int ports[64], i, err;
	char cmd[16];

	PR_BEGIN();
	for (i = 0; i < 64; i++) {
		ports[i] = 20000 + i;
		snprintf(cmd, sizeof(cmd), "%d\n", ports[i]);
		ASSERT_EQ(0, pr_watch(_metadata, cmd)) TH_LOG("watch port %d", ports[i]);
	}
	pr_expect_watched(_metadata, ports, 64);
	err = pr_watch(_metadata, "65535\n");
	ASSERT_EQ(ENOSPC, err) TH_LOG("65th port: %s", err ? strerror(err) : "success");
	pr_expect_watched(_metadata, ports, 64);
	err = pr_watch(_metadata, "1");
	ASSERT_EQ(ENOSPC, err);
	pr_expect_watched(_metadata, ports, 64);

	/* room again after a removal; the bounds 1 and 65535 are ports */
	ASSERT_EQ(0, pr_watch(_metadata, "-20000\n"));
	ASSERT_EQ(0, pr_watch(_metadata, "65535"));
	memmove(ports, ports + 1, 63 * sizeof(int));
	ports[63] = 65535;
	pr_expect_watched(_metadata, ports, 64);
	ASSERT_EQ(0, pr_watch(_metadata, "clear\n"));
	ASSERT_EQ(0, pr_watch(_metadata, "1\n"));
	pr_expect_watched(_metadata, (const int[]){ 1 }, 1);
	ASSERT_EQ(0, pr_watch(_metadata, "clear"));
	pr_expect_watched(_metadata, NULL, 0);
}

/*
 * Reports come after the listing's rows, one per watched port in ascending
 * order; "-P" and "clear" remove them.
 */
TEST_F_TIMEOUT(ns, watched_reports_follow_rows, PR_TIMEOUT)
{
	struct pr_file f = {};
	char *rows;
	int fd, err;

	PR_BEGIN();
	fd = pr_bound(_metadata, AF_INET, "127.0.0.1", PR_SELF, 0);
	err = pr_try_connect(fd, AF_INET, "127.0.0.1", PR_SELF);
	ASSERT_EQ(0, err) TH_LOG("self-connect: %s", pr_errname(err));
	ASSERT_EQ(0, pr_watch(_metadata, "18096\n"));
	ASSERT_EQ(0, pr_watch(_metadata, "18084\n"));
	pr_expect_watched(_metadata, (const int[]){ PR_PORT, PR_SELF }, 2);

	pr_cat(_metadata, &f);
	rows = strstr(f.text, "\ninet 127.0.0.1:18096 ESTAB ");
	ASSERT_NE(NULL, rows) pr_dump(_metadata);
	ASSERT_TRUE(strstr(f.text, "# selfconn v1 rows=1") == f.text) pr_dump(_metadata);
	ASSERT_TRUE(rows < strstr(f.text, "# port 18084\n")) pr_dump(_metadata);
	pr_one(_metadata, &f.rep[1], PR_M("ehash-local", "inet", "127.0.0.1:18096",
				  "127.0.0.1:18096", "ESTAB"));
	pr_free(&f);

	ASSERT_EQ(0, pr_watch(_metadata, "-18084"));
	pr_expect_watched(_metadata, (const int[]){ PR_SELF }, 1);
	ASSERT_EQ(ENOENT, pr_watch(_metadata, "-18084\n"));
	ASSERT_EQ(0, pr_watch(_metadata, "18096\n"));	/* already watched */
	pr_expect_watched(_metadata, (const int[]){ PR_SELF }, 1);
	ASSERT_EQ(0, pr_watch(_metadata, "clear\n"));
	pr_expect_watched(_metadata, NULL, 0);
	ASSERT_EQ(ENOENT, pr_watch(_metadata, "-18096\n"));
}

/*
 * The per-descriptor query: one report, no header; the write does not move
 * the offset; re-reading from 0 gives a fresh report; a new port switches
 * it; bad writes fail and keep the port; without a write the descriptor
 * reads like a plain one.
 */
TEST_F_TIMEOUT(ns, query_descriptor, PR_TIMEOUT)
{
	static const struct pr_bad bad[] = {
		PR_BAD("", EINVAL), PR_BAD("clear", EINVAL), PR_BAD("-18086", EINVAL),
		PR_BAD("0", EINVAL), PR_BAD("abc", EINVAL), PR_BAD("65536\n", EINVAL),
		PR_BAD("18084 ", EINVAL), PR_BAD("18084\n18086", EINVAL),
	};
	struct pr_file f = {};
	size_t i;
	int fd, l;

	PR_BEGIN();
	l = pr_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT2, 0);
	fd = open(PR_PROC, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	pr_read_parse(_metadata, fd, &f);
	ASSERT_EQ(0, strncmp(f.text, "# selfconn v1 rows=0", 20)) pr_dump(_metadata);
	ASSERT_TRUE(f.text[20] == ' ' || f.text[20] == '\n') pr_dump(_metadata);
	ASSERT_EQ(0, f.nrep);

	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(6, write(fd, "18084\n", 6));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_CUR)) TH_LOG("the write moved the offset");
	pr_read_parse(_metadata, fd, &f);
	ASSERT_EQ(1, f.nrep);
	ASSERT_EQ(PR_PORT, f.rep[0].port);
	ASSERT_EQ(0, strncmp(f.text, "# port 18084\nport 18084 bhash none\n", 35))
		pr_dump(_metadata);

	/* at EOF a write is not at offset 0 */
	EXPECT_EQ(-1, write(fd, "18086", 5));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(5, write(fd, "18086", 5));
	pr_read_parse(_metadata, fd, &f);
	ASSERT_EQ(1, f.nrep);
	ASSERT_EQ(PR_PORT2, f.rep[0].port);
	pr_one(_metadata, &f.rep[0], PR_M("listener", "inet", "127.0.0.1:18086"));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
		errno = 0;
		EXPECT_EQ(-1, write(fd, bad[i].cmd, bad[i].len))
			TH_LOG("query write '%.*s' succeeded", (int)bad[i].len, bad[i].cmd);
		EXPECT_EQ(bad[i].err, errno);
		pr_read_parse(_metadata, fd, &f);
		ASSERT_EQ(1, f.nrep);
		ASSERT_EQ(PR_PORT2, f.rep[0].port) TH_LOG("a bad write changed the query");
	}
	close(fd);
	pr_expect_watched(_metadata, NULL, 0);
	pr_free(&f);
	close(l);
}

/* A query neither adds a watched port nor changes what a plain read shows. */
TEST_F_TIMEOUT(ns, query_leaves_cat_alone, PR_TIMEOUT)
{
	struct pr_file before = {}, q = {}, after = {};
	const char *rep;
	int s, l, err;

	PR_BEGIN();
	l = pr_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT, PR_REUSEADDR);
	s = pr_bound(_metadata, AF_INET, "127.0.0.1", PR_SELF, 0);
	err = pr_try_connect(s, AF_INET, "127.0.0.1", PR_SELF);
	ASSERT_EQ(0, err) TH_LOG("self-connect: %s", pr_errname(err));
	ASSERT_EQ(0, pr_watch(_metadata, "18096\n"));

	pr_cat(_metadata, &before);
	pr_query(_metadata, PR_PORT, &q);
	ASSERT_EQ(NULL, strstr(q.text, "# selfconn")) pr_dump(_metadata);
	ASSERT_EQ(NULL, strstr(q.text, "18096")) pr_dump(_metadata);
	pr_one(_metadata, &q.rep[0], PR_M("listener", "inet", "127.0.0.1:18084"));
	pr_cat(_metadata, &after);
	if (strcmp(before.text, after.text)) {
		TH_LOG("plain read before the query:");
		pr_shown = &before;
		pr_dump(_metadata);
	}
	ASSERT_STREQ(before.text, after.text);

	/* a query of a watched port gives the same bytes as its report */
	pr_query(_metadata, PR_SELF, &q);
	rep = strstr(after.text, "# port 18096\n");
	ASSERT_NE(NULL, rep);
	ASSERT_STREQ(rep, q.text);
	pr_free(&before);
	pr_free(&q);
	pr_free(&after);
	close(l);
	close(s);
}

/* ---- privilege ---- */

/*
 * What a child saw, as errno values (0: success), and its query's text.
 * Children open "selfconn" relative to a /proc descriptor their parent
 * opened: the permission check is then on the file alone, wherever the
 * root directory's mode would stop nobody on the way to /proc.
 */
struct pr_unpriv {
	int open_wo, add, del, clear, open_rw, query;
	char text[8192];
};

static void pr_drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(PR_NOBODY, PR_NOBODY, PR_NOBODY) ||
	    setresuid(PR_NOBODY, PR_NOBODY, PR_NOBODY))
		_exit(3);
}

static int pr_err_of(ssize_t ret)
{
	return ret < 0 ? errno : 0;
}

/* As nobody: the three watch commands, then a query of PR_PORT. */
static void pr_unpriv_child(int procdir, struct pr_unpriv *res)
{
	ssize_t n;
	int fd;

	pr_drop_to_nobody();
	fd = openat(procdir, "selfconn", O_WRONLY | O_CLOEXEC);
	res->open_wo = pr_err_of(fd);
	res->add = pr_err_of(write(fd, "18084\n", 6));
	res->del = pr_err_of(write(fd, "-80\n", 4));
	res->clear = pr_err_of(write(fd, "clear\n", 6));
	close(fd);
	fd = openat(procdir, "selfconn", O_RDWR | O_CLOEXEC);
	res->open_rw = pr_err_of(fd);
	res->query = pr_err_of(write(fd, "18084\n", 6));
	n = read(fd, res->text, sizeof(res->text) - 1);
	res->text[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* As nobody in its own user and network namespace: watch, then read. */
static void pr_userns_child(int procdir, struct pr_unpriv *res)
{
	ssize_t n;
	int fd;

	pr_drop_to_nobody();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		res->open_wo = -errno;	/* no user namespaces here */
		return;
	}
	fd = openat(procdir, "selfconn", O_WRONLY | O_CLOEXEC);
	res->open_wo = pr_err_of(fd);
	res->add = pr_err_of(write(fd, "18084\n", 6));
	close(fd);
	fd = openat(procdir, "selfconn", O_RDONLY | O_CLOEXEC);
	n = read(fd, res->text, sizeof(res->text) - 1);
	res->text[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run fn in a child; its result comes back through shared memory. */
static void pr_in_child(struct __test_metadata *_metadata,
			void (*fn)(int, struct pr_unpriv *), struct pr_unpriv *res)
{
	struct pr_unpriv *shared;
	int status, procdir;
	pid_t pid;

	procdir = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, procdir);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	memset(shared, 0, sizeof(*shared));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fn(procdir, shared);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("child could not become nobody");
	*res = *shared;
	munmap(shared, sizeof(*shared));
	close(procdir);
}

/* Parse a child's query text into f; asserts one report of port. */
static void pr_parse_child(struct __test_metadata *_metadata, const char *text,
			   int port, struct pr_file *f)
{
	pr_free(f);
	f->text = strdup(text);
	ASSERT_NE(NULL, f->text);
	f->len = strlen(f->text);
	pr_shown = f;
	ASSERT_EQ(0, pr_parse(f)) TH_LOG("%s", f->err);
	ASSERT_EQ(1, f->nrep) pr_dump(_metadata);
	ASSERT_EQ(port, f->rep[0].port);
}

/*
 * The file is mode 0666. An unprivileged process opens it write-only but
 * gets EPERM for every watch command; its per-descriptor query works.
 */
TEST_F_TIMEOUT(ns, unprivileged, PR_TIMEOUT)
{
	struct pr_unpriv res;
	struct pr_file f = {};
	struct stat st;
	char ino[24];
	int l;

	PR_BEGIN();
	ASSERT_EQ(0, stat(PR_PROC, &st));
	ASSERT_EQ(0666, st.st_mode & 07777);
	l = pr_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT, 0);
	ASSERT_EQ(0, pr_watch(_metadata, "80\n"));

	pr_in_child(_metadata, pr_unpriv_child, &res);
	ASSERT_EQ(0, res.open_wo) TH_LOG("open write-only: %s", strerror(res.open_wo));
	EXPECT_EQ(EPERM, res.add) TH_LOG("watch as nobody: %s", strerror(res.add));
	EXPECT_EQ(EPERM, res.del) TH_LOG("unwatch as nobody: %s", strerror(res.del));
	EXPECT_EQ(EPERM, res.clear) TH_LOG("clear as nobody: %s", strerror(res.clear));
	ASSERT_EQ(0, res.open_rw) TH_LOG("open read-write: %s", strerror(res.open_rw));
	ASSERT_EQ(0, res.query) TH_LOG("query as nobody: %s", strerror(res.query));
	pr_expect_watched(_metadata, (const int[]){ 80 }, 1);

	pr_parse_child(_metadata, res.text, PR_PORT, &f);
	pr_one(_metadata, &f.rep[0], PR_MK("listener", "inode", pr_ino(l, ino),
					   "inet", "127.0.0.1:18084"));
	pr_free(&f);
}

/*
 * CAP_NET_ADMIN over the opener's network namespace is what counts: nobody
 * owns a namespace it made in its own user namespace, and may watch there;
 * this namespace's watched ports stay as they were.
 */
TEST_F_TIMEOUT(ns, own_userns_may_watch, PR_TIMEOUT)
{
	struct pr_unpriv res;
	struct pr_file f = {};

	PR_BEGIN();
	ASSERT_EQ(0, pr_watch(_metadata, "80\n"));
	pr_in_child(_metadata, pr_userns_child, &res);
	if (res.open_wo < 0)
		SKIP(return, "no unprivileged user namespaces: %s", strerror(-res.open_wo));
	ASSERT_EQ(0, res.open_wo) TH_LOG("open write-only: %s", strerror(res.open_wo));
	ASSERT_EQ(0, res.add) TH_LOG("watch in its own namespace: %s", strerror(res.add));
	pr_parse_child(_metadata, res.text, PR_PORT, &f);
	pr_free(&f);
	pr_expect_watched(_metadata, (const int[]){ 80 }, 1);
}

/* ---- the companion: selfconn port P [--json] ---- */

/* Run argv with stdout into *out (malloc'd): the exit status, or -1. */
static int pr_run(char *const argv[], char **out)
{
	int pfd[2], status;
	size_t len;
	pid_t pid;

	*out = NULL;
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	if (pr_read_fd(pfd[0], out, &len))
		*out = NULL;
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A JSON syntax check: the end of the value at p, or NULL. */
static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	int i;

	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *js_number(const char *p)
{
	const char *start;

	p += *p == '-';
	start = p;
	if (*p == '0')
		return p + 1;
	while (*p >= '0' && *p <= '9')
		p++;
	return p > start ? p : NULL;
}

/* Members of an object (obj) or elements of an array, up to close. */
static const char *js_list(const char *p, char close, bool obj, int depth)
{
	p = js_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			p = js_string(js_ws(p));
			if (!p || *(p = js_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = js_value(p, depth + 1);
		if (!p)
			return NULL;
		p = js_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *js_value(const char *p, int depth)
{
	p = js_ws(p);
	if (depth > 16)
		return NULL;
	if (*p == '{')
		return js_list(p, '}', true, depth);
	if (*p == '[')
		return js_list(p, ']', false, depth);
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	return js_number(p);
}

static bool js_valid(const char *s)
{
	const char *end = js_value(s, 0);

	return end && !*js_ws(end);
}

static int pr_count_str(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/*
 * selfconn port P prints the same bytes as a query; --json is valid JSON
 * with one object per report line, positional fields in "args",
 * key=value ones in "fields", integers as numbers; bad usage exits 64.
 * Neither touches the watched ports.
 */
TEST_F_TIMEOUT(ns, companion_port, PR_TIMEOUT)
{
	const char *bin = getenv("SELFCONN_BIN");
	char *out, want[256], ino[24];
	struct pr_file f = {};
	int l, c, st;

	PR_BEGIN();
	if (!bin || access(bin, X_OK))
		SKIP(return, "no companion: set SELFCONN_BIN");
	l = pr_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT, 0);
	c = pr_connected(_metadata, AF_INET, "127.0.0.1", PR_PORT, 0);
	pr_accept(_metadata, l, pr_local_port(c));
	pr_query(_metadata, PR_PORT, &f);

	st = pr_run((char *const[]){ (char *)bin, "port", "18084", NULL }, &out);
	ASSERT_EQ(0, st);
	ASSERT_NE(NULL, out);
	if (strcmp(out, f.text))
		TH_LOG("selfconn port 18084 printed:\n%s", out);
	ASSERT_STREQ(f.text, out);
	free(out);

	st = pr_run((char *const[]){ (char *)bin, "port", "--json", "18084", NULL }, &out);
	ASSERT_EQ(0, st);
	ASSERT_NE(NULL, out);
	if (!js_valid(out))
		TH_LOG("not JSON:\n%s", out);
	ASSERT_TRUE(js_valid(out));
	ASSERT_EQ(0, strncmp(out, "{\"schema\":1,\"port\":18084,\"lines\":[", 34))
		TH_LOG("%s", out);
	ASSERT_EQ(f.rep[0].n, pr_count_str(out, "{\"section\":")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"section\":\"listener\",\"args\":[\"inet\","
		 "\"127.0.0.1:18084\",\"LISTEN\"],\"fields\":{\"backlog\":16,"
		 "\"accept_queue\":0,\"syn_recv\":0,"
		 "\"inode\":%s}}", pr_ino(l, ino));
	ASSERT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in:\n%s", want, out);
	ASSERT_NE(NULL, strstr(out, "{\"section\":\"verdict\",\"args\":[\"bind\",\"blocker\","
			       "\"inet\",\"127.0.0.1:18084\",\"ESTAB\"],"
			       "\"fields\":{\"result\":\"EADDRINUSE\","))
		TH_LOG("%s", out);
	free(out);

	ASSERT_EQ(64, pr_run((char *const[]){ (char *)bin, "port", NULL }, &out));
	free(out);
	ASSERT_EQ(64, pr_run((char *const[]){ (char *)bin, "port", "0", NULL }, &out));
	free(out);
	ASSERT_EQ(64, pr_run((char *const[]){ (char *)bin, "port", "65536", NULL }, &out));
	free(out);
	ASSERT_EQ(64, pr_run((char *const[]){ (char *)bin, "port", "80", "--nope", NULL }, &out));
	free(out);
	pr_expect_watched(_metadata, NULL, 0);
	pr_free(&f);
}

TEST_HARNESS_MAIN
