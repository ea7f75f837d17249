// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/selfconn: what is listed, what is not, and the file's behaviour
 * across reads, network namespaces and a module reload.
 *
 * Every test runs in a fresh network namespace (the fixture unshares one and
 * brings lo up), so ports can be fixed and nothing left in TIME-WAIT by one
 * test shows in another. Each test runs once per variant: IPv4 127.0.0.1,
 * IPv6 ::1 and IPv4-mapped ::ffff:127.0.0.1 on an AF_INET6 socket.
 *
 * The module must be loaded; the reload tests find it at $SELFCONN_KO and
 * leave it loaded whatever happens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define SC_PROC		"/proc/selfconn"
#define SC_MODNAME	"selfconn"
#define SC_COLUMNS	"# family address state uid inode timer_ms"
#define SC_TIMEOUT	120	/* seconds per test: QEMU without KVM, KASAN */
#define SC_WAIT_MS	10000	/* how long a state change may take to show */
#define SC_TW_MAX_MS	60000	/* TCP_TIMEWAIT_LEN */
#define SC_TEST_UID	4242

/* ---- reading and parsing /proc/selfconn ---- */

struct sc_row {
	char family[8];
	char addr[80];
	char state[16];
	unsigned long long uid;
	unsigned long long inode;
	long long timer_ms;		/* -1 for "-" */
};

struct sc_table {
	char *text;			/* the raw file, NUL-terminated */
	size_t len;
	unsigned long long rows_hdr;	/* rows=N from the header */
	int nrows;
	struct sc_row *rows;
	char err[256];
};

static const char * const sc_states[] = {
	"SYN-SENT", "SYN-RECV", "ESTAB", "FIN-WAIT-1", "FIN-WAIT-2",
	"CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT",
};

static void sc_table_free(struct sc_table *t)
{
	free(t->text);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* Read fd to EOF in read() calls of at most chunk bytes: 0 or -errno. */
static int sc_read_fd(int fd, size_t chunk, char **out, size_t *outlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *rbuf;
	ssize_t n;

	rbuf = malloc(chunk);
	if (!rbuf)
		return -ENOMEM;
	for (;;) {
		n = read(fd, rbuf, chunk);
		if (n < 0) {
			int err = errno;

			free(rbuf);
			free(buf);
			return -err;
		}
		if (n == 0)
			break;
		if (len + n + 1 > cap) {
			char *nb;

			cap = (len + n + 1) * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(rbuf);
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		memcpy(buf + len, rbuf, n);
		len += n;
	}
	free(rbuf);
	if (!buf) {
		buf = calloc(1, 1);
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static bool sc_is_decimal(const char *s)
{
	if (!*s)
		return false;
	if (s[0] == '0' && s[1])
		return false;	/* no leading zeros */
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* "127.0.0.1:80" for inet, "[::1]:80" for inet6, canonical as ss writes it */
static bool sc_valid_addr(const char *family, const char *addr)
{
	char host[INET6_ADDRSTRLEN + 2], canon[INET6_ADDRSTRLEN];
	const char *colon = strrchr(addr, ':');
	unsigned char bin[sizeof(struct in6_addr)];
	size_t hlen;
	int af;

	if (!colon || !sc_is_decimal(colon + 1) ||
	    strtoul(colon + 1, NULL, 10) > 65535)
		return false;
	hlen = colon - addr;
	if (hlen >= sizeof(host))
		return false;
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	if (!strcmp(family, "inet")) {
		af = AF_INET;
	} else {
		if (hlen < 3 || host[0] != '[' || host[hlen - 1] != ']')
			return false;
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
		af = AF_INET6;
	}
	if (inet_pton(af, host, bin) != 1)
		return false;
	if (!inet_ntop(af, bin, canon, sizeof(canon)))
		return false;
	return !strcmp(canon, host);
}

static int sc_fail(struct sc_table *t, unsigned int line, const char *why)
{
	snprintf(t->err, sizeof(t->err), "line %u: %s", line, why);
	return -1;
}

/* Parse one socket row (a NUL-terminated line without its newline). */
static int sc_parse_row(struct sc_table *t, unsigned int lineno, char *line,
			struct sc_row *r)
{
	char *field[6], *p = line;
	bool known = false;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		char *sp = strchr(p, ' ');

		field[i] = p;
		if (!*p || *p == ' ')
			return sc_fail(t, lineno, "empty field (double space?)");
		if (!sp) {
			if (i != 5)
				return sc_fail(t, lineno, "fewer than 6 fields");
			break;
		}
		*sp = '\0';
		p = sp + 1;
		if (i == 5 && !*p)
			return sc_fail(t, lineno, "trailing space");
		/* columns after the 6th are allowed and ignored */
	}
	if (strcmp(field[0], "inet") && strcmp(field[0], "inet6"))
		return sc_fail(t, lineno, "family is neither inet nor inet6");
	if (!sc_valid_addr(field[0], field[1]))
		return sc_fail(t, lineno, "address is not ADDR:PORT as ss writes it");
	for (i = 0; i < sizeof(sc_states) / sizeof(sc_states[0]); i++)
		known |= !strcmp(field[2], sc_states[i]);
	if (!known)
		return sc_fail(t, lineno, "unknown state");
	if (!sc_is_decimal(field[3]) || !sc_is_decimal(field[4]))
		return sc_fail(t, lineno, "uid or inode is not a decimal number");
	if (strcmp(field[5], "-") && !sc_is_decimal(field[5]))
		return sc_fail(t, lineno, "timer_ms is neither - nor a number");

	snprintf(r->family, sizeof(r->family), "%s", field[0]);
	snprintf(r->addr, sizeof(r->addr), "%s", field[1]);
	snprintf(r->state, sizeof(r->state), "%s", field[2]);
	r->uid = strtoull(field[3], NULL, 10);
	r->inode = strtoull(field[4], NULL, 10);
	r->timer_ms = strcmp(field[5], "-") ? strtoll(field[5], NULL, 10) : -1;

	if (!strcmp(r->state, "TIME-WAIT") &&
	    (r->timer_ms < 0 || r->uid || r->inode))
		return sc_fail(t, lineno, "TIME-WAIT row needs uid 0, inode 0 and a timer");
	if (strcmp(r->state, "TIME-WAIT") && strcmp(r->state, "FIN-WAIT-2") &&
	    r->timer_ms >= 0)
		return sc_fail(t, lineno, "timer_ms must be - outside TIME-WAIT/FIN-WAIT-2");
	return 0;
}

/*
 * Parse the whole file into t->rows. Checks the v1 format strictly: header,
 * column line, exactly rows=N valid rows, every line newline-terminated.
 * Lines of watched-port reports ("# port P", "port P ...") may follow the
 * rows; they are not checked here.
 */
static int sc_parse(struct sc_table *t)
{
	char *copy, *line, *nl, *p;
	unsigned int lineno = 0;
	bool have_rows = false;
	size_t cap = 0;

	if (strlen(t->text) != t->len)
		return sc_fail(t, 0, "NUL byte in output");
	if (t->len && t->text[t->len - 1] != '\n')
		return sc_fail(t, 0, "output does not end with a newline");
	copy = strdup(t->text);
	if (!copy)
		return sc_fail(t, 0, "out of memory");

	for (line = copy; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		lineno++;
		if (lineno == 1) {
			if (strncmp(line, "# selfconn v1", 13) ||
			    (line[13] && line[13] != ' ')) {
				free(copy);
				return sc_fail(t, 1, "header does not start with '# selfconn v1'");
			}
			for (p = line + 13; *p; ) {
				char *tok = ++p, *sp, *eq;

				sp = strchr(tok, ' ');
				if (sp)
					*sp = '\0';
				eq = strchr(tok, '=');
				if (!eq || eq == tok) {
					free(copy);
					return sc_fail(t, 1, "header field is not key=value");
				}
				if (!strncmp(tok, "rows=", 5)) {
					if (have_rows || !sc_is_decimal(eq + 1)) {
						free(copy);
						return sc_fail(t, 1, "bad or repeated rows=");
					}
					have_rows = true;
					t->rows_hdr = strtoull(eq + 1, NULL, 10);
				}
				p = sp ? sp : tok + strlen(tok);
			}
			continue;
		}
		if (lineno == 2) {
			size_t n = strlen(SC_COLUMNS);

			if (strncmp(line, SC_COLUMNS, n) ||
			    (line[n] && line[n] != ' ')) {
				free(copy);
				return sc_fail(t, 2, "column line is not '" SC_COLUMNS "'");
			}
			continue;
		}
		/* After the rows come the watched ports' reports, if any. */
		if (have_rows && (unsigned long long)t->nrows == t->rows_hdr) {
			if (strncmp(line, "# port ", 7) && strncmp(line, "port ", 5)) {
				free(copy);
				return sc_fail(t, lineno, "more rows than rows=N (or a stray line after them)");
			}
			continue;
		}
		if (!strncmp(line, "# port ", 7) || !strncmp(line, "port ", 5)) {
			free(copy);
			snprintf(t->err, sizeof(t->err),
				 "line %u: a port report after %d rows, header says rows=%llu",
				 lineno, t->nrows, t->rows_hdr);
			return -1;
		}
		if ((size_t)t->nrows == cap) {
			struct sc_row *nr;

			cap = cap ? cap * 2 : 64;
			nr = realloc(t->rows, cap * sizeof(*nr));
			if (!nr) {
				free(copy);
				return sc_fail(t, lineno, "out of memory");
			}
			t->rows = nr;
		}
		if (sc_parse_row(t, lineno, line, &t->rows[t->nrows])) {
			free(copy);
			return -1;
		}
		t->nrows++;
	}
	free(copy);
	if (lineno < 2)
		return sc_fail(t, lineno, "header or column line missing");
	if (!have_rows)
		return sc_fail(t, 1, "header has no rows=");
	if (t->rows_hdr != (unsigned long long)t->nrows) {
		snprintf(t->err, sizeof(t->err),
			 "header says rows=%llu but %d rows follow",
			 t->rows_hdr, t->nrows);
		return -1;
	}
	return 0;
}

/* Show the file in the test log (for failures: expected vs got). */
static void sc_dump(struct __test_metadata *_metadata, const struct sc_table *t)
{
	const char *p = t->text, *nl;

	TH_LOG("%s contents (%zu bytes):", SC_PROC, t->len);
	while (p && *p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		TH_LOG("  | %.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* Open, read to EOF in chunk-sized reads, close, parse; asserts on errors. */
static void sc_read_chunked(struct __test_metadata *_metadata,
			    struct sc_table *t, size_t chunk)
{
	int fd, ret;

	sc_table_free(t);
	fd = open(SC_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", SC_PROC, strerror(errno));
	ret = sc_read_fd(fd, chunk, &t->text, &t->len);
	ASSERT_EQ(0, ret) TH_LOG("read %s (%zu-byte reads): %s", SC_PROC,
				 chunk, strerror(-ret));
	ASSERT_EQ(0, close(fd));
	ret = sc_parse(t);
	if (ret)
		sc_dump(_metadata, t);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", SC_PROC, t->err);
}

static void sc_read(struct __test_metadata *_metadata, struct sc_table *t)
{
	sc_read_chunked(_metadata, t, 65536);
}

/* Rows with this family and address (and state, unless NULL). */
static int sc_count(const struct sc_table *t, const char *family,
		    const char *addr, const char *state)
{
	int i, n = 0;

	for (i = 0; i < t->nrows; i++) {
		const struct sc_row *r = &t->rows[i];

		if ((!family || !strcmp(r->family, family)) &&
		    (!addr || !strcmp(r->addr, addr)) &&
		    (!state || !strcmp(r->state, state)))
			n++;
	}
	return n;
}

static const struct sc_row *sc_find(const struct sc_table *t,
				    const char *family, const char *addr)
{
	int i;

	for (i = 0; i < t->nrows; i++)
		if (!strcmp(t->rows[i].family, family) &&
		    !strcmp(t->rows[i].addr, addr))
			return &t->rows[i];
	return NULL;
}

/*
 * Exactly one row for family+addr, in state, with uid and inode; timer "-".
 * Logs expected vs got and the whole file on a mismatch.
 */
static void sc_expect_row(struct __test_metadata *_metadata,
			  const struct sc_table *t, const char *family,
			  const char *addr, const char *state,
			  unsigned long long uid, unsigned long long inode)
{
	const struct sc_row *r = sc_find(t, family, addr);
	int n = sc_count(t, NULL, addr, NULL);

	if (!r || n != 1 || strcmp(r->state, state) || r->uid != uid ||
	    r->inode != inode || r->timer_ms != -1) {
		TH_LOG("expected exactly one row '%s %s %s %llu %llu -'",
		       family, addr, state, uid, inode);
		if (r)
			TH_LOG("got %d row(s) for %s, first: '%s %s %s %llu %llu %lld'",
			       n, addr, r->family, r->addr, r->state, r->uid,
			       r->inode, r->timer_ms);
		else
			TH_LOG("got %d row(s) for %s %s", n, family, addr);
		sc_dump(_metadata, t);
	}
	ASSERT_NE(NULL, r);
	ASSERT_EQ(1, n);
	ASSERT_STREQ(state, r->state);
	ASSERT_EQ(uid, r->uid);
	ASSERT_EQ(inode, r->inode);
	ASSERT_EQ(-1, r->timer_ms);
}

/*
 * Re-read until exactly `want` rows match family/addr/state (NULL: any), or
 * SC_WAIT_MS passes. Returns whether it got there; t holds the last read.
 */
static bool sc_wait_count(struct __test_metadata *_metadata,
			  struct sc_table *t, const char *family,
			  const char *addr, const char *state, int want)
{
	int waited;

	for (waited = 0; waited <= SC_WAIT_MS; waited += 20) {
		sc_read(_metadata, t);
		if (sc_count(t, family, addr, state) == want)
			return true;
		usleep(20000);
	}
	TH_LOG("waited %d ms for %d %s row(s) of %s %s", SC_WAIT_MS, want,
	       state ? state : "", family ? family : "", addr ? addr : "");
	sc_dump(_metadata, t);
	return false;
}

/* ---- sockets ---- */

/*
 * A socket connected to itself at addr:port, owned by uid (the socket inode
 * takes its creator's fsuid); asserts it is ESTABLISHED.
 */
static int sc_self_connect_uid(struct __test_metadata *_metadata, int family,
			       const char *addr, int port, uid_t uid)
{
	struct sockaddr_storage ss, local, peer;
	socklen_t len, llen = sizeof(local), plen = sizeof(peer);
	uid_t euid = geteuid();
	int fd;

	ASSERT_EQ(0, setresuid(-1, uid, -1));
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, setresuid(-1, euid, -1));
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	ASSERT_EQ(0, sct_bind(fd, family, addr, port))
		TH_LOG("bind %s:%d: %s", addr, port, strerror(errno));
	len = sct_sockaddr(family, addr, port, &ss);
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&ss, len))
		TH_LOG("connect %s:%d to itself: %s", addr, port, strerror(errno));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&local, &llen));
	ASSERT_EQ(0, getpeername(fd, (struct sockaddr *)&peer, &plen));
	ASSERT_EQ(llen, plen);
	ASSERT_EQ(0, memcmp(&local, &peer, llen))
		TH_LOG("%s:%d: local and peer address differ", addr, port);
	ASSERT_EQ(TCP_ESTABLISHED, sct_tcp_state(fd));
	return fd;
}

static int sc_self_connect(struct __test_metadata *_metadata, int family,
			   const char *addr, int port)
{
	return sc_self_connect_uid(_metadata, family, addr, port, geteuid());
}

static int sc_listener(struct __test_metadata *_metadata, int family,
		       const char *addr, int port)
{
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, sct_bind(fd, family, addr, port))
		TH_LOG("bind %s:%d: %s", addr, port, strerror(errno));
	ASSERT_EQ(0, listen(fd, 16));
	return fd;
}

/* A client bound to laddr:lport (lport 0: ephemeral) connected to raddr:rport. */
static int sc_client(struct __test_metadata *_metadata, int family,
		     const char *laddr, int lport, const char *raddr, int rport)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sct_bind(fd, family, laddr, lport))
		TH_LOG("bind %s:%d: %s", laddr, lport, strerror(errno));
	len = sct_sockaddr(family, raddr, rport, &ss);
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&ss, len))
		TH_LOG("connect %s:%d -> %s:%d: %s", laddr, lport, raddr,
		       rport, strerror(errno));
	return fd;
}

static unsigned long long sc_inode(struct __test_metadata *_metadata, int fd)
{
	struct stat st;

	ASSERT_EQ(0, fstat(fd, &st));
	return (unsigned long long)st.st_ino;
}

/* TIME_WAIT entries in this namespace's /proc/net/tcp and tcp6. */
static int sc_count_tw(void)
{
	static const char * const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];
	unsigned int i, st;
	int n = 0;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " %*s %*s %*s %x", &st) == 1 && st == 6)
				n++;
		fclose(f);
	}
	return n;
}

/* ---- namespaces and the module ---- */

/* struct in6_ifreq of <linux/ipv6.h>, which clashes with <netinet/in.h> */
struct sc_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static int sc_add_addr6(const char *addr)
{
	struct sc_in6_ifreq ifr;
	int fd, ret;

	memset(&ifr, 0, sizeof(ifr));
	if (inet_pton(AF_INET6, addr, &ifr.addr) != 1)
		return -1;
	ifr.prefixlen = 128;
	ifr.ifindex = if_nametoindex("lo");
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, SIOCSIFADDR, &ifr);
	close(fd);
	return ret;
}

/* ---- the fixture ---- */

FIXTURE(selfconn) {
	int orig_netns;		/* the namespace the test started in */
	unsigned long taint;
	bool skipped;
};

FIXTURE_VARIANT(selfconn) {
	int family;
	const char *fam;	/* family column */
	const char *addr;	/* the self-connect address */
	const char *other;	/* a second local address, for distractors */
	bool add_other;		/* other must be added to lo */
};

FIXTURE_VARIANT_ADD(selfconn, ipv4) {
	.family = AF_INET,
	.fam = "inet",
	.addr = "127.0.0.1",
	.other = "127.0.0.2",
};

FIXTURE_VARIANT_ADD(selfconn, ipv6) {
	.family = AF_INET6,
	.fam = "inet6",
	.addr = "::1",
	.other = "fd00:5e1f::2",	/* ULA on lo, inside the test netns */
	.add_other = true,
};

FIXTURE_VARIANT_ADD(selfconn, v4mapped) {
	.family = AF_INET6,
	.fam = "inet6",
	.addr = "::ffff:127.0.0.1",
	.other = "::ffff:127.0.0.2",
};

FIXTURE_SETUP(selfconn)
{
	self->orig_netns = -1;
	self->taint = sct_taint();
	if (geteuid()) {
		self->skipped = true;
		SKIP(return, "needs root (network namespaces, module reload)");
	}
	ASSERT_TRUE(sct_module_loaded())
		TH_LOG("%s missing: load selfconn.ko first", SC_PROC);
	if (variant->family == AF_INET6 && sct_ipv6_missing()) {
		self->skipped = true;
		SKIP(return, "no IPv6 in this kernel");
	}
	self->orig_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->orig_netns);
	ASSERT_EQ(0, sct_new_netns()) TH_LOG("new netns: %s", strerror(errno));
	if (variant->add_other)
		ASSERT_EQ(0, sc_add_addr6(variant->other))
			TH_LOG("add %s to lo: %s", variant->other, strerror(errno));
}

FIXTURE_TEARDOWN(selfconn)
{
	unsigned long bad;

	/* Whatever a reload test did, leave the module loaded. */
	if (!self->skipped && !sct_module_loaded()) {
		int ret = sct_module_load(sct_module_ko(), "");

		/* no TH_LOG after EXPECT here: after a failed ASSERT the
		 * harness would print it even when the EXPECT holds
		 */
		if (ret)
			TH_LOG("reloading %s: %s", SC_MODNAME, strerror(-ret));
		EXPECT_EQ(0, ret);
	}
	bad = sct_taint() & ~self->taint & SCT_BAD_TAINTS;
	if (bad)
		TH_LOG("kernel tainted during the test (new taint bits 0x%lx): see dmesg", bad);
	EXPECT_EQ(0UL, bad);
	if (self->orig_netns >= 0)
		close(self->orig_netns);
}

/* A setup SKIP does not stop the 6.1 harness from running the test body. */
#define SC_SKIP_IF_SKIPPED() do { if (self->skipped) return; } while (0)

/* ---- tests ---- */

/* A fresh namespace has nothing to list: header and columns only. */
TEST_F_TIMEOUT(selfconn, empty_netns, SC_TIMEOUT)
{
	struct sc_table t = {};

	SC_SKIP_IF_SKIPPED();
	sc_read(_metadata, &t);
	EXPECT_EQ(0ULL, t.rows_hdr);
	EXPECT_EQ(0, t.nrows);
	if (t.nrows)
		sc_dump(_metadata, &t);
	sc_table_free(&t);
}

/* bind+connect to itself: one ESTAB row, right family/address/uid/inode. */
TEST_F_TIMEOUT(selfconn, established, SC_TIMEOUT)
{
	struct sc_table t = {};
	char a[96];
	int fd;

	SC_SKIP_IF_SKIPPED();
	fd = sc_self_connect(_metadata, variant->family, variant->addr, 18082);
	sc_read(_metadata, &t);
	sc_expect_row(_metadata, &t, variant->fam,
		      sct_addrstr(variant->family, variant->addr, 18082, a, sizeof(a)),
		      "ESTAB", geteuid(), sc_inode(_metadata, fd));
	EXPECT_EQ(1, t.nrows);
	close(fd);
	sc_table_free(&t);
}

/* The uid column is the socket's owner, not the reader's. */
TEST_F_TIMEOUT(selfconn, uid_is_owner, SC_TIMEOUT)
{
	struct sc_table t = {};
	char a[96];
	int fd;

	SC_SKIP_IF_SKIPPED();
	fd = sc_self_connect_uid(_metadata, variant->family, variant->addr,
				 18083, SC_TEST_UID);
	sc_read(_metadata, &t);
	sc_expect_row(_metadata, &t, variant->fam,
		      sct_addrstr(variant->family, variant->addr, 18083, a, sizeof(a)),
		      "ESTAB", SC_TEST_UID, sc_inode(_metadata, fd));
	close(fd);
	sc_table_free(&t);
}

static unsigned long long sc_overflowuid(void)
{
	unsigned long long v = 65534;
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "re");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 65534;
		fclose(f);
	}
	return v;
}

/*
 * The uid column is in the reader's user namespace: a reader in a user
 * namespace mapping its uid 0 to SC_TEST_UID sees SC_TEST_UID's socket as 0
 * and root's (unmapped there) as the overflow uid.
 */
TEST_F_TIMEOUT(selfconn, uid_in_reader_userns, SC_TIMEOUT)
{
	int fu, fr, p2c[2], c2p[2], status, mfd;
	char au[96], ar[96], path[64], res[256], c;
	unsigned long long uu, ur;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	SC_SKIP_IF_SKIPPED();
	sct_addrstr(variant->family, variant->addr, 18086, au, sizeof(au));
	sct_addrstr(variant->family, variant->addr, 18087, ar, sizeof(ar));
	fu = sc_self_connect_uid(_metadata, variant->family, variant->addr,
				 18086, SC_TEST_UID);
	fr = sc_self_connect_uid(_metadata, variant->family, variant->addr,
				 18087, 0);
	ASSERT_EQ(0, pipe2(p2c, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(c2p, O_CLOEXEC));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sc_table ct = {};
		const struct sc_row *ru, *rr;
		int fd, ret;

		close(p2c[1]);
		close(c2p[0]);
		if (unshare(CLONE_NEWUSER)) {
			dprintf(c2p[1], "S unshare(CLONE_NEWUSER): %s", strerror(errno));
			_exit(0);
		}
		/* the parent writes our uid_map, then says go */
		if (write(c2p[1], "R", 1) != 1 || read(p2c[0], &c, 1) != 1)
			_exit(1);
		fd = open(SC_PROC, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			dprintf(c2p[1], "E open: %s", strerror(errno));
			_exit(0);
		}
		ret = sc_read_fd(fd, 4096, &ct.text, &ct.len);
		if (ret) {
			dprintf(c2p[1], "E read: %s", strerror(-ret));
			_exit(0);
		}
		if (sc_parse(&ct)) {
			dprintf(c2p[1], "E parse: %s", ct.err);
			_exit(0);
		}
		ru = sc_find(&ct, variant->fam, au);
		rr = sc_find(&ct, variant->fam, ar);
		if (!ru || !rr) {
			dprintf(c2p[1], "E rows missing: %s", ct.text);
			_exit(0);
		}
		dprintf(c2p[1], "U %llu %llu", ru->uid, rr->uid);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	n = read(c2p[0], res, 1);
	if (n == 1 && res[0] == 'R') {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
		mfd = open(path, O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, mfd) TH_LOG("open %s: %s", path, strerror(errno));
		ASSERT_LT(0, dprintf(mfd, "0 %d 1\n", SC_TEST_UID))
			TH_LOG("write %s: %s", path, strerror(errno));
		close(mfd);
		ASSERT_EQ(1, write(p2c[1], "G", 1));
		n = 0;
	} else if (n == 1) {
		got = 1;
	}
	while (got < sizeof(res) - 1 && (n = read(c2p[0], res + got, sizeof(res) - 1 - got)) > 0)
		got += n;
	res[got] = '\0';
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(p2c[1]);
	close(c2p[0]);
	if (res[0] == 'S')
		SKIP(goto out, "%s", res + 2);
	ASSERT_EQ('U', res[0]) TH_LOG("reader in the user namespace: %s", res);
	ASSERT_EQ(2, sscanf(res + 2, "%llu %llu", &uu, &ur));
	EXPECT_EQ(0ULL, uu) TH_LOG("uid %d's socket, as seen from a userns mapping 0 to it",
				   SC_TEST_UID);
	EXPECT_EQ(sc_overflowuid(), ur) TH_LOG("root's socket, as seen from a userns without root");
out:
	close(fu);
	close(fr);
}

/* After close() the self-connect goes to TIME-WAIT and is still listed. */
TEST_F_TIMEOUT(selfconn, time_wait, SC_TIMEOUT)
{
	struct sc_table t = {};
	const struct sc_row *r;
	long long t1;
	char a[96];
	int fd, i;

	SC_SKIP_IF_SKIPPED();
	sct_addrstr(variant->family, variant->addr, 18084, a, sizeof(a));
	fd = sc_self_connect(_metadata, variant->family, variant->addr, 18084);
	ASSERT_EQ(0, close(fd));

	ASSERT_TRUE(sc_wait_count(_metadata, &t, variant->fam, a, "TIME-WAIT", 1));
	if (t.nrows != 1)
		sc_dump(_metadata, &t);
	ASSERT_EQ(1, t.nrows);	/* the ESTAB row is gone, nothing else */
	r = &t.rows[0];
	EXPECT_EQ(0ULL, r->uid);
	EXPECT_EQ(0ULL, r->inode);
	EXPECT_LT(0, r->timer_ms);
	EXPECT_GE(SC_TW_MAX_MS, r->timer_ms);
	t1 = r->timer_ms;

	/*
	 * The timer counts down. A segment that reaches the timewait socket
	 * re-arms it (tcp_timewait_state_process() -> inet_twsk_reschedule()):
	 * on a slow guest the self-connect's own retransmitted FIN can, so one
	 * interval in three must show the countdown.
	 */
	for (i = 0; i < 3; i++) {
		usleep(1200000);
		sc_read(_metadata, &t);
		r = sc_find(&t, variant->fam, a);
		ASSERT_NE(NULL, r);
		ASSERT_STREQ("TIME-WAIT", r->state);
		TH_LOG("timer_ms %lld, 1.2 s later %lld", t1, r->timer_ms);
		if (r->timer_ms <= t1 - 1000)
			break;
		t1 = r->timer_ms;
	}
	EXPECT_GT(3, i) TH_LOG("timer_ms never went down by 1 s in 1.2 s");
	sc_table_free(&t);
}

/*
 * Sockets that share an address or a port without being connected to
 * themselves are never listed, in any state:
 *  - client ADDR:P -> OTHER:P (same port, different address) and the
 *    accepted socket OTHER:P -> ADDR:P;
 *  - listener ADDR:P2 and its accepted socket ADDR:P2 <- ADDR:Q (same
 *    address, two sockets on port P2), the client ADDR:Q -> ADDR:P2, and an
 *    ephemeral client;
 *  - a lone listener;
 *  - the clients' TIME-WAIT entries after they close.
 * Then a real self-connect among them is listed, alone.
 */
TEST_F_TIMEOUT(selfconn, distractors, SC_TIMEOUT)
{
	const int P = 18090, P2 = 18091, Q = 18092, P3 = 18093, P4 = 18094;
	int l1, c1, a1, l2, c2, a2, c3, a3, l3, s;
	const int fam = variant->family;
	const char *addr = variant->addr, *other = variant->other;
	struct sc_table t = {};
	char a[96];
	int waited;

	SC_SKIP_IF_SKIPPED();
	l1 = sc_listener(_metadata, fam, other, P);
	c1 = sc_client(_metadata, fam, addr, P, other, P);
	a1 = accept(l1, NULL, NULL);
	ASSERT_LE(0, a1);
	l2 = sc_listener(_metadata, fam, addr, P2);
	c2 = sc_client(_metadata, fam, addr, Q, addr, P2);
	a2 = accept(l2, NULL, NULL);
	ASSERT_LE(0, a2);
	c3 = sc_client(_metadata, fam, addr, 0, addr, P2);
	a3 = accept(l2, NULL, NULL);
	ASSERT_LE(0, a3);
	l3 = sc_listener(_metadata, fam, addr, P3);

	sc_read(_metadata, &t);
	if (t.nrows)
		sc_dump(_metadata, &t);
	ASSERT_EQ(0, t.nrows) TH_LOG("distractors listed while ESTABLISHED");

	/* Active close by the clients: they go to TIME-WAIT. */
	close(c1);
	close(c2);
	close(c3);
	close(a1);
	close(a2);
	close(a3);
	for (waited = 0; sc_count_tw() < 3 && waited < SC_WAIT_MS; waited += 20)
		usleep(20000);
	ASSERT_LE(3, sc_count_tw()) TH_LOG("clients never reached TIME_WAIT");
	sc_read(_metadata, &t);
	if (t.nrows)
		sc_dump(_metadata, &t);
	ASSERT_EQ(0, t.nrows) TH_LOG("distractors listed in TIME-WAIT");

	/* A true self-connect among them is found, and only it. */
	s = sc_self_connect(_metadata, fam, addr, P4);
	sc_read(_metadata, &t);
	sc_expect_row(_metadata, &t, variant->fam,
		      sct_addrstr(fam, addr, P4, a, sizeof(a)), "ESTAB",
		      geteuid(), sc_inode(_metadata, s));
	EXPECT_EQ(1, t.nrows);
	close(s);
	close(l1);
	close(l2);
	close(l3);
	sc_table_free(&t);
}

/* ESTAB and TIME-WAIT self-connects together: each listed once, rows=N. */
TEST_F_TIMEOUT(selfconn, mixed_states, SC_TIMEOUT)
{
	unsigned long long ino[5];
	struct sc_table t = {};
	int fd[5], i;
	char a[96];

	SC_SKIP_IF_SKIPPED();
	for (i = 0; i < 5; i++) {
		fd[i] = sc_self_connect(_metadata, variant->family,
					variant->addr, 18100 + i);
		ino[i] = sc_inode(_metadata, fd[i]);
	}
	close(fd[1]);
	close(fd[3]);
	ASSERT_TRUE(sc_wait_count(_metadata, &t, variant->fam, NULL, "TIME-WAIT", 2));
	EXPECT_EQ(5ULL, t.rows_hdr);
	ASSERT_EQ(5, t.nrows);
	for (i = 0; i < 5; i++) {
		const struct sc_row *r;

		sct_addrstr(variant->family, variant->addr, 18100 + i, a, sizeof(a));
		r = sc_find(&t, variant->fam, a);
		ASSERT_NE(NULL, r) TH_LOG("%s missing", a);
		EXPECT_EQ(1, sc_count(&t, NULL, a, NULL));
		if (i == 1 || i == 3) {
			EXPECT_STREQ("TIME-WAIT", r->state);
		} else {
			EXPECT_STREQ("ESTAB", r->state);
			EXPECT_EQ(ino[i], r->inode);
		}
	}
	if (!_metadata->passed)
		sc_dump(_metadata, &t);
	for (i = 0; i < 5; i++)
		if (i != 1 && i != 3)
			close(fd[i]);
	sc_table_free(&t);
}

/*
 * A namespace sees its own self-connects only: A's is invisible from B and
 * from the namespace the test started in, B's from A.
 */
TEST_F_TIMEOUT(selfconn, netns_isolation, SC_TIMEOUT)
{
	const int PA = 18110, PB = 18111;
	struct sc_table t = {};
	char aa[96], ab[96];
	int fa, fb, ns_a;

	SC_SKIP_IF_SKIPPED();
	sct_addrstr(variant->family, variant->addr, PA, aa, sizeof(aa));
	sct_addrstr(variant->family, variant->addr, PB, ab, sizeof(ab));

	/* A: the fixture's namespace */
	fa = sc_self_connect(_metadata, variant->family, variant->addr, PA);
	ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ns_a);

	/* B: another fresh one */
	ASSERT_EQ(0, sct_new_netns());
	fb = sc_self_connect(_metadata, variant->family, variant->addr, PB);
	sc_read(_metadata, &t);
	sc_expect_row(_metadata, &t, variant->fam, ab, "ESTAB", geteuid(),
		      sc_inode(_metadata, fb));
	EXPECT_EQ(1, t.nrows) TH_LOG("B sees more than its own socket");

	/* the starting namespace sees neither */
	ASSERT_EQ(0, setns(self->orig_netns, CLONE_NEWNET));
	sc_read(_metadata, &t);
	EXPECT_EQ(0, sc_count(&t, NULL, aa, NULL)) TH_LOG("A's %s seen from the initial netns", aa);
	EXPECT_EQ(0, sc_count(&t, NULL, ab, NULL)) TH_LOG("B's %s seen from the initial netns", ab);

	/* A sees its own only */
	ASSERT_EQ(0, setns(ns_a, CLONE_NEWNET));
	sc_read(_metadata, &t);
	sc_expect_row(_metadata, &t, variant->fam, aa, "ESTAB", geteuid(),
		      sc_inode(_metadata, fa));
	EXPECT_EQ(1, t.nrows) TH_LOG("A sees more than its own socket");
	if (!_metadata->passed)
		sc_dump(_metadata, &t);

	close(fa);
	close(fb);
	close(ns_a);
	sc_table_free(&t);
}

#define SC_MANY 300
#define SC_MANY_BASE 20000

/* Open SC_MANY self-connects on consecutive ports; fds and inodes out. */
static void sc_many(struct __test_metadata *_metadata, int family,
		    const char *addr, int *fd, unsigned long long *ino, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fd[i] = sc_self_connect(_metadata, family, addr, SC_MANY_BASE + i);
		ino[i] = sc_inode(_metadata, fd[i]);
	}
}

/* Each port of the range listed once in `state`, with its inode unless TW. */
static void sc_expect_many(struct __test_metadata *_metadata,
			   const struct sc_table *t, const char *fam, int family,
			   const char *addr, const unsigned long long *ino,
			   int from, int to, const char *state)
{
	char a[96];
	int i;

	for (i = from; i < to; i++) {
		const struct sc_row *r;

		sct_addrstr(family, addr, SC_MANY_BASE + i, a, sizeof(a));
		r = sc_find(t, fam, a);
		ASSERT_NE(NULL, r) TH_LOG("%s %s not listed", fam, a);
		ASSERT_EQ(1, sc_count(t, NULL, a, NULL)) TH_LOG("%s listed twice", a);
		ASSERT_STREQ(state, r->state) TH_LOG("%s", a);
		if (ino)
			ASSERT_EQ(ino[i], r->inode) TH_LOG("%s", a);
	}
}

/* 1-byte, 4 KiB and 1 MiB reads of a file larger than a page agree. */
TEST_F_TIMEOUT(selfconn, read_sizes, SC_TIMEOUT)
{
	static const size_t chunks[] = { 1, 7, 4096, 1 << 20 };
	unsigned long long ino[SC_MANY];
	struct sc_table ref = {}, t = {};
	int fd[SC_MANY], i;
	unsigned int c;

	SC_SKIP_IF_SKIPPED();
	sc_many(_metadata, variant->family, variant->addr, fd, ino, SC_MANY);

	sc_read_chunked(_metadata, &ref, 4096);
	ASSERT_EQ((unsigned long long)SC_MANY, ref.rows_hdr);
	ASSERT_EQ(SC_MANY, ref.nrows);
	ASSERT_LT(8192, ref.len) TH_LOG("output should span pages: more sockets");
	sc_expect_many(_metadata, &ref, variant->fam, variant->family,
		       variant->addr, ino, 0, SC_MANY, "ESTAB");

	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		sc_read_chunked(_metadata, &t, chunks[c]);
		EXPECT_EQ(ref.len, t.len) TH_LOG("%zu-byte reads: length differs", chunks[c]);
		EXPECT_EQ(0, memcmp(ref.text, t.text, ref.len < t.len ? ref.len : t.len))
			TH_LOG("%zu-byte reads: contents differ from 4 KiB reads", chunks[c]);
	}
	for (i = 0; i < SC_MANY; i++)
		close(fd[i]);
	sc_table_free(&ref);
	sc_table_free(&t);
}

/*
 * A read from offset 0 takes a snapshot; the rest of that read comes from
 * it even when sockets come and go in between, so rows=N matches the rows.
 */
TEST_F_TIMEOUT(selfconn, snapshot, SC_TIMEOUT)
{
	const int n = 100, more = 20, gone = 20;
	unsigned long long ino[100 + 20];
	int fd[100 + 20], pfd, i, ret;
	struct sc_table t = {};
	char head[16];
	char *rest;
	size_t restlen;

	SC_SKIP_IF_SKIPPED();
	sc_many(_metadata, variant->family, variant->addr, fd, ino, n);

	pfd = open(SC_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pfd);
	ASSERT_EQ((ssize_t)sizeof(head), read(pfd, head, sizeof(head)));

	/* change the table: 20 new ESTAB, 20 old ones to TIME-WAIT */
	for (i = n; i < n + more; i++) {
		fd[i] = sc_self_connect(_metadata, variant->family,
					variant->addr, SC_MANY_BASE + i);
		ino[i] = sc_inode(_metadata, fd[i]);
	}
	for (i = 0; i < gone; i++)
		close(fd[i]);
	usleep(200000);

	ret = sc_read_fd(pfd, 4096, &rest, &restlen);
	ASSERT_EQ(0, ret) TH_LOG("read: %s", strerror(-ret));
	close(pfd);
	t.len = sizeof(head) + restlen;
	t.text = malloc(t.len + 1);
	ASSERT_NE(NULL, t.text);
	memcpy(t.text, head, sizeof(head));
	memcpy(t.text + sizeof(head), rest, restlen + 1);
	free(rest);
	ret = sc_parse(&t);
	if (ret)
		sc_dump(_metadata, &t);
	ASSERT_EQ(0, ret) TH_LOG("%s", t.err);
	if (t.nrows != n)
		sc_dump(_metadata, &t);
	ASSERT_EQ(n, t.nrows) TH_LOG("the read did not come from one snapshot");
	sc_expect_many(_metadata, &t, variant->fam, variant->family,
		       variant->addr, ino, 0, n, "ESTAB");

	/* a new read sees the new table */
	ASSERT_TRUE(sc_wait_count(_metadata, &t, variant->fam, NULL, "TIME-WAIT", gone));
	ASSERT_EQ(n + more, t.nrows);
	sc_expect_many(_metadata, &t, variant->fam, variant->family,
		       variant->addr, NULL, 0, gone, "TIME-WAIT");
	sc_expect_many(_metadata, &t, variant->fam, variant->family,
		       variant->addr, ino, gone, n + more, "ESTAB");
	for (i = gone; i < n + more; i++)
		close(fd[i]);
	sc_table_free(&t);
}

/* rmmod + insmod with self-connects alive: they are listed again after. */
TEST_F_TIMEOUT(selfconn, reload_keeps_sockets, SC_TIMEOUT)
{
	unsigned long long ino[3];
	struct sc_table t = {};
	const char *ko = sct_module_ko();
	int fd[3], i, ret;
	char a[96];

	SC_SKIP_IF_SKIPPED();
	if (!ko)
		SKIP(return, "SELFCONN_KO not set or not readable");
	for (i = 0; i < 3; i++) {
		fd[i] = sc_self_connect(_metadata, variant->family,
					variant->addr, 18120 + i);
		ino[i] = sc_inode(_metadata, fd[i]);
	}
	close(fd[2]);
	ASSERT_TRUE(sc_wait_count(_metadata, &t, variant->fam, NULL, "TIME-WAIT", 1));

	ret = sct_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("delete_module(%s): %s", SC_MODNAME, strerror(-ret));
	EXPECT_EQ(-1, open(SC_PROC, O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(ENOENT, errno) TH_LOG("%s still there after rmmod", SC_PROC);
	ret = sct_module_load(ko, "");
	ASSERT_EQ(0, ret) TH_LOG("finit_module(%s): %s", ko, strerror(-ret));

	sc_read(_metadata, &t);
	ASSERT_EQ(3, t.nrows);
	for (i = 0; i < 2; i++)
		sc_expect_row(_metadata, &t, variant->fam,
			      sct_addrstr(variant->family, variant->addr, 18120 + i,
					 a, sizeof(a)),
			      "ESTAB", geteuid(), ino[i]);
	sct_addrstr(variant->family, variant->addr, 18122, a, sizeof(a));
	EXPECT_EQ(1, sc_count(&t, variant->fam, a, "TIME-WAIT"));
	close(fd[0]);
	close(fd[1]);
	sc_table_free(&t);
}

/*
 * A reader holding /proc/selfconn open across rmmod: its next read fails
 * with EIO (mid-file and before its first read alike), close works, the
 * file is gone until insmod, then a new open works.
 */
TEST_F_TIMEOUT(selfconn, reader_across_rmmod, SC_TIMEOUT)
{
	struct sc_table t = {};
	const char *ko = sct_module_ko();
	int s, mid, fresh, ret;
	char buf[64], a[96];
	ssize_t n;

	SC_SKIP_IF_SKIPPED();
	if (!ko)
		SKIP(return, "SELFCONN_KO not set or not readable");
	s = sc_self_connect(_metadata, variant->family, variant->addr, 18130);

	mid = open(SC_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mid);
	ASSERT_EQ(8, read(mid, buf, 8));	/* snapshot taken, mid-file */
	fresh = open(SC_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fresh);

	ret = sct_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("delete_module(%s) with a reader open: %s",
				 SC_MODNAME, strerror(-ret));

	n = read(mid, buf, sizeof(buf));
	EXPECT_EQ(-1, n) TH_LOG("read mid-file after rmmod returned %zd", n);
	EXPECT_EQ(EIO, errno) TH_LOG("read mid-file after rmmod: %s", strerror(errno));
	n = read(fresh, buf, sizeof(buf));
	EXPECT_EQ(-1, n) TH_LOG("first read after rmmod returned %zd", n);
	EXPECT_EQ(EIO, errno) TH_LOG("first read after rmmod: %s", strerror(errno));
	EXPECT_EQ(0, close(mid));
	EXPECT_EQ(0, close(fresh));
	EXPECT_EQ(-1, open(SC_PROC, O_RDONLY | O_CLOEXEC));

	ret = sct_module_load(ko, "");
	ASSERT_EQ(0, ret) TH_LOG("finit_module(%s): %s", ko, strerror(-ret));
	sc_read(_metadata, &t);
	sc_expect_row(_metadata, &t, variant->fam,
		      sct_addrstr(variant->family, variant->addr, 18130, a, sizeof(a)),
		      "ESTAB", geteuid(), sc_inode(_metadata, s));
	close(s);
	sc_table_free(&t);
}

/*
 * Readers keep opening and reading while the module is unloaded and loaded
 * again, several times: every read either fails cleanly (ENOENT at open,
 * EIO at read) or returns a complete, valid table with our socket in it.
 */
TEST_F_TIMEOUT(selfconn, reload_while_reading, SC_TIMEOUT)
{
	const char *ko = sct_module_ko();
	struct sc_table t = {};
	int s, stop[2], status, i, ret;
	char a[96];
	pid_t pid;

	SC_SKIP_IF_SKIPPED();
	if (!ko)
		SKIP(return, "SELFCONN_KO not set or not readable");
	s = sc_self_connect(_metadata, variant->family, variant->addr, 18140);
	sct_addrstr(variant->family, variant->addr, 18140, a, sizeof(a));
	ASSERT_EQ(0, pipe(stop));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned long full = 0, enoent = 0, eio = 0, partial = 0;
		struct pollfd pfd = { .fd = stop[0], .events = POLLIN };
		struct sc_table ct = {};

		close(stop[1]);
		while (poll(&pfd, 1, 0) == 0) {
			size_t chunk = (full + eio) % 2 ? 1 : 4096;
			int fd = open(SC_PROC, O_RDONLY | O_CLOEXEC);

			if (fd < 0) {
				if (errno != ENOENT) {
					fprintf(stderr, "# reader: open: %s\n", strerror(errno));
					_exit(2);
				}
				enoent++;
				continue;
			}
			sc_table_free(&ct);
			ret = sc_read_fd(fd, chunk, &ct.text, &ct.len);
			close(fd);
			if (ret == -EIO) {
				eio++;
				continue;
			}
			if (ret) {
				fprintf(stderr, "# reader: read: %s\n", strerror(-ret));
				_exit(2);
			}
			/* EOF: an empty file can only mean a cut-short read */
			if (!ct.len) {
				partial++;
				continue;
			}
			if (sc_parse(&ct)) {
				fprintf(stderr, "# reader: bad table: %s\n", ct.err);
				_exit(3);
			}
			if (sc_count(&ct, variant->fam, a, "ESTAB") != 1) {
				fprintf(stderr, "# reader: %s missing from a full read\n", a);
				_exit(4);
			}
			full++;
		}
		fprintf(stderr, "# reader: %lu full reads, %lu EIO, %lu ENOENT, %lu empty\n",
			full, eio, enoent, partial);
		_exit(full ? 0 : 5);
	}
	close(stop[0]);

	for (i = 0; i < 5; i++) {
		usleep(100000);
		ret = sct_module_unload();
		if (ret)
			break;
		usleep(50000);
		ret = sct_module_load(ko, "");
		if (ret)
			break;
	}
	usleep(500000);
	close(stop[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, ret) TH_LOG("cycle %d: %s", i, strerror(-ret));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("reader died: status 0x%x", status);
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("reader failed (see its log above)");

	sc_read(_metadata, &t);
	EXPECT_EQ(1, sc_count(&t, variant->fam, a, "ESTAB"));
	close(s);
	sc_table_free(&t);
}

TEST_HARNESS_MAIN
