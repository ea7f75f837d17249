// SPDX-License-Identifier: GPL-2.0
/*
 * net.selfconn.refuse=1: a connect() whose SYN would go from a socket to
 * itself fails at once with ECONNREFUSED; nothing else changes. Each test runs
 * in a fresh netns per variant; simultaneous_open needs ip(8) and tc(8) with
 * netem, module_reload a selfconn.ko (else a skip).
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <stdarg.h>

#include "kselftest_harness.h"
#include "selfconn_lib.h"

#define RF_PARAM	SCT_PARAMS "/refuse_default"
#define RF_TFO		"/proc/sys/net/ipv4/tcp_fastopen"
#define RF_FAST_MS	500	/* "at once": well under a second */
#define RF_PORT		18082
#define RF_OTHER_PORT	18090
#define RF_RATELIMIT_US	5500000	/* past the log's 5 s ratelimit window */

/* Is a row for address string @addr (as ss writes it) in /proc/selfconn? */
static bool rf_listed(struct __test_metadata *_metadata, const char *addr)
{
	struct sct_file f = {};
	bool found;

	sct_read(_metadata, &f);
	found = sct_count_rows(&f, NULL, addr, NULL);
	sct_file_free(&f);
	return found;
}

/* Run a shell command (ip, tc): 0 if it exited 0. */
static int rf_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int rf_sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = -1;

	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) ? -errno : err;
}

/* The call begun at t0 failed with err ECONNREFUSED, well under a second. */
static void rf_expect_refused(struct __test_metadata *_metadata, int err, long long t0,
			      const char *what)
{
	long long us = sct_now_us() - t0;

	EXPECT_EQ(ECONNREFUSED, err) TH_LOG("%s: %s", what, strerror(err));
	EXPECT_GT(RF_FAST_MS * 1000LL, us) TH_LOG("%s took %lld us", what, us);
	TH_LOG("%s refused in %lld us", what, us);
}

/* In a test: fd connects to addr:port; a socket (opts) on addr:RF_PORT to itself. */
#define RF_TO(fd, port)	sct_connect((fd), variant->family, variant->addr, (port))
#define RF_SELF(opts)	sct_self_connect(variant->family, variant->addr, RF_PORT, (opts))

/* fd connects to itself: ECONNREFUSED, at once. */
#define EXPECT_REFUSED_FAST(fd, what) do {					\
	long long __t0 = sct_now_us();						\
										\
	rf_expect_refused(_metadata, -RF_TO((fd), RF_PORT), __t0, (what));	\
} while (0)

/*
 * After a refusal: the socket connects to a listener (it is reusable), and
 * once closed its port can be bound again without SO_REUSEADDR, with no
 * row left in /proc/selfconn (no TIME-WAIT holds it).
 */
static void rf_expect_reusable(struct __test_metadata *_metadata, int fd,
			       int family, const char *addr, int port)
{
	int lfd, afd, nfd, i, err;
	char buf[80];

	lfd = sct_t_listener(_metadata, family, addr, RF_OTHER_PORT, SCT_REUSEADDR);
	EXPECT_EQ(0, sct_connect(fd, family, addr, RF_OTHER_PORT))
		TH_LOG("the refused socket cannot connect to a listener");
	/* before accept(): a deferred TCP_FASTOPEN_CONNECT sends its SYN here */
	EXPECT_EQ(5, write(fd, "hello", 5)) TH_LOG("write: %s", strerror(errno));
	afd = sct_t_accept(_metadata, lfd, sct_local_port(fd));
	EXPECT_EQ(5, read(afd, buf, 5));
	/* the peer closes first: crossed FINs would leave fd in TIME-WAIT */
	close(afd);
	close(lfd);
	EXPECT_TRUE(sct_wait_eof(fd)) TH_LOG("no FIN from the closed peer");
	close(fd);

	EXPECT_FALSE(rf_listed(_metadata, sct_addrstr(family, addr, port, buf, sizeof(buf))))
		TH_LOG("%s listed after a refused self-connect", buf);
	nfd = sct_t_socket(_metadata, family, 0);
	/* fd closed passively: its LAST-ACK ends soon (a TIME-WAIT would hold 60 s) */
	for (i = 0; i < 300; i++) {
		err = sct_bind(nfd, family, addr, port);
		if (!err || errno != EADDRINUSE)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, err) TH_LOG("port %d not released: bind: %s", port, strerror(errno));
	EXPECT_EQ(0, listen(nfd, 1));
	close(nfd);
}

FIXTURE(refuse) {
	unsigned long taint;
};

FIXTURE_VARIANT(refuse) {
	SCT_FAMILY_FIELDS;
	const char *any_dst;	/* connecting there reaches loopback */
	const char *veth[2];	/* the two ends of the simultaneous open */
};

FIXTURE_VARIANT_ADD(refuse, ipv4) {
	SCT_IPV4,
	.any_dst = "0.0.0.0",
	.veth = { "198.18.0.1", "198.18.0.2" },
};

FIXTURE_VARIANT_ADD(refuse, ipv6) {
	SCT_IPV6,
	.any_dst = "::",
	.veth = { "2001:db8:5e1f::1", "2001:db8:5e1f::2" },
};

FIXTURE_VARIANT_ADD(refuse, v4mapped) {
	SCT_V4MAPPED,
	.any_dst = "::ffff:0.0.0.0",
	.veth = { "::ffff:198.18.0.1", "::ffff:198.18.0.2" },
};

FIXTURE_SETUP(refuse)
{
	SCT_SETUP_FAMILY();
	ASSERT_EQ(0, sct_read_long(SCT_SYSCTL))
		TH_LOG("a new namespace must start with refuse=0");
}

/* Whatever the reload test did, leave the module loaded, default 0. */
FIXTURE_TEARDOWN(refuse)
{
	if (sct_read_long(RF_PARAM) > 0)
		EXPECT_EQ(0, sct_write_file(RF_PARAM, "0"));
	sct_t_teardown(_metadata, self->taint);
}

#define RF_LISTED()	rf_listed(_metadata, SCT_ADDR(variant->family, variant->addr, RF_PORT))

/* A new namespace starts at 0 and a self-connect then works as before. */
TEST_F_TIMEOUT(refuse, default_allows, SCT_TIMEOUT)
{
	int fd;

	EXPECT_COUNTERS(0, 0);
	fd = sct_t_self_connect(_metadata, variant->family, variant->addr, RF_PORT, geteuid());
	EXPECT_TRUE(RF_LISTED());
	EXPECT_COUNTERS(0, 0);
	close(fd);
}

/*
 * A self-connect made before refuse=1 is left alone: the hook only looks at
 * SYNs, and an ESTABLISHED socket sends none. It keeps talking to itself.
 */
TEST_F_TIMEOUT(refuse, existing_left_alone, SCT_TIMEOUT)
{
	char c = 0;
	int fd;

	fd = sct_t_self_connect(_metadata, variant->family, variant->addr, RF_PORT, geteuid());
	ASSERT_EQ(0, sct_set_refuse(1));
	EXPECT_EQ(1, write(fd, "x", 1));
	EXPECT_EQ(1, read(fd, &c, 1));
	EXPECT_EQ('x', c);
	EXPECT_EQ(TCP_ESTABLISHED, sct_tcp_state(fd));
	EXPECT_TRUE(RF_LISTED());
	/* Counted only when a SYN goes out with the hook registered. */
	EXPECT_COUNTERS(0, 0);
	close(fd);
}

/* nc ADDR P -p P: a blocking socket bound to the port it connects to. */
TEST_F_TIMEOUT(refuse, blocking, SCT_TIMEOUT)
{
	int fd;

	ASSERT_EQ(0, sct_set_refuse(1));
	ASSERT_EQ(1, sct_read_long(SCT_SYSCTL));
	fd = sct_t_bound(_metadata, variant->family, variant->addr, RF_PORT, 0);
	EXPECT_REFUSED_FAST(fd, "blocking connect()");
	EXPECT_EQ(0, rf_sock_error(fd)) TH_LOG("a pending error is left");
	EXPECT_EQ(TCP_CLOSE, sct_tcp_state(fd));
	EXPECT_COUNTERS(1, 1);
	/* Refused again: the socket is as after any refused connect(). */
	EXPECT_EQ(-ECONNREFUSED, RF_TO(fd, RF_PORT));
	EXPECT_COUNTERS(2, 2);
	rf_expect_reusable(_metadata, fd, variant->family, variant->addr, RF_PORT);
}

TEST_F_TIMEOUT(refuse, nonblocking, SCT_TIMEOUT)
{
	struct pollfd pfd;
	int fd, lfd;

	ASSERT_EQ(0, sct_set_refuse(1));
	fd = sct_t_bound(_metadata, variant->family, variant->addr, RF_PORT, SCT_NONBLOCK);
	/* Not EINPROGRESS: the SYN never leaves. */
	EXPECT_REFUSED_FAST(fd, "non-blocking connect()");
	EXPECT_EQ(0, rf_sock_error(fd));
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_FALSE(pfd.revents & POLLERR) TH_LOG("POLLERR after the refusal");
	EXPECT_COUNTERS(1, 1);

	/* Non-blocking connect() to a listener still works on that socket. */
	lfd = sct_t_listener(_metadata, variant->family, variant->addr, RF_OTHER_PORT,
			     SCT_REUSEADDR);
	EXPECT_EQ(-EINPROGRESS, RF_TO(fd, RF_OTHER_PORT));
	pfd.events = POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(0, rf_sock_error(fd));
	EXPECT_EQ(TCP_ESTABLISHED, sct_tcp_state(fd));
	close(lfd);
	close(fd);
	EXPECT_COUNTERS(1, 1);
}

/*
 * With a one-port ip_local_port_range, an unbound socket connecting to
 * that port gets it as its source. The autobound port is released at once.
 */
TEST_F_TIMEOUT(refuse, ephemeral_port, SCT_TIMEOUT)
{
	int fd, fd2;

	ASSERT_EQ(0, sct_set_range(RF_PORT, RF_PORT));
	ASSERT_EQ(0, sct_set_refuse(1));
	fd = sct_t_socket(_metadata, variant->family, 0);
	EXPECT_REFUSED_FAST(fd, "connect() from an ephemeral port");
	/* Not an RST from a closed port: the counters prove it was us. */
	EXPECT_COUNTERS(1, 1);

	/* Released while fd is still open. */
	fd2 = sct_t_socket(_metadata, variant->family, 0);
	EXPECT_EQ(0, sct_bind(fd2, variant->family, variant->addr, RF_PORT))
		TH_LOG("autobound port not released: %s", strerror(errno));
	close(fd2);
	rf_expect_reusable(_metadata, fd, variant->family, variant->addr, RF_PORT);
	EXPECT_COUNTERS(1, 1);
}

/*
 * The accidental race: clients retrying a port of a small ip_local_port_range
 * with nothing listening never connect with refuse=1 (refused > 0: they hit
 * the race); with 0 the same loop self-connects.
 */
#define RF_RACE_LO	40000	/* even: connect() prefers even ports */
#define RF_RACE_TRIES	400

static int rf_race(struct __test_metadata *_metadata, int family,
		   const char *addr, int *connected)
{
	int i, fd, err, self = 0;

	*connected = 0;
	for (i = 0; i < RF_RACE_TRIES && !self; i++) {
		fd = sct_t_socket(_metadata, family, 0);
		err = sct_connect(fd, family, addr, RF_RACE_LO);
		if (!err) {
			(*connected)++;
			self = sct_is_self(fd);
		}
		close(fd);
		if (err && err != -ECONNREFUSED) {
			TH_LOG("try %d: unexpected %s", i, strerror(-err));
			return -1;
		}
	}
	return self;
}

TEST_F_TIMEOUT(refuse, ephemeral_race, SCT_TIMEOUT)
{
	struct sct_file f = {};
	int connected;

	ASSERT_EQ(0, sct_set_range(RF_RACE_LO, RF_RACE_LO + 7));
	ASSERT_EQ(0, sct_set_refuse(1));
	EXPECT_EQ(0, rf_race(_metadata, variant->family, variant->addr, &connected));
	EXPECT_EQ(0, connected) TH_LOG("%d connect()s succeeded with refuse=1", connected);
	sct_read(_metadata, &f);
	EXPECT_LT(0, f.refused) TH_LOG("the loop never drew the destination port");
	EXPECT_EQ(f.attempts, f.refused);
	TH_LOG("refuse=1: %d tries, %lld self-connects refused", RF_RACE_TRIES, f.refused);

	ASSERT_EQ(0, sct_set_refuse(0));
	EXPECT_EQ(1, rf_race(_metadata, variant->family, variant->addr, &connected))
		TH_LOG("refuse=0: no self-connect in %d tries", RF_RACE_TRIES);
	EXPECT_COUNTERS(f.attempts, f.refused);
	sct_file_free(&f);
}

/* sendto(MSG_FASTOPEN) of a socket bound to the port it sends to: refused. */
static void rf_tfo_sendto(struct __test_metadata *_metadata,
			  const FIXTURE_VARIANT(refuse) *variant, const char *what)
{
	struct sockaddr_storage ss;
	long long t0;
	socklen_t len;
	ssize_t n;
	int fd;

	ASSERT_EQ(0, sct_set_refuse(1));
	fd = sct_t_bound(_metadata, variant->family, variant->addr, RF_PORT, 0);
	len = sct_sockaddr(variant->family, variant->addr, RF_PORT, &ss);
	t0 = sct_now_us();
	n = sendto(fd, "hello", 5, MSG_FASTOPEN, (struct sockaddr *)&ss, len);
	rf_expect_refused(_metadata, n < 0 ? errno : 0, t0, what);
	EXPECT_COUNTERS(1, 1);
	rf_expect_reusable(_metadata, fd, variant->family, variant->addr, RF_PORT);
}

/* TCP Fast Open: sendto(MSG_FASTOPEN) connects and sends in one call. */
TEST_F_TIMEOUT(refuse, tfo_sendto, SCT_TIMEOUT)
{
	rf_tfo_sendto(_metadata, variant, "sendto(MSG_FASTOPEN)");
}

/*
 * tcp_fastopen=5 (client, no cookie needed): the SYN carries the data, and
 * when that SYN is refused tcp_send_syn_data() sends a plain one; one
 * connect, counted once.
 */
TEST_F_TIMEOUT(refuse, tfo_sendto_syn_data, SCT_TIMEOUT)
{
	ASSERT_EQ(0, sct_write_file(RF_TFO, "5"));
	rf_tfo_sendto(_metadata, variant, "sendto(MSG_FASTOPEN) with SYN data");
}

/* TCP_FASTOPEN_CONNECT without a cookie: connect() sends the SYN. */
TEST_F_TIMEOUT(refuse, tfo_connect, SCT_TIMEOUT)
{
	int fd, one = 1;

	ASSERT_EQ(0, sct_set_refuse(1));
	fd = sct_t_bound(_metadata, variant->family, variant->addr, RF_PORT, 0);
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)));
	EXPECT_REFUSED_FAST(fd, "connect() with TCP_FASTOPEN_CONNECT");
	EXPECT_COUNTERS(1, 1);
	rf_expect_reusable(_metadata, fd, variant->family, variant->addr, RF_PORT);
}

/*
 * TCP_FASTOPEN_CONNECT needing no cookie (tcp_fastopen=5): connect()
 * returns 0 and the first write() sends the SYN, refused; a later
 * connect() and write() to a listener work.
 */
TEST_F_TIMEOUT(refuse, tfo_connect_deferred, SCT_TIMEOUT)
{
	int fd, one = 1;
	long long t0;
	ssize_t n;

	ASSERT_EQ(0, sct_write_file(RF_TFO, "5"));
	ASSERT_EQ(0, sct_set_refuse(1));
	fd = sct_t_bound(_metadata, variant->family, variant->addr, RF_PORT, 0);
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)));
	ASSERT_EQ(0, RF_TO(fd, RF_PORT)) TH_LOG("a deferred connect() sends nothing");
	EXPECT_COUNTERS(0, 0);
	t0 = sct_now_us();
	n = write(fd, "hello", 5);
	rf_expect_refused(_metadata, n < 0 ? errno : 0, t0,
			  "write() after a deferred TCP_FASTOPEN_CONNECT");
	EXPECT_EQ(0, rf_sock_error(fd));
	EXPECT_COUNTERS(1, 1);
	rf_expect_reusable(_metadata, fd, variant->family, variant->addr, RF_PORT);
	EXPECT_COUNTERS(1, 1);
}

/*
 * The kernel's own 6.1 selftest net/sk_bind_sendto_listen.c: two sockets bound
 * to the wildcard:port with SO_REUSEADDR, each sendto(MSG_FASTOPEN) the
 * wildcard:port, which reaches loopback. With refuse=0 the first connects to
 * itself, as there; with 1 both are refused. The second still listens.
 */
static void rf_sk_bind_sendto_listen(struct __test_metadata *_metadata,
				     const FIXTURE_VARIANT(refuse) *variant,
				     int port, bool refuse)
{
	struct sockaddr_storage dst;
	socklen_t dlen = sct_sockaddr(variant->family, variant->any_dst, port, &dst);
	int fd[2], i;
	ssize_t n;

	ASSERT_NE(0, dlen);
	for (i = 0; i < 2; i++) {
		fd[i] = sct_t_bound(_metadata, variant->family, variant->any, port, SCT_REUSEADDR);
		n = sendto(fd[i], NULL, 0, MSG_FASTOPEN, (struct sockaddr *)&dst, dlen);
		if (!refuse && !i) {
			EXPECT_EQ(0, n) TH_LOG("sendto fd1: %s", strerror(errno));
			EXPECT_TRUE(sct_is_self(fd[i]));
			continue;
		}
		EXPECT_EQ(-1, n);
		if (refuse)
			EXPECT_EQ(ECONNREFUSED, errno) TH_LOG("sendto fd%d: %s", i + 1,
							      strerror(errno));
	}
	EXPECT_EQ(0, listen(fd[1], 0)) TH_LOG("listen: %s", strerror(errno));
	close(fd[1]);
	close(fd[0]);
}

TEST_F_TIMEOUT(refuse, sk_bind_sendto_listen, SCT_TIMEOUT)
{
	rf_sk_bind_sendto_listen(_metadata, variant, 20000, false);
	EXPECT_COUNTERS(0, 0);
	ASSERT_EQ(0, sct_set_refuse(1));
	rf_sk_bind_sendto_listen(_metadata, variant, 20001, true);
	EXPECT_COUNTERS(2, 2);
}

/* Distinct sockets: equal ports on different addresses, and a listener. */
TEST_F_TIMEOUT(refuse, distinct_sockets, SCT_TIMEOUT)
{
	int lfd, fd;

	ASSERT_EQ(0, sct_set_refuse(1));
	lfd = sct_t_listener(_metadata, variant->family, variant->other, RF_PORT, SCT_REUSEADDR);
	fd = sct_t_connected(_metadata, variant->family, variant->addr, RF_PORT, variant->other,
			     RF_PORT, 0);
	close(sct_t_accept(_metadata, lfd, RF_PORT));
	close(fd);
	close(lfd);

	lfd = sct_t_listener(_metadata, variant->family, variant->addr, RF_PORT, SCT_REUSEADDR);
	close(sct_t_client(_metadata, lfd, variant->family, variant->addr, RF_PORT, &fd));
	close(fd);
	close(lfd);
	EXPECT_COUNTERS(0, 0);
}

/*
 * A true simultaneous open: two namespaces joined by a veth pair with a
 * netem delay, so that the two SYNs cross. Both have refuse=1; both
 * connect()s succeed and neither is counted.
 */
static int rf_veth_setup(const char *addr, const char *dev)
{
	bool v6;

	if (!strncmp(addr, "::ffff:", 7))
		addr += 7;	/* ip(8) takes the IPv4 address */
	v6 = strchr(addr, ':');
	if (rf_sh("ip %saddr add %s/%s dev %s%s && ip link set %s up", v6 ? "-6 " : "", addr,
		  v6 ? "64" : "24", dev, v6 ? " nodad" : "", dev))
		return -1;
	return rf_sh("tc qdisc add dev %s root netem delay 500ms", dev);
}

TEST_F_TIMEOUT(refuse, simultaneous_open, SCT_TIMEOUT)
{
	const char *missing = sct_veth_netem_missing();
	struct sct_file f = {};
	struct sct_child c;
	char buf[4];
	int fd, err, st;

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, sct_set_refuse(1));
	ASSERT_EQ(0, sct_child_start(&c));
	if (!c.pid) {
		/* B: own namespace, end 1 of the veth. */
		if (sct_new_netns() || sct_set_refuse(1) || sct_send(c.from[1], 'n'))
			SCT_DIE(10);
		if (sct_recv(c.to[0]) != 'v' || rf_veth_setup(variant->veth[1], "scv1"))
			SCT_DIE(11);
		fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || sct_bind(fd, variant->family, variant->veth[1], RF_PORT))
			SCT_DIE(12);
		if (sct_send(c.from[1], 'r') || sct_recv(c.to[0]) != 'g')
			SCT_DIE(13);
		if (sct_connect(fd, variant->family, variant->veth[0], RF_PORT))
			SCT_DIE(14);
		if (write(fd, "B", 1) != 1 || read(fd, buf, 1) != 1 || buf[0] != 'A')
			SCT_DIE(15);
		if (sct_cat(&f) || f.attempts || f.refused || sct_read_long(SCT_SYSCTL) != 1)
			SCT_DIE(16);
		_exit(0);
	}
	ASSERT_EQ('n', sct_recv(c.from[0]));
	ASSERT_EQ(0, rf_sh("ip link add scv0 type veth peer name scv1 netns %d", c.pid));
	ASSERT_EQ(0, rf_veth_setup(variant->veth[0], "scv0"));
	fd = sct_t_bound(_metadata, variant->family, variant->veth[0], RF_PORT, 0);
	ASSERT_EQ(0, sct_send(c.to[1], 'v'));
	ASSERT_EQ('r', sct_recv(c.from[0]));
	ASSERT_EQ(0, sct_send(c.to[1], 'g'));
	err = sct_connect(fd, variant->family, variant->veth[1], RF_PORT);
	EXPECT_EQ(0, err) TH_LOG("A's connect(): %s", strerror(-err));
	if (!err) {
		EXPECT_EQ(1, write(fd, "A", 1));
		EXPECT_EQ(1, read(fd, buf, 1));
		EXPECT_EQ('B', buf[0]);
	}
	st = sct_child_wait(&c);
	EXPECT_EQ(0, st) TH_LOG("B failed at step %d (14: connect)", st);
	close(fd);
	EXPECT_COUNTERS(0, 0);
}

/* Each namespace has its own value and counters. */
TEST_F_TIMEOUT(refuse, per_netns, SCT_TIMEOUT)
{
	struct sct_child c;
	int fd, st;

	ASSERT_EQ(0, sct_set_refuse(1));
	ASSERT_EQ(0, sct_child_start(&c));
	if (!c.pid) {
		/* A fresh namespace: 0, and a self-connect works there. */
		if (sct_new_netns() || sct_read_long(SCT_SYSCTL) != 0)
			SCT_DIE(10);
		fd = sct_self_connect(variant->family, variant->addr, RF_PORT, 0);
		if (fd < 0 || !sct_is_self(fd))
			SCT_DIE(11);
		close(fd);
		/* Its own 1 refuses there, its own 0 does not touch A's 1. */
		if (sct_set_refuse(1))
			SCT_DIE(13);
		fd = sct_self_connect(variant->family, variant->addr, RF_PORT + 1, 0);
		if (fd != -ECONNREFUSED)
			SCT_DIE(15);
		if (sct_set_refuse(0) || sct_send(c.from[1], 'd') || sct_recv(c.to[0]) != 'q')
			SCT_DIE(16);
		_exit(0);
	}
	ASSERT_EQ('d', sct_recv(c.from[0]));
	EXPECT_EQ(1, sct_read_long(SCT_SYSCTL));
	EXPECT_COUNTERS(0, 0);
	EXPECT_EQ(-ECONNREFUSED, RF_SELF(0));
	EXPECT_COUNTERS(1, 1);
	ASSERT_EQ(0, sct_send(c.to[1], 'q'));
	st = sct_child_wait(&c);
	EXPECT_EQ(0, st) TH_LOG("child failed at step %d", st);
}

/* Only 0 and 1: anything else is EINVAL and leaves the value alone. */
TEST_F_TIMEOUT(refuse, bad_values, SCT_TIMEOUT)
{
	static const char * const bad[] = { "2", "-1", "256", "abc", "1x", "4294967297" };
	unsigned int i;
	int v;

	for (v = 0; v <= 1; v++) {
		ASSERT_EQ(0, sct_set_refuse(v));
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			EXPECT_EQ(-EINVAL, sct_write_file(SCT_SYSCTL, bad[i]))
				TH_LOG("writing \"%s\"", bad[i]);
			EXPECT_EQ(v, sct_read_long(SCT_SYSCTL))
				TH_LOG("value changed by \"%s\"", bad[i]);
		}
	}
	EXPECT_EQ(0, sct_write_file(SCT_SYSCTL, "1"));	/* the same value again */
	EXPECT_EQ(1, sct_read_long(SCT_SYSCTL));
	EXPECT_EQ(0, sct_write_file(SCT_SYSCTL, "0\n"));
	EXPECT_EQ(0, sct_read_long(SCT_SYSCTL));
}

/* Drop CAP_NET_ADMIN from the effective set; keep the uid. */
static int rf_drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].permitted &= ~(1U << (CAP_NET_ADMIN % 32));
	return syscall(SYS_capset, &hdr, data);
}

static int rf_new_userns(void)
{
	return unshare(CLONE_NEWUSER);
}

/*
 * Writing needs CAP_NET_ADMIN over the namespace's user namespace: not an
 * unprivileged uid (EACCES: it cannot even open it for writing), not uid 0
 * without the capability (EPERM), not the root of a child user namespace
 * (EPERM); yes the owner of a namespace made in its own user namespace.
 * Each of them reads it.
 */
TEST_F_TIMEOUT(refuse, unprivileged, SCT_TIMEOUT)
{
	static const struct {
		int (*drop)(void);
		int err;
		const char *who;
	} cases[] = {
		{ sct_become_nobody, EACCES, "uid 65534" },
		{ rf_drop_net_admin, EPERM, "no CAP_NET_ADMIN" },
		{ rf_new_userns, EPERM, "child user namespace" },
	};
	struct sct_child c;
	unsigned int i;
	int st;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, sct_child_start(&c));
		if (!c.pid) {
			if (cases[i].drop())
				SCT_DIE(10);
			if (sct_read_long(SCT_SYSCTL))
				SCT_DIE(11);
			if (sct_write_file(SCT_SYSCTL, "1") != -cases[i].err)
				SCT_DIE(12);
			/* Its own network namespace is its to set. */
			if (cases[i].drop == rf_new_userns &&
			    (sct_new_netns() || sct_write_file(SCT_SYSCTL, "1") ||
			     sct_read_long(SCT_SYSCTL) != 1))
				SCT_DIE(13);
			_exit(0);
		}
		st = sct_child_wait(&c);
		EXPECT_EQ(0, st) TH_LOG("%s: step %d (12: write not %s)", cases[i].who, st,
					strerror(cases[i].err));
	}
	EXPECT_EQ(0, sct_read_long(SCT_SYSCTL));
}

/*
 * The counters in the /proc/selfconn header and one log line per refusal:
 * refused self-connect ADDR:PORT comm=COMM pid=PID uid=UID netns=INODE
 */
TEST_F_TIMEOUT(refuse, counters_and_log, SCT_TIMEOUT)
{
	static char text[65536];
	char want[256], *comm;
	int kfd, i, refused;
	struct stat nst;

	EXPECT_COUNTERS(0, 0);
	ASSERT_EQ(0, sct_set_refuse(1));
	EXPECT_COUNTERS(0, 0);

	ASSERT_EQ(0, sct_read_file("/proc/self/comm", &comm));
	comm[strcspn(comm, "\n")] = '\0';
	ASSERT_EQ(0, stat("/proc/self/ns/net", &nst));

	kfd = sct_kmsg_open();
	ASSERT_LE(0, kfd) TH_LOG("/dev/kmsg: %s", strerror(errno));
	snprintf(want, sizeof(want),
		 "selfconn: refused self-connect %s comm=%s pid=%d uid=0 netns=%lu\n",
		 SCT_ADDR(variant->family, variant->addr, RF_PORT), comm, getpid(),
		 (unsigned long)nst.st_ino);
	free(comm);

	EXPECT_EQ(-ECONNREFUSED, RF_SELF(0));
	EXPECT_COUNTERS(1, 1);
	refused = 1;
	if (!sct_kmsg_find(kfd, want, text, sizeof(text))) {
		/* Earlier tests may have spent the budget all namespaces share. */
		TH_LOG("no log line yet: waiting for the ratelimit window");
		usleep(RF_RATELIMIT_US);
		EXPECT_EQ(-ECONNREFUSED, RF_SELF(0));
		refused = 2;
		EXPECT_TRUE(sct_kmsg_find(kfd, want, text, sizeof(text)))
			TH_LOG("no log line: %s", want);
	}
	close(kfd);
	EXPECT_COUNTERS(refused, refused);

	/* Each refusal counts; a listener's connections do not. */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-ECONNREFUSED, RF_SELF(SCT_NONBLOCK));
	EXPECT_COUNTERS(refused + 3, refused + 3);
	ASSERT_EQ(0, sct_set_refuse(0));
	EXPECT_COUNTERS(refused + 3, refused + 3);
}

/*
 * rmmod while namespaces with refuse=1 refuse self-connects in a loop: the
 * hooks are gone, and after insmod every namespace is at 0. refuse_default=1
 * sets every namespace, existing and new; other values are EINVAL.
 */
#define RF_NS	3

TEST_F_TIMEOUT(refuse, module_reload, SCT_TIMEOUT)
{
	const char *ko = sct_t_need_ko(_metadata);
	struct sct_child c[RF_NS];
	int i, ret, st;

	ASSERT_EQ(0, sct_set_refuse(1));
	for (i = 0; i < RF_NS; i++) {
		ASSERT_EQ(0, sct_child_start(&c[i]));
		if (!c[i].pid) {
			struct pollfd p = { .fd = c[i].to[0], .events = POLLIN };
			int n = 0, cfd;

			if (sct_new_netns() || sct_set_refuse(1) || sct_send(c[i].from[1], 'u'))
				SCT_DIE(10);
			/* Self-connects refused until rmmod, then they work. */
			for (;;) {
				cfd = sct_self_connect(variant->family, variant->addr,
						       RF_PORT + n++ % 8, 0);
				if (cfd >= 0)
					close(cfd);
				else if (cfd != -ECONNREFUSED)
					SCT_DIE(12);
				/* Connected: the hooks are gone, rmmod is under way. */
				if (cfd >= 0 || poll(&p, 1, 0) == 1)
					break;
				usleep(1000);
			}
			if (sct_recv(c[i].to[0]) != 'x')
				SCT_DIE(13);
			/* After rmmod: no hook is left behind. */
			cfd = sct_self_connect(variant->family, variant->addr, RF_PORT + 9, 0);
			if (cfd < 0 || !sct_is_self(cfd))
				SCT_DIE(15);
			close(cfd);
			if (sct_send(c[i].from[1], 'y') || sct_recv(c[i].to[0]) != 'z')
				SCT_DIE(16);
			/* After insmod: this namespace is at 0. */
			if (sct_read_long(SCT_SYSCTL) != 0)
				SCT_DIE(17);
			_exit(0);
		}
		ASSERT_EQ('u', sct_recv(c[i].from[0]));
	}
	usleep(200000);

	ret = sct_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("delete_module(%s): %s", SCT_MODNAME, strerror(-ret));
	EXPECT_EQ(-ENOENT, sct_read_long(SCT_SYSCTL));
	for (i = 0; i < RF_NS; i++) {
		EXPECT_EQ(0, sct_send(c[i].to[1], 'x'));
		EXPECT_EQ('y', sct_recv(c[i].from[0]));
	}
	ret = sct_module_load(ko, "");
	ASSERT_EQ(0, ret) TH_LOG("finit_module(%s): %s", ko, strerror(-ret));
	EXPECT_EQ(0, sct_read_long(SCT_SYSCTL));
	EXPECT_COUNTERS(0, 0);
	for (i = 0; i < RF_NS; i++) {
		EXPECT_EQ(0, sct_send(c[i].to[1], 'z'));
		st = sct_child_wait(&c[i]);
		EXPECT_EQ(0, st) TH_LOG("namespace %d: step %d", i, st);
	}

	/* refuse_default: only 0 or 1. */
	ASSERT_EQ(0, sct_module_unload());
	EXPECT_EQ(-EINVAL, sct_module_load(ko, "refuse_default=2"));
	ASSERT_EQ(0, sct_module_load(ko, "refuse_default=1"));
	EXPECT_EQ(1, sct_read_long(RF_PARAM));
	EXPECT_EQ(1, sct_read_long(SCT_SYSCTL)) TH_LOG("existing namespace");
	EXPECT_EQ(-ECONNREFUSED, RF_SELF(0));
	EXPECT_COUNTERS(1, 1);
	/* A namespace made now starts at the default: 1, then 0. */
	for (i = 1; i >= 0; i--) {
		ASSERT_EQ(0, sct_child_start(&c[0]));
		if (!c[0].pid)
			_exit(sct_new_netns() || sct_read_long(SCT_SYSCTL) != i);
		EXPECT_EQ(0, sct_child_wait(&c[0])) TH_LOG("a new namespace is not at %d", i);
		EXPECT_EQ(-EINVAL, sct_write_file(RF_PARAM, "2"));
		EXPECT_EQ(0, sct_write_file(RF_PARAM, "0"));
	}

	ASSERT_EQ(0, sct_module_unload());
	ASSERT_EQ(0, sct_module_load(ko, ""));
	EXPECT_EQ(0, sct_read_long(SCT_SYSCTL));
}

TEST_HARNESS_MAIN
