// SPDX-License-Identifier: GPL-2.0
/*
 * The port report of /proc/selfconn: sections checked against the real sockets, verdicts (for an
 * IPv4 bind(0.0.0.0:P), as the module does) against what bind() and connect() do. Each test has
 * a fresh netns, where ip_local_port_range "P P" makes connect() autobind to P.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdarg.h>

#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define PR_PORT		18084	/* the port under study */
#define PR_PORT2	18086
#define PR_PORT3	18088
#define PR_PORT4	18094
#define PR_PEER		18090	/* a set-up's listener elsewhere */
#define PR_PEER2	18098
#define PR_PROBE	18092	/* where the verdict check's connect() goes */
#define PR_SELF		18096	/* a self-connect, for a listing row */
#define PR_UID		4242

/* The last read (sct_query() frees it before the next), dumped by the failure logs. */
static struct sct_file pr_f;

/* l has "SECTION POS... KEY=VAL... | ...": POS ("*": any) first, KEY=VAL among its fields. */
static bool pr_matches(const struct sct_line *l, const char *spec)
{
	char buf[512], *tok, *save = NULL, *eq;
	const char *v;
	int i = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	tok = strtok_r(buf, " ", &save);
	if (!tok || strcmp(l->section, tok))
		return false;
	while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "|")) {
		eq = strchr(tok, '=');
		if (eq) {
			*eq = '\0';
			v = sct_kv(l, tok);
			if (!v || strcmp(v, eq + 1))
				return false;
			continue;
		}
		if (strcmp(tok, "*") && (i >= l->npos || strcmp(l->pos[i], tok)))
			return false;
		i++;
	}
	return true;
}

static int pr_count(const struct sct_report *r, const char *spec)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += pr_matches(&r->lines[i], spec);
	return n;
}

static const struct sct_line *pr_first(const struct sct_report *r, const char *spec)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (pr_matches(&r->lines[i], spec))
			return &r->lines[i];
	return NULL;
}

static long pr_kv_num(const struct sct_line *l, const char *key)
{
	return strtol(sct_kv(l, key) ?: "-1", NULL, 10);
}

/* bhash2 arrived in 6.1: before, a report says so where its lines would be. */
#define pr_has_bhash2()	sct_kernel_at_least(6, 1)

/*
 * From 6.8 ("tcp: Link bhash2 to bhash") inet_csk_get_port() links the new bhash2 bucket to
 * tb->bhash2 before inet_csk_update_fastreuse() tests hlist_empty(&tb->bhash2), so a bind() never
 * sets fastreuse 1 or fastreuseport FASTREUSEPORT_ANY: they stay 0, SO_REUSEPORT makes 2 (STRICT).
 */
static const char *pr_kernel_value(const char *key, const char *want)
{
	if (!pr_has_bhash2() && !strcmp(key, "bhash2_buckets"))
		return "0";
	if (sct_kernel_at_least(6, 8) && !strcmp(want, "1")) {
		if (!strcmp(key, "fastreuse"))
			return "0";
		if (!strcmp(key, "fastreuseport"))
			return "2";
	}
	return want;
}

/* ---- checking reports ---- */

/* Starts with bhash, ends with the one summary, one line per verdict. */
static const char *pr_check_shape(const struct sct_report *r)
{
	if (!r->n || strcmp(r->lines[0].section, "bhash"))
		return "first line is not bhash";
	if (strcmp(r->lines[r->n - 1].section, "summary") ||
	    pr_count(r, "summary") != 1 || pr_count(r, "bhash") != 1)
		return "not exactly one bhash line and one summary line, last";
	if (pr_count(r, "verdict bind") != 1 || pr_count(r, "verdict bind-reuseaddr") != 1 ||
	    pr_count(r, "verdict connect-autobind") != 1 || pr_count(r, "verdict") != 3)
		return "not one verdict line each of bind, bind-reuseaddr and connect-autobind";
	return NULL;
}

/* The summary and bhash counts agree with the lines. */
static const char *pr_check_counts(const struct sct_report *r)
{
	const struct sct_line *s = pr_first(r, "summary"), *b = pr_first(r, "bhash");
	const struct sct_line *b2 = pr_first(r, "bhash2");
	int owners = pr_count(r, "bhash-owner");
	int buckets = pr_count(r, "bhash2");

	if (b2 && (!strcmp(b2->pos[0], "truncated") || !strcmp(b2->pos[0], "none")))
		buckets--;
	if (b->npos == 1 && !strcmp(b->pos[0], "none") ? owners != 0 :
	    pr_kv_num(b, "owners") != owners)
		return "bhash owners= differs from the bhash-owner lines";
	if (pr_kv_num(s, "bhash_owners") != owners ||
	    pr_kv_num(s, "bhash2_buckets") != buckets ||
	    pr_kv_num(s, "listeners") != pr_count(r, "listener") ||
	    pr_kv_num(s, "ehash_local") != pr_count(r, "ehash-local") ||
	    pr_kv_num(s, "ehash_remote") != pr_count(r, "ehash-remote") ||
	    pr_kv_num(s, "timewait") != pr_count(r, "bhash-owner via=-"))
		return "summary counts differ from the lines";
	return NULL;
}

/* owners + timewait bhash2-owner lines follow a bhash2 bucket; no bhash2: "bhash2 none". */
static const char *pr_check_bhash2(const struct sct_report *r)
{
	int i, j, want = strcmp(pr_first(r, "bhash")->pos[0], "none") ? 1 : 0;

	if (!pr_has_bhash2())
		return !pr_count(r, "bhash2-owner") && pr_count(r, "bhash2") == want &&
		       pr_count(r, "bhash2 none reason=no-bhash2-in-this-kernel") == want ? NULL :
		       "a kernel without bhash2 has one 'bhash2 none' line a bhash bucket";
	if (pr_count(r, "bhash2 none"))
		return "'bhash2 none' on a kernel with bhash2";

	for (i = 0; i < r->n; i++) {
		const struct sct_line *l = &r->lines[i];

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

/* A bind verdict (spec) that fails names a blocker that is a bhash owner. */
static const char *pr_check_blocker(const struct sct_report *r, const char *spec)
{
	const struct sct_line *v = pr_first(r, spec);
	const char *res = sct_kv(v, "result"), *ino = sct_kv(v, "inode");
	char owner[256];

	if (!res || (strcmp(res, "ok") && strcmp(res, "EADDRINUSE")))
		return "bind verdict result is neither ok nor EADDRINUSE";
	if (!strcmp(res, "ok"))
		return v->npos == 1 && !ino ? NULL : "bind verdict ok with a blocker";
	if (v->npos != 5 || strcmp(v->pos[1], "blocker") || !ino)
		return "EADDRINUSE verdict without 'blocker FAMILY ADDR STATE inode=N'";
	snprintf(owner, sizeof(owner), "bhash-owner %s %s %s inode=%s", v->pos[2], v->pos[3],
		 v->pos[4], ino);
	return pr_count(r, owner) ? NULL : "the blocker is not one of the bhash owners";
}

static const char *pr_check_connect(const struct sct_report *r)
{
	static const char * const ok[] = { "free", "new-4-tuple-only", NULL };
	static const char * const no[] = {
		"outside-ip_local_port_range", "ip_local_reserved_ports", "bound-by-bind", NULL
	};
	const struct sct_line *v = pr_first(r, "verdict connect-autobind");
	const char *res = sct_kv(v, "result"), *why = sct_kv(v, "reason");

	if (!res || !why)
		return "connect-autobind without result= and reason=";
	if (strcmp(res, "ok") && strcmp(res, "no"))
		return "connect-autobind result is neither ok nor no";
	if (!sct_in_list(why, strcmp(res, "ok") ? no : ok))
		return "connect-autobind with a reason unknown for its result";
	return NULL;
}

static const char *pr_check(const struct sct_report *r)
{
	const char *why = pr_check_shape(r);

	why = why ?: pr_check_counts(r);
	why = why ?: pr_check_bhash2(r);
	why = why ?: pr_check_blocker(r, "verdict bind");
	why = why ?: pr_check_blocker(r, "verdict bind-reuseaddr");
	return why ?: pr_check_connect(r);
}

/* A read of port (0: a plain one) into f that returned ret: asserted, pr_check()ed. */
static const struct sct_report *pr_got(struct __test_metadata *_metadata, int ret, int port,
				       struct sct_file *f)
{
	const char *why = NULL;
	int i;

	if (ret == -EBADMSG)
		sct_dump(_metadata, f);
	ASSERT_EQ(0, ret) TH_LOG("read %d: %s", port, f->err[0] ? f->err : strerror(-ret));
	for (i = 0; i < f->nrep && !why; i++)
		why = pr_check(&f->rep[i]);
	if (why)
		sct_dump(_metadata, f);
	ASSERT_EQ(NULL, why) TH_LOG("%s: %s (port %d)", SCT_PROC, why, f->rep[i - 1].port);
	return &f->rep[0];
}

static const struct sct_report *pr_query(struct __test_metadata *_metadata, int port)
{
	return pr_got(_metadata, sct_query(port, &pr_f), port, &pr_f);
}

/*
 * Asserts that want lines of r match the spec fmt formats, and that the first (returned)
 * has each KEY=VAL after its "|", VAL as this kernel has it (pr_kernel_value()).
 */
static const struct sct_line *pr_n(struct __test_metadata *_metadata,
				   const struct sct_report *r, int want, const char *fmt, ...)
{
	char spec[512], *tok, *save = NULL, *eq;
	const char *got, *val;
	const struct sct_line *l;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	n = pr_count(r, spec);
	/* A kernel without bhash2 has none of its lines (pr_check_bhash2()). */
	if (!pr_has_bhash2() && !strncmp(spec, "bhash2", 6))
		want = 0;
	if (n != want) {
		TH_LOG("port %d: expected %d line(s) '%s', found %d", r->port, want, spec, n);
		sct_dump(_metadata, &pr_f);
	}
	ASSERT_EQ(want, n);
	l = pr_first(r, spec);
	tok = strchr(spec, '|');
	if (!l || !tok)
		return l;
	for (tok = strtok_r(tok + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		ASSERT_NE(NULL, eq);
		*eq = '\0';
		val = pr_kernel_value(tok, eq + 1);
		got = sct_kv(l, tok) ?: "(missing)";
		if (strcmp(got, val)) {
			TH_LOG("in '%s': expected %s=%s, got %s", l->text, tok, val, got);
			sct_dump(_metadata, &pr_f);
		}
		ASSERT_STREQ(val, got);
	}
	return l;
}

/* In the first report of the last read. */
#define PR_ONE(...)	pr_n(_metadata, &pr_f.rep[0], 1, __VA_ARGS__)
#define PR_NONE(...)	pr_n(_metadata, &pr_f.rep[0], 0, __VA_ARGS__)

/* States a connection passes through while it closes. */
static bool pr_transient(const struct sct_report *r)
{
	const char *p;
	int i, j;

	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->lines[i].npos; j++) {
			p = r->lines[i].pos[j];
			if (sct_is_state(p) && strcmp(p, "ESTAB") && strcmp(p, "TIME-WAIT"))
				return true;
		}
	return false;
}

/* pr_query() until no connection on port is half-closed. */
static void pr_query_settled(struct __test_metadata *_metadata, int port)
{
	int waited;

	for (waited = 0; pr_transient(pr_query(_metadata, port)) && waited < SCT_WAIT_MS;
	     waited += 20)
		usleep(20000);
	if (pr_transient(&pr_f.rep[0]))
		sct_dump(_metadata, &pr_f);
	ASSERT_FALSE(pr_transient(&pr_f.rep[0])) TH_LOG("connections on %d did not settle", port);
}

/* A plain read shows exactly the reports of the ports in want ("P P ..."), in that order. */
static void pr_watched(struct __test_metadata *_metadata, const char *want)
{
	char got[SCT_MAXREP * 6 + 1] = "";
	int i, o = 0;

	pr_query(_metadata, 0);
	for (i = 0; i < pr_f.nrep; i++)
		o += snprintf(got + o, sizeof(got) - o, "%s%d", i ? " " : "", pr_f.rep[i].port);
	if (strcmp(want, got))
		sct_dump(_metadata, &pr_f);
	ASSERT_STREQ(want, got) TH_LOG("the watched ports' reports");
}

#define PR_WATCHED(ports)	pr_watched(_metadata, (ports))

SCT_FIXTURE(port, true)

FIXTURE_VARIANT(port) {
	SCT_FAMILY_FIELDS;
	const char *v6only;	/* of a socket bound to addr */
};

FIXTURE_VARIANT_ADD(port, ipv4) { SCT_IPV4, .v6only = "v6only=0" };
/* bind() to a specific IPv6 address sets IPV6_V6ONLY (__inet6_bind()) */
FIXTURE_VARIANT_ADD(port, ipv6) { SCT_IPV6, .v6only = "v6only=1" };

/* Tests that mix families or do not depend on one. */
SCT_FIXTURE(ns, true)

/*
 * The verdict set-ups bind() to `bind`, connect() to `addr`. Bound to ::1 they are IPV6_V6ONLY,
 * never blocking an IPv4 bind(); bound to [::] without it they block it like IPv4 ones.
 */
SCT_FIXTURE(verdict, true)

FIXTURE_VARIANT(verdict) {
	SCT_FAMILY_FIELDS;
	const char *bind;
	bool bind_v6only;
};

FIXTURE_VARIANT_ADD(verdict, ipv4) { SCT_IPV4, .bind = "127.0.0.1" };
FIXTURE_VARIANT_ADD(verdict, ipv6) { SCT_IPV6, .bind = "::1", .bind_v6only = true };
FIXTURE_VARIANT_ADD(verdict, ipv6_any) { SCT_IPV6, .bind = "::" };

/* ---- sections ---- */

/*
 * A listener on P (uid PR_UID) with a connection closed by the server first (TIME-WAIT on P),
 * one by the client first (TIME-WAIT towards P), one accepted, one in the accept queue.
 */
TEST_F_TIMEOUT(port, listener_accept_timewait, SCT_TIMEOUT)
{
	const char *fam = variant->fam, *addr = variant->addr, *la, *ino_l, *ino_a;
	char ca[4][64], ino_c[4][24], fa[80];
	int family = variant->family, lfd, c[4], a[3], i;
	long uid;

	lfd = sct_listener_as(family, addr, PR_PORT, SCT_REUSEADDR, 16, PR_UID);
	ASSERT_LE(0, lfd) TH_LOG("listen as uid %d: %s", PR_UID, strerror(-lfd));
	/*
	 * Each accepted before the next connects: on loopback two clients' final ACKs, and so their
	 * children, may reach the listener out of order (each queued to the sending CPU's backlog).
	 */
	for (i = 0; i < 4; i++) {
		if (i < 3)
			a[i] = sct_t_client(_metadata, lfd, family, addr, PR_PORT, &c[i]);
		else
			c[i] = sct_t_connected(_metadata, family, addr, -1, addr, PR_PORT, 0);
		sct_addrstr(family, addr, sct_local_port(c[i]), ca[i], sizeof(ca[i]));
		sct_inode_str(c[i], ino_c[i], sizeof(ino_c[i]));
	}
	sct_t_close_pair(_metadata, a[0], c[0]);	/* TIME-WAIT on P */
	sct_t_close_pair(_metadata, c[1], a[1]);	/* TIME-WAIT towards P */
	la = SCT_ADDR(family, addr, PR_PORT);
	snprintf(fa, sizeof(fa), "%s %s", fam, la);
	ino_l = SCT_INO(lfd);
	ino_a = SCT_INO(a[2]);
	pr_query_settled(_metadata, PR_PORT);
	PR_ONE("bhash | fastreuse=0 fastreuseport=0 owners=4");
	PR_ONE("bhash-owner %s LISTEN inode=%s | reuseaddr=1 reuseport=0 uid=4242 via=bind %s",
	       fa, ino_l, variant->v6only);
	/* accept() grafts the socket to the acceptor's (root's) inode */
	PR_ONE("bhash-owner %s ESTAB inode=%s | reuseaddr=1 reuseport=0 uid=0 via=accept %s",
	       fa, ino_a, variant->v6only);
	/*
	 * Not accepted: the uid /proc/net/tcp shows. Until 6.17 the inode's owner (sock_i_uid()),
	 * 0 without a file; from 6.17 the sk_uid() the child copied from its listener.
	 */
	uid = sct_proc_net_tcp_uid(family, PR_PORT, sct_local_port(c[3]));
	ASSERT_LE(0, uid) TH_LOG("the child of port %d is not in /proc/net/tcp", PR_PORT);
	PR_ONE("bhash-owner %s ESTAB inode=0 | reuseaddr=1 uid=%ld via=accept", fa, uid);
	PR_ONE("bhash-owner %s TIME-WAIT | inode=0 uid=0 via=-", fa);
	PR_ONE("bhash2 %s | owners=3 timewait=1", fa);
	PR_ONE("bhash2-owner %s LISTEN inode=%s", fa, ino_l);
	PR_ONE("bhash2-owner %s ESTAB inode=%s", fa, ino_a);
	PR_ONE("bhash2-owner %s ESTAB inode=0", fa);
	PR_ONE("bhash2-owner %s TIME-WAIT inode=0", fa);
	PR_ONE("listener %s LISTEN | backlog=16 accept_queue=1 syn_recv=0 inode=%s", fa, ino_l);
	PR_ONE("ehash-local %s %s TIME-WAIT inode=0", fa, ca[0]);
	PR_ONE("ehash-local %s %s ESTAB inode=%s", fa, ca[2], ino_a);
	PR_ONE("ehash-local %s %s ESTAB inode=0", fa, ca[3]);
	PR_ONE("ehash-remote %s %s %s TIME-WAIT inode=0", fam, ca[1], la);
	PR_ONE("ehash-remote %s %s %s ESTAB inode=%s", fam, ca[2], la, ino_c[2]);
	PR_ONE("ehash-remote %s %s %s ESTAB inode=%s", fam, ca[3], la, ino_c[3]);
	PR_NONE("ehash-remote %s %s", fam, ca[0]);
	PR_ONE("summary | bhash_owners=4 bhash2_buckets=1 listeners=1 timewait=1");
	PR_ONE("summary | ehash_local=3 ehash_remote=3");
}

/*
 * How a socket got its port: connect() without bind() (two share P, to different peers),
 * bind() with the port, bind() with port 0 and listen() without bind(), from a one-port range.
 */
TEST_F_TIMEOUT(port, via_connect_bind_bind0_listen, SCT_TIMEOUT)
{
	const char *addr = variant->addr, *fam = variant->fam, *a;
	int family = variant->family, c1, c2, cb, cz, cl;

	sct_t_listener(_metadata, family, addr, PR_PEER, SCT_REUSEADDR);
	sct_t_listener(_metadata, family, addr, PR_PEER2, SCT_REUSEADDR);
	ASSERT_EQ(0, sct_set_range(PR_PORT, PR_PORT));
	c1 = sct_t_connected(_metadata, family, addr, -1, addr, PR_PEER, 0);
	c2 = sct_t_connected(_metadata, family, addr, -1, addr, PR_PEER2, 0);
	ASSERT_EQ(PR_PORT, sct_local_port(c1));
	ASSERT_EQ(PR_PORT, sct_local_port(c2));

	cb = sct_t_bound(_metadata, family, addr, PR_PORT2, 0);
	ASSERT_EQ(0, sct_connect(cb, family, addr, PR_PEER));

	ASSERT_EQ(0, sct_set_range(PR_PORT3, PR_PORT3));
	cz = sct_t_bound(_metadata, family, addr, 0, 0);
	ASSERT_EQ(PR_PORT3, sct_local_port(cz));

	ASSERT_EQ(0, sct_set_range(PR_PORT4, PR_PORT4));
	cl = sct_t_socket(_metadata, family, 0);
	ASSERT_EQ(0, listen(cl, 4));
	ASSERT_EQ(PR_PORT4, sct_local_port(cl));

	/* connect(): a bucket made by connect(), fastreuse -1 */
	pr_query(_metadata, PR_PORT);
	a = SCT_ADDR(family, addr, PR_PORT);
	PR_ONE("bhash | fastreuse=-1 fastreuseport=-1 owners=2");
	PR_ONE("bhash-owner %s %s ESTAB inode=%s | reuseaddr=0 reuseport=0 via=connect", fam, a,
	       SCT_INO(c1));
	PR_ONE("bhash-owner %s %s ESTAB inode=%s | via=connect", fam, a, SCT_INO(c2));
	PR_ONE("ehash-local %s %s %s ESTAB inode=%s", fam, a, SCT_ADDR(family, addr, PR_PEER),
	       SCT_INO(c1));
	PR_ONE("ehash-local %s %s %s ESTAB inode=%s", fam, a, SCT_ADDR(family, addr, PR_PEER2),
	       SCT_INO(c2));
	/* the range is now PR_PORT4 only */
	PR_ONE("verdict connect-autobind | result=no reason=outside-ip_local_port_range");
	PR_ONE("summary | bhash_owners=2 listeners=0 ehash_local=2 timewait=0");

	pr_query(_metadata, PR_PORT2);
	PR_ONE("bhash | fastreuse=0 fastreuseport=0 owners=1");
	PR_ONE("bhash-owner %s %s ESTAB | via=bind inode=%s", fam,
	       SCT_ADDR(family, addr, PR_PORT2), SCT_INO(cb));

	/* bind() with port 0: the kernel chose P at bind time */
	pr_query(_metadata, PR_PORT3);
	PR_ONE("bhash | fastreuse=0 fastreuseport=0 owners=1");
	PR_ONE("bhash-owner %s %s UNCONN | via=bind0 inode=%s", fam,
	       SCT_ADDR(family, addr, PR_PORT3), SCT_INO(cz));
	PR_ONE("summary | bhash_owners=1 listeners=0 ehash_local=0");

	/* listen() without bind(): the wildcard address */
	pr_query(_metadata, PR_PORT4);
	a = SCT_ADDR(family, variant->any, PR_PORT4);
	PR_ONE("bhash-owner %s %s LISTEN | via=listen inode=%s", fam, a, SCT_INO(cl));
	PR_ONE("listener %s %s LISTEN inode=%s", fam, a, SCT_INO(cl));
	PR_ONE("verdict connect-autobind | result=no reason=bound-by-bind");
}

/* Two SO_REUSEADDR sockets on one address: fastreuse 1 until one listens. */
TEST_F_TIMEOUT(port, reuseaddr_group, SCT_TIMEOUT)
{
	int family = variant->family, s[2], i;
	const char *fam = variant->fam, *a = SCT_ADDR(family, variant->addr, PR_PORT);
	char ino[2][24];

	for (i = 0; i < 2; i++) {
		s[i] = sct_t_bound(_metadata, family, variant->addr, PR_PORT, SCT_REUSEADDR);
		sct_inode_str(s[i], ino[i], sizeof(ino[i]));
	}
	ASSERT_EQ(-1, sct_bind(sct_t_socket(_metadata, family, 0), family, variant->addr, PR_PORT));
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("bind() without SO_REUSEADDR");

	pr_query(_metadata, PR_PORT);
	PR_ONE("bhash | fastreuse=1 fastreuseport=0 owners=2");
	for (i = 0; i < 2; i++)
		PR_ONE("bhash-owner %s %s UNCONN inode=%s | reuseaddr=1 reuseport=0 via=bind %s",
		       fam, a, ino[i], variant->v6only);
	PR_ONE("bhash2 %s %s | owners=2 timewait=0", fam, a);
	PR_ONE("summary | bhash_owners=2 bhash2_buckets=1 listeners=0");
	PR_ONE("summary | ehash_local=0 ehash_remote=0 timewait=0");

	ASSERT_EQ(0, listen(s[0], 8)) TH_LOG("listen: %s", strerror(errno));
	pr_query(_metadata, PR_PORT);
	PR_ONE("bhash | fastreuse=0 fastreuseport=0 owners=2");
	PR_ONE("bhash-owner %s %s LISTEN inode=%s", fam, a, ino[0]);
	PR_ONE("bhash-owner %s %s UNCONN inode=%s", fam, a, ino[1]);
	PR_ONE("listener %s %s LISTEN inode=%s", fam, a, ino[0]);
}

/* An SO_REUSEPORT group of listeners: fastreuseport, one uid only. */
TEST_F_TIMEOUT(port, reuseport_group, SCT_TIMEOUT)
{
	int family = variant->family, s[2], i;
	const char *fam = variant->fam, *a = SCT_ADDR(family, variant->addr, PR_PORT);
	char ino[2][24];

	for (i = 0; i < 2; i++) {
		s[i] = sct_t_listener(_metadata, family, variant->addr, PR_PORT, SCT_REUSEPORT);
		sct_inode_str(s[i], ino[i], sizeof(ino[i]));
	}
	/* SO_REUSEPORT groups are per uid */
	ASSERT_EQ(-1, sct_bind(sct_socket_as(family, SCT_REUSEPORT, PR_UID), family,
			       variant->addr, PR_PORT));
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("SO_REUSEPORT bind() by another uid");

	pr_query(_metadata, PR_PORT);
	PR_ONE("bhash | fastreuse=0 fastreuseport=1 owners=2");
	for (i = 0; i < 2; i++) {
		PR_ONE("bhash-owner %s %s LISTEN inode=%s | reuseaddr=0 reuseport=1 uid=0 via=bind",
		       fam, a, ino[i]);
		PR_ONE("listener %s %s LISTEN inode=%s", fam, a, ino[i]);
	}
	PR_ONE("bhash2 %s %s | owners=2 timewait=0", fam, a);
	PR_ONE("summary | bhash_owners=2 bhash2_buckets=1 listeners=2");
}

/* A self-connected socket is both a local and a remote entry of its port. */
TEST_F_TIMEOUT(port, self_connect, SCT_TIMEOUT)
{
	const char *fam = variant->fam, *a = SCT_ADDR(variant->family, variant->addr, PR_PORT);
	const char *ino = SCT_INO(sct_t_self_connect(_metadata, variant->family, variant->addr,
						     PR_PORT, geteuid()));

	pr_query(_metadata, PR_PORT);
	PR_ONE("bhash-owner %s %s ESTAB inode=%s | via=bind", fam, a, ino);
	PR_ONE("ehash-local %s %s %s ESTAB inode=%s", fam, a, a, ino);
	PR_ONE("ehash-remote %s %s %s ESTAB inode=%s", fam, a, a, ino);
	PR_ONE("summary | bhash_owners=1 listeners=0 ehash_local=1 ehash_remote=1");
}

/* Whether pr_f names each of ino[0..2] (want) or none of them (!want). */
static bool pr_names_inodes(const unsigned long long *ino, bool want)
{
	int i;

	for (i = 0; i < 3; i++)
		if (sct_names_inode(&pr_f, ino[i]) != want)
			return false;
	return true;
}

/* A listener (opts) on addr:P with an open connection: their inodes. */
static int pr_listener_pair(struct __test_metadata *_metadata, int family, const char *addr,
			    int opts, unsigned long long ino[3])
{
	int l = sct_t_listener(_metadata, family, addr, PR_PORT, opts), c, a;

	a = sct_t_client(_metadata, l, family, addr, PR_PORT, &c);
	ino[0] = sct_inode(l);
	ino[1] = sct_inode(a);
	ino[2] = sct_inode(c);
	return l;
}

/*
 * Two namespaces on P. A: a SO_REUSEADDR listener, an open connection, a server-side TIME-WAIT;
 * B: a SO_REUSEPORT listener and an open connection. Each sees only its own sockets, in a query
 * and in its watched ports, and watching in one does not change the other's.
 */
TEST_F_TIMEOUT(port, two_namespaces, SCT_TIMEOUT)
{
	int family = variant->family, lA, cT, aT, nsA, procA, procB;
	unsigned long long ino_a[3], ino_b[3];

	lA = pr_listener_pair(_metadata, family, variant->addr, SCT_REUSEADDR, ino_a);
	aT = sct_t_client(_metadata, lA, family, variant->addr, PR_PORT, &cT);
	sct_t_close_pair(_metadata, aT, cT);
	procA = open(SCT_PROC, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, procA);

	nsA = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nsA);
	ASSERT_EQ(0, sct_new_netns());
	pr_listener_pair(_metadata, family, variant->addr, SCT_REUSEPORT, ino_b);
	procB = open(SCT_PROC, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, procB);

	pr_query(_metadata, PR_PORT);
	ASSERT_TRUE(pr_names_inodes(ino_b, true) && pr_names_inodes(ino_a, false))
		sct_dump(_metadata, &pr_f);
	PR_ONE("bhash | fastreuse=0 fastreuseport=1 owners=2");
	PR_ONE("summary | bhash_owners=2 bhash2_buckets=1 listeners=1");
	PR_ONE("summary | ehash_local=1 ehash_remote=1 timewait=0");
	PR_NONE("bhash-owner * * TIME-WAIT");

	/* back in A, B's sockets still open */
	ASSERT_EQ(0, setns(nsA, CLONE_NEWNET)) TH_LOG("setns: %s", strerror(errno));
	pr_query_settled(_metadata, PR_PORT);
	ASSERT_TRUE(pr_names_inodes(ino_a, true) && pr_names_inodes(ino_b, false))
		sct_dump(_metadata, &pr_f);
	PR_ONE("bhash | fastreuse=0 fastreuseport=0 owners=3");
	PR_ONE("summary | bhash_owners=3 bhash2_buckets=1 listeners=1");
	PR_ONE("summary | ehash_local=2 ehash_remote=1 timewait=1");

	/* watched ports: each descriptor writes to its opener's namespace */
	ASSERT_EQ(6, write(procA, "18084\n", 6));
	ASSERT_EQ(6, write(procB, "18086\n", 6));
	ASSERT_EQ(5, write(procB, "18084", 5));
	PR_WATCHED("18084");
	ASSERT_EQ(6, write(procB, "clear\n", 6));
	PR_WATCHED("18084");
	ASSERT_TRUE(pr_names_inodes(ino_b, false)) sct_dump(_metadata, &pr_f);
}

/* ---- verdicts against the real syscalls ---- */

/* A bind verdict's result= for errno err: "ok", "EADDRINUSE" or (unexpected) its text. */
static const char *pr_errname(int err)
{
	if (err == EADDRINUSE)
		return "EADDRINUSE";
	return err ? strerror(err) : "ok";
}

/* KEY= of the verdict line (spec) of the last read. */
static const char *pr_said(const char *spec, const char *key)
{
	return sct_kv(pr_first(&pr_f.rep[0], spec), key) ?: "(none)";
}

#define PR_VERDICT_FMT	"bind %s, reuseaddr %s, connect-autobind %s (%s)"

/*
 * Read PR_PORT's verdicts, then do what they predict: connect() autobind (first: a bind() may
 * change the bucket's fastreuseport, which connect() looks at), bind(0.0.0.0:P) plain and with
 * SO_REUSEADDR. The verdicts must match the syscalls (connect-autobind "no": EADDRNOTAVAIL),
 * and the outcomes the ones the set-up was built for, so no check is vacuous.
 */
static void pr_verdicts(struct __test_metadata *_metadata, int family, const char *addr,
			const char *bind, const char *reuse, const char *connect,
			const char *reason)
{
	char want[256], said[256], got[256];
	const char *why;
	int fd, lport, eb[2], ec, i;

	sct_t_listener(_metadata, family, addr, PR_PROBE, SCT_REUSEADDR);
	ASSERT_EQ(0, sct_set_range(PR_PORT, PR_PORT));
	pr_query_settled(_metadata, PR_PORT);
	/* the abortive close leaves no TIME-WAIT: P is as it was */
	fd = sct_t_socket(_metadata, family, 0);
	ec = -sct_connect(fd, family, addr, PR_PROBE);
	lport = sct_local_port(fd);
	sct_rst_close(fd);
	if (!ec)
		ASSERT_EQ(PR_PORT, lport) TH_LOG("connect() outside ip_local_port_range");
	for (i = 0; i < 2; i++) {
		fd = sct_t_socket(_metadata, AF_INET, i ? SCT_REUSEADDR : 0);
		eb[i] = sct_errno(sct_bind(fd, AF_INET, "0.0.0.0", PR_PORT));
		close(fd);
	}

	why = pr_said("verdict connect-autobind", "reason");
	snprintf(said, sizeof(said), PR_VERDICT_FMT, pr_said("verdict bind", "result"),
		 pr_said("verdict bind-reuseaddr", "result"),
		 pr_said("verdict connect-autobind", "result"), why);
	snprintf(got, sizeof(got), PR_VERDICT_FMT, pr_errname(eb[0]), pr_errname(eb[1]),
		 ec == EADDRNOTAVAIL ? "no" : pr_errname(ec), why);
	snprintf(want, sizeof(want), PR_VERDICT_FMT, bind, reuse, connect, reason);
	if (strcmp(said, got) || strcmp(want, got))
		sct_dump(_metadata, &pr_f);
	ASSERT_STREQ(got, said)
		TH_LOG("MODULE DISAGREES WITH THE KERNEL in set-up %s", _metadata->name);
	ASSERT_STREQ(want, got) TH_LOG("set-up %s is not what the test meant", _metadata->name);
}

/*
 * by_bind: every owner of P got it from bind() to variant->bind (or was accepted by such a
 * listener), so on the ipv6 variant all owners are IPV6_V6ONLY and both binds are free.
 */
#define PR_VERDICTS(b, r, c, why, by_bind) \
	pr_verdicts(_metadata, variant->family, variant->addr, \
		    variant->bind_v6only && (by_bind) ? "ok" : (b), \
		    variant->bind_v6only && (by_bind) ? "ok" : (r), (c), (why))

TEST_F_TIMEOUT(verdict, free, SCT_TIMEOUT)
{
	PR_VERDICTS("ok", "ok", "ok", "free", false);
}

/* A plain socket bound to P, not listening. */
TEST_F_TIMEOUT(verdict, bound, SCT_TIMEOUT)
{
	sct_t_bound(_metadata, variant->family, variant->bind, PR_PORT, 0);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/* A SO_REUSEADDR socket bound to P: another SO_REUSEADDR bind() shares it. */
TEST_F_TIMEOUT(verdict, bound_reuseaddr, SCT_TIMEOUT)
{
	sct_t_bound(_metadata, variant->family, variant->bind, PR_PORT, SCT_REUSEADDR);
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", true);
}

/* A SO_REUSEADDR listener: a listener blocks even SO_REUSEADDR. */
TEST_F_TIMEOUT(verdict, listener_reuseaddr, SCT_TIMEOUT)
{
	sct_t_listener(_metadata, variant->family, variant->bind, PR_PORT, SCT_REUSEADDR);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/* A listener (opts) on P, a connection, the listener closed; timewait: the pair, server first. */
static void pr_server_gone(struct __test_metadata *_metadata,
			   const FIXTURE_VARIANT(verdict) *variant, int opts, bool timewait)
{
	int l = sct_t_listener(_metadata, variant->family, variant->bind, PR_PORT, opts), c, a;

	a = sct_t_client(_metadata, l, variant->family, variant->addr, PR_PORT, &c);
	close(l);
	if (timewait)
		sct_t_close_pair(_metadata, a, c);
}

/* The listener is gone, its accepted connection stays (a server restart). */
TEST_F_TIMEOUT(verdict, accepted_after_listener_closed, SCT_TIMEOUT)
{
	pr_server_gone(_metadata, variant, SCT_REUSEADDR, false);
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", true);
}

/* Only the server-side TIME-WAIT of a SO_REUSEADDR listener is left. */
TEST_F_TIMEOUT(verdict, timewait_reuseaddr, SCT_TIMEOUT)
{
	pr_server_gone(_metadata, variant, SCT_REUSEADDR, true);
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", true);
}

/* The same without SO_REUSEADDR: "Address already in use", no listener left. */
TEST_F_TIMEOUT(verdict, timewait_plain, SCT_TIMEOUT)
{
	pr_server_gone(_metadata, variant, 0, true);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/*
 * P taken by connect() without bind(): another connect() gets P too to a new peer (the verdict's
 * probe), but not to the same one: a repeated 4-tuple, EADDRNOTAVAIL.
 */
static void pr_autobind_setup(struct __test_metadata *_metadata, int family,
			      const char *addr, int flags)
{
	int again;

	sct_t_listener(_metadata, family, addr, PR_PEER, SCT_REUSEADDR);
	ASSERT_EQ(0, sct_set_range(PR_PORT, PR_PORT));
	ASSERT_EQ(PR_PORT, sct_local_port(sct_t_connected(_metadata, family, addr, -1, addr,
							  PR_PEER, flags)));
	again = sct_t_socket(_metadata, family, flags);
	ASSERT_EQ(-EADDRNOTAVAIL, sct_connect(again, family, addr, PR_PEER));
	close(again);
}

TEST_F_TIMEOUT(verdict, connect_autobind, SCT_TIMEOUT)
{
	pr_autobind_setup(_metadata, variant->family, variant->addr, 0);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "ok", "new-4-tuple-only", false);
}

TEST_F_TIMEOUT(verdict, connect_autobind_reuseaddr, SCT_TIMEOUT)
{
	pr_autobind_setup(_metadata, variant->family, variant->addr, SCT_REUSEADDR);
	PR_VERDICTS("EADDRINUSE", "ok", "ok", "new-4-tuple-only", false);
}

/*
 * connect() autobind took P, then a SO_REUSEADDR bind() joined it, setting fastreuseport 0
 * (inet_csk_update_fastreuse()): connect() no longer shares P, even for a new 4-tuple.
 */
TEST_F_TIMEOUT(verdict, connect_then_bind_reuseaddr, SCT_TIMEOUT)
{
	pr_autobind_setup(_metadata, variant->family, variant->addr, SCT_REUSEADDR);
	sct_t_bound(_metadata, variant->family, variant->bind, PR_PORT, SCT_REUSEADDR);
	pr_query(_metadata, PR_PORT);
	PR_ONE("bhash | fastreuse=-1 fastreuseport=0 owners=2");
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", false);
}

/*
 * The same once the bind() socket is closed: from 6.18 (and 6.17.8) the bucket is given back to
 * connect() when the last bind() owner leaves (inet_bind_bucket_destroy(), "tcp: Update bind
 * bucket state on port release"), fastreuse and fastreuseport -1 again; before, it stays bind()'s
 * (fastreuseport 0). The verdict follows the bucket, and the real connect() agrees.
 */
TEST_F_TIMEOUT(verdict, connect_after_closed_bind, SCT_TIMEOUT)
{
	bool back;

	pr_autobind_setup(_metadata, variant->family, variant->addr, SCT_REUSEADDR);
	close(sct_t_bound(_metadata, variant->family, variant->bind, PR_PORT, SCT_REUSEADDR));
	back = pr_count(pr_query(_metadata, PR_PORT), "bhash fastreuse=-1 fastreuseport=-1");
	TH_LOG("the bucket %s", back ? "is connect()'s again" : "stays bind()'s");
	PR_VERDICTS("EADDRINUSE", "ok", back ? "ok" : "no",
		    back ? "new-4-tuple-only" : "bound-by-bind", false);
}

/* A connect() autobind that closed first: a client-side TIME-WAIT on P. */
TEST_F_TIMEOUT(verdict, connect_timewait, SCT_TIMEOUT)
{
	int l, c, a;

	l = sct_t_listener(_metadata, variant->family, variant->addr, PR_PEER, SCT_REUSEADDR);
	ASSERT_EQ(0, sct_set_range(PR_PORT, PR_PORT));
	a = sct_t_client(_metadata, l, variant->family, variant->addr, PR_PEER, &c);
	ASSERT_EQ(PR_PORT, sct_local_port(c));
	sct_t_close_pair(_metadata, c, a);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "ok", "new-4-tuple-only", false);
}

/*
 * The seed's case: two SO_REUSEADDR sockets bound to the same address and P connect to the
 * same peer: the second connect() is a repeated 4-tuple, EADDRNOTAVAIL, not EADDRINUSE.
 */
TEST_F_TIMEOUT(verdict, duplicate_4tuple, SCT_TIMEOUT)
{
	int family = variant->family, s1, s2;
	const char *fam = variant->fam;

	sct_t_listener(_metadata, family, variant->addr, PR_PEER, SCT_REUSEADDR);
	s1 = sct_t_bound(_metadata, family, variant->bind, PR_PORT, SCT_REUSEADDR);
	s2 = sct_t_bound(_metadata, family, variant->bind, PR_PORT, SCT_REUSEADDR);
	ASSERT_EQ(0, sct_connect(s1, family, variant->addr, PR_PEER));
	ASSERT_EQ(-EADDRNOTAVAIL, sct_connect(s2, family, variant->addr, PR_PEER));

	pr_query(_metadata, PR_PORT);
	PR_ONE("ehash-local %s %s %s ESTAB inode=%s", fam, SCT_ADDR(family, variant->addr, PR_PORT),
	       SCT_ADDR(family, variant->addr, PR_PEER), SCT_INO(s1));
	PR_ONE("bhash-owner %s * UNCONN inode=%s | reuseaddr=1 via=bind", fam, SCT_INO(s2));
	PR_VERDICTS("EADDRINUSE", "ok", "no", "bound-by-bind", true);
}

TEST_F_TIMEOUT(verdict, bind0, SCT_TIMEOUT)
{
	ASSERT_EQ(0, sct_set_range(PR_PORT, PR_PORT));
	ASSERT_EQ(PR_PORT, sct_local_port(sct_t_bound(_metadata, variant->family, variant->bind,
						      0, 0)));
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

/* A SO_REUSEPORT group: a socket without SO_REUSEPORT cannot join. */
TEST_F_TIMEOUT(verdict, reuseport_listeners, SCT_TIMEOUT)
{
	sct_t_listener(_metadata, variant->family, variant->bind, PR_PORT, SCT_REUSEPORT);
	sct_t_listener(_metadata, variant->family, variant->bind, PR_PORT, SCT_REUSEPORT);
	PR_VERDICTS("EADDRINUSE", "EADDRINUSE", "no", "bound-by-bind", true);
}

TEST_F_TIMEOUT(verdict, reserved_port, SCT_TIMEOUT)
{
	ASSERT_EQ(0, sct_write_file("/proc/sys/net/ipv4/ip_local_reserved_ports", "18084\n"));
	PR_VERDICTS("ok", "ok", "no", "ip_local_reserved_ports", false);
}

/* ---- IPv4 and IPv6 on one port ---- */

TEST_F_TIMEOUT(ns, v6only_and_v4_share_port, SCT_TIMEOUT)
{
	const char *i6 = SCT_INO(sct_t_listener(_metadata, AF_INET6, "::", PR_PORT, SCT_V6ONLY));
	const char *i4 = SCT_INO(sct_t_listener(_metadata, AF_INET, "0.0.0.0", PR_PORT, 0));

	pr_query(_metadata, PR_PORT);
	PR_ONE("bhash-owner inet6 [::]:18084 LISTEN inode=%s | v6only=1 via=bind", i6);
	PR_ONE("bhash-owner inet 0.0.0.0:18084 LISTEN inode=%s | v6only=0 via=bind", i4);
	PR_ONE("bhash2 inet6 [::]:18084 | owners=1");
	PR_ONE("bhash2 inet 0.0.0.0:18084 | owners=1");
	PR_ONE("listener inet6 [::]:18084 inode=%s", i6);
	PR_ONE("listener inet 0.0.0.0:18084 inode=%s", i4);
	PR_ONE("summary | bhash_owners=2 bhash2_buckets=2 listeners=2");
}

TEST_F_TIMEOUT(ns, v6_any_takes_v4, SCT_TIMEOUT)
{
	const char *i6 = SCT_INO(sct_t_listener(_metadata, AF_INET6, "::", PR_PORT, 0));

	ASSERT_EQ(-1, sct_bind(sct_t_socket(_metadata, AF_INET, 0), AF_INET, "0.0.0.0", PR_PORT));
	ASSERT_EQ(EADDRINUSE, errno) TH_LOG("bind 0.0.0.0 next to [::]");
	pr_query(_metadata, PR_PORT);
	PR_ONE("bhash-owner inet6 [::]:18084 LISTEN inode=%s | v6only=0", i6);
	PR_ONE("verdict bind | result=EADDRINUSE inode=%s", i6);
	PR_ONE("summary | bhash_owners=1 bhash2_buckets=1 listeners=1");
}

/* 127.0.0.1:P and [::1]:P listen; an IPv4-mapped client of the first is inet6 towards P. */
TEST_F_TIMEOUT(ns, v4_and_v6_loopback, SCT_TIMEOUT)
{
	const char *mapped = "::ffff:127.0.0.1", *ia;
	int s4, s6, c;

	s4 = sct_t_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT, 0);
	s6 = sct_t_listener(_metadata, AF_INET6, "::1", PR_PORT, 0);
	ia = SCT_INO(sct_t_client(_metadata, s4, AF_INET6, mapped, PR_PORT, &c));

	pr_query(_metadata, PR_PORT);
	PR_ONE("listener inet 127.0.0.1:18084 inode=%s", SCT_INO(s4));
	PR_ONE("listener inet6 [::1]:18084 inode=%s", SCT_INO(s6));
	PR_ONE("bhash-owner inet 127.0.0.1:18084 ESTAB inode=%s | via=accept", ia);
	PR_ONE("ehash-local inet 127.0.0.1:18084 %s ESTAB inode=%s",
	       SCT_ADDR(AF_INET, "127.0.0.1", sct_local_port(c)), ia);
	PR_ONE("ehash-remote inet6 %s [::ffff:127.0.0.1]:18084 ESTAB inode=%s",
	       SCT_ADDR(AF_INET6, mapped, sct_local_port(c)), SCT_INO(c));
	PR_ONE("summary | bhash_owners=3 bhash2_buckets=2 listeners=2 ehash_local=1");
	PR_ONE("summary | ehash_remote=1");
}

TEST_F_TIMEOUT(ns, verdict_v6only_any, SCT_TIMEOUT)
{
	sct_t_listener(_metadata, AF_INET6, "::", PR_PORT, SCT_V6ONLY);
	pr_verdicts(_metadata, AF_INET, "127.0.0.1", "ok", "ok", "no", "bound-by-bind");
}

TEST_F_TIMEOUT(ns, verdict_v4mapped_listener, SCT_TIMEOUT)
{
	sct_t_listener(_metadata, AF_INET6, "::ffff:127.0.0.1", PR_PORT, SCT_REUSEADDR);
	pr_verdicts(_metadata, AF_INET, "127.0.0.1", "EADDRINUSE", "EADDRINUSE", "no",
		    "bound-by-bind");
}

/* ---- the write interface ---- */

#define PR_BAD(s)	SCT_BAD(O_WRONLY, s, EINVAL)
#define PR_Q(s)		SCT_BAD(O_RDWR, s, EINVAL)

/*
 * Each bad watch command fails with its errno, the watched ports unchanged (writes past
 * offset 0: selfconn_bad_input's offset_writes).
 */
TEST_F_TIMEOUT(ns, bad_writes, SCT_TIMEOUT)
{
	static const struct sct_bad bad[] = {
		PR_BAD(""), PR_BAD("\n"), PR_BAD("abc"), PR_BAD("0"), PR_BAD("0\n"),
		PR_BAD("65536"), PR_BAD("99999999"), PR_BAD("+80"), PR_BAD(" 80"), PR_BAD("80 "),
		PR_BAD("8 0"), PR_BAD("80x"), PR_BAD("80\n81"), PR_BAD("80\n\n"), PR_BAD("080"),
		PR_BAD("--80"), PR_BAD("-"), PR_BAD("-\n"), PR_BAD("-0"), PR_BAD("-65536"),
		PR_BAD("80\0"), PR_BAD("clear "), PR_BAD("CLEAR"), PR_BAD("clear\n\n"),
		PR_BAD("\t80"),
		SCT_BAD(O_WRONLY, "-81\n", ENOENT), SCT_BAD(O_WRONLY, "-18085", ENOENT),
	};
	char base[512];
	size_t i;

	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "18084\n"));
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "80"));
	PR_WATCHED("80 18084");
	sct_state(base, sizeof(base));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		sct_t_bad_rows(_metadata, base, SCT_PROC, &bad[i], 1, -1);
		PR_WATCHED("80 18084");
	}
}

/* 64 watched ports at most: the 65th is ENOSPC and changes nothing. */
TEST_F_TIMEOUT(ns, sixty_fifth_port, SCT_TIMEOUT)
{
	char cmd[16], want[SCT_MAXREP * 6 + 8];
	int i, o = 0;

	for (i = 0; i < 64; i++) {
		snprintf(cmd, sizeof(cmd), "%d\n", 20000 + i);
		ASSERT_EQ(0, -sct_write_file(SCT_PROC, cmd)) TH_LOG("watch port %d", 20000 + i);
		o += snprintf(want + o, sizeof(want) - o, "%s%d", i ? " " : "", 20000 + i);
	}
	PR_WATCHED(want);
	ASSERT_EQ(ENOSPC, -sct_write_file(SCT_PROC, "65535\n")) TH_LOG("65th port");
	PR_WATCHED(want);
	ASSERT_EQ(ENOSPC, -sct_write_file(SCT_PROC, "1"));
	PR_WATCHED(want);

	/* room again after a removal; the bounds 1 and 65535 are ports */
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "-20000\n"));
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "65535"));
	snprintf(want + o, sizeof(want) - o, " 65535");
	PR_WATCHED(want + strlen("20000 "));
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "clear\n"));
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "1\n"));
	PR_WATCHED("1");
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "clear"));
	PR_WATCHED("");
}

/* Reports follow the rows, one per watched port, ascending; "-P" and "clear" remove them. */
TEST_F_TIMEOUT(ns, watched_reports_follow_rows, SCT_TIMEOUT)
{
	char *rows;

	sct_t_self_connect(_metadata, AF_INET, "127.0.0.1", PR_SELF, geteuid());
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "18096\n"));
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "18084\n"));
	PR_WATCHED("18084 18096");
	rows = strstr(pr_f.text, "\ninet 127.0.0.1:18096 ESTAB ");
	ASSERT_NE(NULL, rows) sct_dump(_metadata, &pr_f);
	ASSERT_EQ(pr_f.text, strstr(pr_f.text, "# selfconn v1 rows=1")) sct_dump(_metadata, &pr_f);
	ASSERT_TRUE(rows < strstr(pr_f.text, "# port 18084\n")) sct_dump(_metadata, &pr_f);
	pr_n(_metadata, &pr_f.rep[1], 1, "ehash-local inet 127.0.0.1:18096 127.0.0.1:18096 ESTAB");

	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "-18084"));
	PR_WATCHED("18096");
	ASSERT_EQ(ENOENT, -sct_write_file(SCT_PROC, "-18084\n"));
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "18096\n"));	/* already watched */
	PR_WATCHED("18096");
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "clear\n"));
	PR_WATCHED("");
	ASSERT_EQ(ENOENT, -sct_write_file(SCT_PROC, "-18096\n"));
}

/* Re-read fd from offset 0 into pr_f: the one report of port (0: a listing). */
static void pr_reread(struct __test_metadata *_metadata, int fd, int port)
{
	pr_got(_metadata, sct_reread(&pr_f, fd, 65536, port), port, &pr_f);
}

/*
 * The per-descriptor query: one report, no header; the write does not move the offset; a
 * re-read from 0 is fresh; a new port switches it; bad writes keep it; unwritten, it reads
 * like a plain one.
 */
TEST_F_TIMEOUT(ns, query_descriptor, SCT_TIMEOUT)
{
	static const struct sct_bad bad[] = {
		PR_Q(""), PR_Q("clear"), PR_Q("-18086"), PR_Q("0"), PR_Q("abc"), PR_Q("65536\n"),
		PR_Q("18084 "), PR_Q("18084\n18086"),
	};
	char base[512];
	size_t i;
	int fd;

	sct_t_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT2, 0);
	fd = open(SCT_PROC, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	pr_reread(_metadata, fd, 0);
	ASSERT_EQ(0, strncmp(pr_f.text, "# selfconn v1 rows=0", 20)) sct_dump(_metadata, &pr_f);
	ASSERT_TRUE(pr_f.text[20] == ' ' || pr_f.text[20] == '\n') sct_dump(_metadata, &pr_f);
	ASSERT_EQ(0, pr_f.nrep);

	ASSERT_EQ(6, sct_write_at(fd, "18084\n", 6, 0));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_CUR)) TH_LOG("the write moved the offset");
	pr_reread(_metadata, fd, PR_PORT);
	ASSERT_EQ(0, strncmp(pr_f.text, "# port 18084\nport 18084 bhash none\n", 35))
		sct_dump(_metadata, &pr_f);

	/* at EOF a write is not at offset 0 */
	EXPECT_EQ(-1, write(fd, "18086", 5));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(5, sct_write_at(fd, "18086", 5, 0));
	pr_reread(_metadata, fd, PR_PORT2);
	PR_ONE("listener inet 127.0.0.1:18086");

	sct_state(base, sizeof(base));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		sct_t_bad_rows(_metadata, base, SCT_PROC, &bad[i], 1, fd);
		pr_reread(_metadata, fd, PR_PORT2);
	}
	close(fd);
	PR_WATCHED("");
}

/* A query neither adds a watched port nor changes what a plain read shows. */
TEST_F_TIMEOUT(ns, query_leaves_cat_alone, SCT_TIMEOUT)
{
	struct sct_file before = {}, after = {};
	const char *rep;

	sct_t_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT, SCT_REUSEADDR);
	sct_t_self_connect(_metadata, AF_INET, "127.0.0.1", PR_SELF, geteuid());
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "18096\n"));

	pr_got(_metadata, sct_cat(&before), 0, &before);
	pr_query(_metadata, PR_PORT);
	ASSERT_EQ(NULL, strstr(pr_f.text, "# selfconn")) sct_dump(_metadata, &pr_f);
	ASSERT_EQ(NULL, strstr(pr_f.text, "18096")) sct_dump(_metadata, &pr_f);
	PR_ONE("listener inet 127.0.0.1:18084");
	pr_got(_metadata, sct_cat(&after), 0, &after);
	ASSERT_STREQ(before.text, after.text);

	/* a query of a watched port gives the same bytes as its report */
	pr_query(_metadata, PR_SELF);
	rep = strstr(after.text, "# port 18096\n");
	ASSERT_NE(NULL, rep);
	ASSERT_STREQ(rep, pr_f.text);
}

/* ---- privilege ---- */

/*
 * As nobody, open "selfconn" at the parent's /proc descriptor (only the file's permissions count):
 * without userns each watch command is EPERM and a query of PR_PORT works; in its own user and
 * network namespace it may watch PR_PORT, then reads the file. Its last read is kept in res.
 */
static void pr_nobody_child(struct sct_result *res, int procdir, bool userns)
{
	static const char * const cmds[] = { "18084\n", "-80\n", "clear\n" };
	char *text;
	size_t i;
	int fd;

	if (sct_become_nobody())
		SCT_FAIL(res, 1, "become uid %d", SCT_NOBODY);
	if (userns && unshare(CLONE_NEWUSER | CLONE_NEWNET))
		SCT_FAIL(res, 2, "no unprivileged user namespaces");
	fd = openat(procdir, "selfconn", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		SCT_FAIL(res, 3, "open write-only");
	if (userns && sct_write_fd(fd, cmds[0]))
		SCT_FAIL(res, 4, "watch in its own namespace");
	for (i = 0; !userns && i < ARRAY_SIZE(cmds); i++)
		if (sct_write_fd(fd, cmds[i]) != -EPERM)
			SCT_FAIL(res, 5 + i, "'%s' as nobody: not EPERM", cmds[i]);
	close(fd);
	fd = openat(procdir, "selfconn", (userns ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0 || (!userns && sct_write_fd(fd, cmds[0])))
		SCT_FAIL(res, 8, userns ? "open read-only" : "query as nobody");
	sct_read_fd(fd, 65536, &text, NULL);
	sct_keep(res, text);
}

/*
 * pr_nobody_child() in a child, none of its checks failing (no user namespaces: SKIP), with 80
 * watched here, which it leaves so; what it read into pr_f, checked: the report of port (0: all).
 */
static void pr_in_child(struct __test_metadata *_metadata, bool userns, int port)
{
	int procdir = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sct_result *res;
	struct sct_child c;

	ASSERT_LE(0, procdir);
	ASSERT_EQ(0, -sct_write_file(SCT_PROC, "80\n"));
	res = sct_t_fork(_metadata, &c);
	if (!c.pid) {
		pr_nobody_child(res, procdir, userns);
		_exit(0);
	}
	ASSERT_EQ(0, sct_child_wait(&c));
	close(procdir);
	if (res->step == 2)
		SCT_SKIP("%s: %s", res->why, strerror(res->err));
	ASSERT_EQ(0, res->step) TH_LOG("child: step %d: %s (errno %s)", res->step, res->why,
				       strerror(res->err));
	pr_watched(_metadata, "80");
	pr_got(_metadata, sct_load_text(&pr_f, res->text) ?: sct_check_kind(&pr_f, port), port,
	       &pr_f);
}

/* Mode 0666: nobody opens it write-only, but each watch command is EPERM; its query works. */
TEST_F_TIMEOUT(ns, unprivileged, SCT_TIMEOUT)
{
	struct stat st;
	int l;

	ASSERT_EQ(0, stat(SCT_PROC, &st));
	ASSERT_EQ(0666, st.st_mode & 07777);
	l = sct_t_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT, 0);
	pr_in_child(_metadata, false, PR_PORT);
	PR_ONE("listener inet 127.0.0.1:18084 inode=%s", SCT_INO(l));
}

/*
 * CAP_NET_ADMIN over the opener's network namespace is what counts: nobody may watch in one it
 * made in its own user namespace (its plain read has the port's report); ours stay as they were.
 */
TEST_F_TIMEOUT(ns, own_userns_may_watch, SCT_TIMEOUT)
{
	pr_in_child(_metadata, true, 0);
	ASSERT_EQ(1, pr_f.nrep) sct_dump(_metadata, &pr_f);
	ASSERT_EQ(PR_PORT, pr_f.rep[0].port);
}

/* ---- the companion: selfconn port P [--json] ---- */

/* text is one JSON value, as selfconn_json_valid (built beside this program) says. */
static bool pr_json_valid(const char *text)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	FILE *p;

	if (n <= 0)
		return false;
	path[n] = '\0';
	strcpy(strrchr(path, '/') + 1, "selfconn_json_valid");
	p = popen(path, "w");
	if (!p)
		return false;
	fputs(text, p);
	return pclose(p) == 0;
}

/*
 * selfconn port P prints the same bytes as a query; --json is valid JSON, one object per report
 * line, positional fields in "args", key=value ones in "fields", integers as numbers; bad usage
 * exits 64. Neither touches the watched ports.
 */
TEST_F_TIMEOUT(ns, companion_port, SCT_TIMEOUT)
{
	static const char * const usage[][2] = {
		{ NULL }, { "0" }, { "65536" }, { "80", "--nope" },
	};
	const char *bin = sct_companion(), *p;
	char *out, want[256];
	int l, c, n = 0;
	size_t i;

	if (!bin)
		SKIP(return, "no companion: set SELFCONN_BIN, or put selfconn in PATH");
	l = sct_t_listener(_metadata, AF_INET, "127.0.0.1", PR_PORT, 0);
	sct_t_client(_metadata, l, AF_INET, "127.0.0.1", PR_PORT, &c);
	pr_query(_metadata, PR_PORT);

	ASSERT_EQ(0, sct_run((char *const[]){ (char *)bin, "port", "18084", NULL }, &out));
	ASSERT_NE(NULL, out);
	ASSERT_STREQ(pr_f.text, out);
	free(out);

	ASSERT_EQ(0, sct_run((char *const[]){ (char *)bin, "port", "--json", "18084", NULL },
			     &out));
	ASSERT_NE(NULL, out);
	ASSERT_TRUE(pr_json_valid(out)) TH_LOG("not JSON:\n%s", out);
	ASSERT_EQ(0, strncmp(out, "{\"schema\":1,\"port\":18084,\"lines\":[", 34))
		TH_LOG("%s", out);
	for (p = out; (p = strstr(p, "{\"section\":")); p++)
		n++;
	ASSERT_EQ(pr_f.rep[0].n, n) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"section\":\"listener\",\"args\":[\"inet\","
		 "\"127.0.0.1:18084\",\"LISTEN\"],\"fields\":{\"backlog\":16,"
		 "\"accept_queue\":0,\"syn_recv\":0,\"inode\":%s}}", SCT_INO(l));
	ASSERT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in:\n%s", want, out);
	ASSERT_NE(NULL, strstr(out, "{\"section\":\"verdict\",\"args\":[\"bind\",\"blocker\","
			       "\"inet\",\"127.0.0.1:18084\",\"ESTAB\"],"
			       "\"fields\":{\"result\":\"EADDRINUSE\","))
		TH_LOG("%s", out);
	free(out);

	for (i = 0; i < ARRAY_SIZE(usage); i++) {
		ASSERT_EQ(64, sct_run((char *const[]){ (char *)bin, "port", (char *)usage[i][0],
						       (char *)usage[i][1], NULL }, &out))
			TH_LOG("selfconn port %s %s", usage[i][0] ?: "", usage[i][1] ?: "");
		free(out);
	}
	PR_WATCHED("");
}

TEST_HARNESS_MAIN
