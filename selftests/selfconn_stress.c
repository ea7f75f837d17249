// SPDX-License-Identifier: GPL-2.0
/*
 * selfconn_stress [--seconds N]: in a network namespace of its own, the
 * threads of st_roles at once, module reloads ($SELFCONN_KO) included.
 *
 * Every read is consistent output (sct_parse(), nothing shaped like a
 * kernel address) or a clean error: ENOENT (opened while the module was
 * out) or EIO (its file removed under it: proc_entry_rundown(); lseek() is
 * then EINVAL). Writes may get ENOENT and ENOSPC, socket calls what a busy
 * loopback gives; any other errno fails. The module must then unload, load
 * and read consistently; splats and leaks are the lane's to find. TAP.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>

#include "kselftest.h"
#include "selfconn_lib.h"

#define ST_LISTEN	18200	/* the loopback churn's listener */
#define ST_SELF		18300	/* self-connects: ST_SELF .. + ST_NSELF - 1 */
#define ST_NSELF	64
/* A few watched ports: each report walks the established hash (ENOSPC: selfconn_port). */
#define ST_WATCH	18300
#define ST_NWATCH	16
#define ST_LPORT	18400	/* listener churn: 32 ports */
#define ST_BUF		(1 << 20)
#define ST_TOGGLERS	3	/* the first in the main namespace */
#define ST_OPTS		(SCT_REUSEADDR | SCT_TIMEO_1S)

enum st_count {
	C_CONNECT, C_SELF, C_SELF_REFUSED, C_TIMEWAIT, C_ACCEPT, C_LISTENERS,
	C_READ, C_TINY, C_QUERY, C_READ_ERR, C_WATCH, C_TOGGLE, C_REFUSED,
	C_NETNS, C_RELOAD, C_UNLOAD_MS, C_LOAD_MS, C_NR
};

static const char * const st_count_names[C_NR] = {
	"connections", "selfconnects", "selfconnects_refused", "timewait",
	"accepts", "listeners", "reads", "tiny_reads", "queries", "read_errors",
	"watch_writes", "sysctl_toggles", "refused", "netns", "reloads",
	"unload_ms", "load_ms",
};

struct st_ctx {
	atomic_bool stop;
	atomic_long count[C_NR];
	pthread_mutex_t lock;		/* protects the failure record */
	int unexpected;			/* errnos no call may get */
	int inconsistent;		/* reads that were not consistent */
	char first_bad[512];
	char *bad_text;			/* the first inconsistent read */
	const char *ko;
	int main_ns;			/* the stress namespace */
	int holder_ns;			/* refuse=1 there: see sct_hold_hooks() */
};

struct st_thread {
	struct st_ctx *ctx;
	pthread_t tid;
	int id;
	unsigned int seed;
	const char *name;
};

static void st_add(struct st_thread *t, enum st_count k)
{
	atomic_fetch_add(&t->ctx->count[k], 1);
}

static void st_unexpected(struct st_thread *t, const char *what, int err)
{
	struct st_ctx *c = t->ctx;

	pthread_mutex_lock(&c->lock);
	if (!c->unexpected++)
		snprintf(c->first_bad, sizeof(c->first_bad), "%s %d: %s: %s",
			 t->name, t->id, what, strerror(err));
	pthread_mutex_unlock(&c->lock);
}

static void st_inconsistent(struct st_thread *t, const char *why, const char *text)
{
	struct st_ctx *c = t->ctx;

	pthread_mutex_lock(&c->lock);
	if (!c->inconsistent++ && !c->unexpected) {
		snprintf(c->first_bad, sizeof(c->first_bad), "%s %d: %s", t->name, t->id, why);
		c->bad_text = strdup(text);
	}
	pthread_mutex_unlock(&c->lock);
}

static int st_rand(struct st_thread *t, int n)
{
	return rand_r(&t->seed) % n;
}

/*
 * A read into f that returned ret: 0; -errno of the read; or -EBADMSG, why in f->err, if
 * something is shaped like a kernel address or a row is on no port of our self-connects.
 */
static int st_check(struct sct_file *f, int ret)
{
	int i;

	if (ret)
		return ret;
	if (sct_kernel_address(f->text))
		snprintf(f->err, sizeof(f->err), "something shaped like a kernel address");
	for (i = 0; i < f->nrows && !f->err[0]; i++) {
		int p = atoi(strrchr(f->rows[i].addr, ':') + 1);

		if (p < ST_SELF || p >= ST_SELF + ST_NSELF)
			snprintf(f->err, sizeof(f->err),
				 "a row on a port no self-connect of this namespace uses");
	}
	return f->err[0] ? -EBADMSG : 0;
}

/* kind 0: 127.0.0.1, 1: ::1, 2: ::ffff:127.0.0.1 */
static const char *const st_addr[] = { "127.0.0.1", "::1", "::ffff:127.0.0.1" };
#define ST_FAMILY(kind)	((kind) ? AF_INET6 : AF_INET)

/* A socket call failed with err: unexpected, unless a busy loopback may answer it. */
static void st_net_fail(struct st_thread *t, const char *what, int err)
{
	if (err != ECONNREFUSED && err != EADDRINUSE && err != EADDRNOTAVAIL &&
	    err != ETIMEDOUT && err != EINPROGRESS && err != EAGAIN &&
	    err != ECONNRESET && err != EPIPE && err != ENOBUFS)
		st_unexpected(t, what, err);
}

/* A socket (bound to bind_port if not 0) connected to kind:port: fd or -errno. */
static int st_connect(int kind, int port, int bind_port)
{
	return sct_connected(ST_FAMILY(kind), st_addr[kind], bind_port ? bind_port : -1,
			     st_addr[kind], port, ST_OPTS);
}

static int st_listen(int kind, int port)
{
	return sct_listener_as(ST_FAMILY(kind), st_addr[kind], port, ST_OPTS, 512, geteuid());
}

static void *st_acceptor(void *arg)
{
	struct st_thread *t = arg;
	int l = st_listen(0, ST_LISTEN), fd;
	char b[64];

	if (l < 0) {
		st_unexpected(t, "listen", -l);
		return NULL;
	}
	while (!atomic_load(&t->ctx->stop)) {
		struct pollfd p = { .fd = l, .events = POLLIN };

		if (poll(&p, 1, 100) != 1)
			continue;
		fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		st_add(t, C_ACCEPT);
		while (read(fd, b, sizeof(b)) > 0)
			;
		close(fd);
	}
	close(l);
	return NULL;
}

/* Connects, writes, closes first: the client ends in TIME-WAIT. */
static void *st_churn(void *arg)
{
	struct st_thread *t = arg;
	int fd;

	while (!atomic_load(&t->ctx->stop)) {
		fd = st_connect(0, ST_LISTEN, 0);
		if (fd < 0) {
			st_net_fail(t, "connect", -fd);
			usleep(5000);
			continue;
		}
		st_add(t, C_CONNECT);
		if (write(fd, "x", 1) == 1)
			st_add(t, C_TIMEWAIT);
		close(fd);
		usleep(1000);	/* leave the readers some CPU */
	}
	return NULL;
}

/* Self-connects of the three kinds; some closed plainly (TIME-WAIT rows). */
static void *st_self(void *arg)
{
	struct st_thread *t = arg;
	int held[8] = { -1, -1, -1, -1, -1, -1, -1, -1 }, n = 0, fd, port, kind;

	while (!atomic_load(&t->ctx->stop)) {
		kind = n % 3;
		port = ST_SELF + st_rand(t, ST_NSELF);
		fd = st_connect(kind, port, port);
		if (fd < 0) {
			if (fd == -ECONNREFUSED)
				st_add(t, C_SELF_REFUSED);
			else
				st_net_fail(t, "self-connect", -fd);
		} else {
			st_add(t, C_SELF);
			if (held[n % 8] >= 0 && st_rand(t, 2))
				sct_rst_close(held[n % 8]);
			else if (held[n % 8] >= 0)
				close(held[n % 8]);
			held[n % 8] = fd;
		}
		n++;
		usleep(2000);
	}
	for (n = 0; n < 8; n++)
		if (held[n] >= 0)
			sct_rst_close(held[n]);
	return NULL;
}

/* Listeners that accept one connection, then everything closes. */
static void *st_listeners(void *arg)
{
	struct st_thread *t = arg;
	int l, c, a, port, kind;

	while (!atomic_load(&t->ctx->stop)) {
		port = ST_LPORT + st_rand(t, 32);
		kind = st_rand(t, 2);
		l = st_listen(kind, port);
		if (l < 0) {
			st_net_fail(t, "listen", -l);
			usleep(5000);
			continue;
		}
		st_add(t, C_LISTENERS);
		c = st_connect(kind, port, 0);
		a = c < 0 ? -1 : accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (a >= 0) {
			st_add(t, C_ACCEPT);
			close(a);
		}
		if (c >= 0)
			close(c);
		close(l);
		usleep(1000);
	}
	return NULL;
}

/* Open the file: the descriptor, or -1 after waiting out an unload. */
static int st_open_proc(struct st_thread *t, int flags)
{
	int fd = open(SCT_PROC, flags | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		usleep(2000);	/* the module is out */
	else
		st_unexpected(t, "open " SCT_PROC, errno);
	return -1;
}

/* A read error on a descriptor kept open: EIO after a reload, or unexpected. */
static void st_read_error(struct st_thread *t, int *fd, int err)
{
	if (err != EIO && err != ENOENT)
		st_unexpected(t, "read " SCT_PROC, err);
	st_add(t, C_READ_ERR);
	close(*fd);
	*fd = -1;
}

/* id 0: full reads; 1: tiny reads (1 to 7 bytes); 2: port queries. */
static void *st_reader(void *arg)
{
	struct st_thread *t = arg;
	struct sct_file f = {};
	int fd = -1, port = 0, ret;
	size_t chunk;

	while (!atomic_load(&t->ctx->stop)) {
		if (fd < 0) {
			fd = st_open_proc(t, t->id == 2 ? O_RDWR : O_RDONLY);
			if (fd < 0)
				continue;
		}
		if (t->id == 2) {
			char cmd[16];

			port = st_rand(t, 2) ? ST_SELF + st_rand(t, ST_NSELF) :
					       ST_LPORT + st_rand(t, 32);
			if (st_rand(t, 4) == 0)
				port = ST_LISTEN;
			snprintf(cmd, sizeof(cmd), "%d\n", port);
			/* at offset 0; no pwrite() on a seq_file (ESPIPE) */
			if (lseek(fd, 0, SEEK_SET)) {
				/* its file removed under it: EINVAL (proc_reg_llseek()) */
				st_read_error(t, &fd, errno == EINVAL ? EIO : errno);
				continue;
			}
			if (write(fd, cmd, strlen(cmd)) < 0) {
				st_read_error(t, &fd, errno);
				continue;
			}
		}
		chunk = t->id == 1 ? 1 + st_rand(t, 7) : ST_BUF;
		ret = st_check(&f, sct_reread(&f, fd, chunk, port));
		if (ret && ret != -EBADMSG) {
			st_read_error(t, &fd, -ret);
			continue;
		}
		st_add(t, t->id == 0 ? C_READ : t->id == 1 ? C_TINY : C_QUERY);
		if (ret)
			st_inconsistent(t, f.err, f.text);
	}
	sct_file_free(&f);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Watch, unwatch, clear; one descriptor kept open across reloads. */
static void *st_writer(void *arg)
{
	struct st_thread *t = arg;
	int fd = -1, r;
	char cmd[16];

	while (!atomic_load(&t->ctx->stop)) {
		if (fd < 0) {
			fd = st_open_proc(t, O_WRONLY);
			if (fd < 0)
				continue;
		}
		r = st_rand(t, 100);
		if (r == 0)
			snprintf(cmd, sizeof(cmd), "clear\n");
		else
			snprintf(cmd, sizeof(cmd), r < 50 ? "%d\n" : "-%d\n",
				 ST_WATCH + st_rand(t, ST_NWATCH));
		if (write(fd, cmd, strlen(cmd)) >= 0) {
			st_add(t, C_WATCH);
			continue;
		}
		if (errno == ENOENT || errno == ENOSPC) {
			st_add(t, C_WATCH);
		} else if (errno == EIO) {
			close(fd);
			fd = -1;
		} else {
			st_unexpected(t, "watch", errno);
		}
		usleep(1000);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* 0, or an errno that is fine while the module comes and goes. */
static int st_write_sysctl(struct st_thread *t, const char *val)
{
	int err = -sct_write_file(SCT_SYSCTL, val);

	if (err && err != ENOENT)
		st_unexpected(t, "write " SCT_SYSCTL, err);
	return err;
}

/* Toggles refuse (id 0: in the main namespace) and self-connects. */
static void *st_toggler(void *arg)
{
	struct st_thread *t = arg;
	int fd, i = 0;

	if (t->id && (sct_new_netns())) {
		st_unexpected(t, "own namespace", errno);
		return NULL;
	}
	while (!atomic_load(&t->ctx->stop)) {
		if (!st_write_sysctl(t, i++ & 1 ? "1\n" : "0\n"))
			st_add(t, C_TOGGLE);
		if (t->id) {
			fd = st_connect(t->id % 3, 18500, 18500);
			if (fd >= 0)
				sct_rst_close(fd);
			else if (fd == -ECONNREFUSED)
				st_add(t, C_REFUSED);
			else
				st_net_fail(t, "self-connect", -fd);
		}
		usleep(1000 * (t->id ? 3 : 50));
	}
	return NULL;
}

/* Namespaces, set up and dropped with their sockets and an open file. */
static void *st_netns(void *arg)
{
	struct st_thread *t = arg;
	int l, c, a, self, pfd, tw;
	char cmd[16];

	while (!atomic_load(&t->ctx->stop)) {
		usleep(10000);
		if (unshare(CLONE_NEWNET)) {
			if (errno != ENOMEM)
				st_unexpected(t, "unshare", errno);
			continue;
		}
		st_add(t, C_NETNS);
		sct_lo_up();
		st_write_sysctl(t, st_rand(t, 2) ? "1\n" : "0\n");
		l = st_listen(1, 18600);
		c = l < 0 ? -1 : st_connect(2, 18600, 0);
		a = c < 0 ? -1 : accept4(l, NULL, NULL, SOCK_CLOEXEC);
		tw = st_connect(2, 18600, 0);
		if (tw >= 0)
			close(tw);	/* a client that closes first */
		self = st_connect(0, 18601, 18601);
		pfd = open(SCT_PROC, O_WRONLY | O_CLOEXEC);
		if (pfd >= 0) {
			snprintf(cmd, sizeof(cmd), "%d\n", 18600 + st_rand(t, 2));
			if (write(pfd, cmd, strlen(cmd)) < 0 && errno != EIO)
				st_unexpected(t, "watch in a new namespace", errno);
		}
		if (setns(t->ctx->main_ns, CLONE_NEWNET))
			st_unexpected(t, "setns", errno);
		usleep(1000 * st_rand(t, 20));
		/* the last reference goes with these: the namespace is torn down */
		close(self);
		close(a);
		close(c);
		close(l);
		close(pfd);
	}
	return NULL;
}

static void *st_reloader(void *arg)
{
	struct st_thread *t = arg;
	long start, took = 0;
	int err;

	/*
	 * Ahead of thirteen busy threads on two slow CPUs (KASAN under TCG), reload as often as
	 * the kernel lets it, but leave the module loaded at least as long as the last reload
	 * took (two pernet unregistrations wait for namespaces being cleaned up).
	 */
	if (setpriority(PRIO_PROCESS, gettid(), -10))
		st_unexpected(t, "setpriority", errno);
	while (!atomic_load(&t->ctx->stop)) {
		usleep(1000 * (100 + st_rand(t, 300) + took));
		start = sct_now_us() / 1000;
		err = sct_module_unload();
		took = sct_now_us() / 1000 - start;
		atomic_fetch_add(&t->ctx->count[C_UNLOAD_MS], took);
		if (err) {
			st_unexpected(t, "delete_module", -err);
			continue;
		}
		usleep(1000 * st_rand(t, 50));
		start = sct_now_us() / 1000;
		err = sct_module_load(t->ctx->ko, st_rand(t, 4) ? "" : "refuse_default=1");
		atomic_fetch_add(&t->ctx->count[C_LOAD_MS], sct_now_us() / 1000 - start);
		took += sct_now_us() / 1000 - start;
		if (err) {
			st_unexpected(t, "finit_module", -err);
			break;
		}
		st_add(t, C_RELOAD);
		/* sct_hold_hooks(): a reload resets the holder's refuse=1 */
		err = t->ctx->holder_ns;
		if (err >= 0 && sct_hold_hooks(err) != err)
			st_unexpected(t, "refuse=1 in the holder namespace", errno);
	}
	return NULL;
}

/* --seconds N, else $SELFCONN_STRESS_SECONDS, else 15; --help and usage errors exit. */
static int st_seconds(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("SELFCONN_STRESS_SECONDS");
	int secs = env && atoi(env) > 0 ? atoi(env) : 15, o;

	while ((o = getopt_long(argc, argv, "s:h", opts, NULL)) == 's') {
		secs = atoi(optarg);
		if (secs <= 0)
			break;
	}
	if (o == -1 && optind == argc)
		return secs;
	fprintf(o == 'h' ? stdout : stderr, "usage: %s [--seconds N]\n"
		"  Stress selfconn: connections, self-connects, readers, watch writes,\n"
		"  refuse toggles, namespaces and module reloads ($SELFCONN_KO), all at\n"
		"  once, for N > 0 seconds (default 15, or $SELFCONN_STRESS_SECONDS). TAP.\n",
		argv[0]);
	exit(o == 'h' ? 0 : 64);
}

struct st_role {
	const char *name;
	void *(*fn)(void *);
	int n;
};

static const struct st_role st_roles[] = {
	{ "acceptor", st_acceptor, 1 },
	{ "churn", st_churn, 2 },
	{ "self", st_self, 1 },
	{ "listeners", st_listeners, 1 },
	{ "reader", st_reader, 3 },
	{ "writer", st_writer, 1 },
	{ "toggler", st_toggler, ST_TOGGLERS },
	{ "netns", st_netns, 1 },
	{ "reloader", st_reloader, 1 },
};

#define ST_MAX_THREADS	16

/* Every part did something at least once (reloads only with a module). */
static bool st_all_ran(struct st_ctx *c)
{
	static const enum st_count parts[] = {
		C_CONNECT, C_SELF, C_READ, C_TINY, C_QUERY, C_WATCH, C_TOGGLE, C_NETNS,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parts); i++)
		if (!atomic_load(&c->count[parts[i]]))
			return false;
	return !c->ko || atomic_load(&c->count[C_RELOAD]);
}

int main(int argc, char **argv)
{
	static struct st_ctx ctx;
	struct st_thread th[ST_MAX_THREADS];
	int secs = st_seconds(argc, argv), nth = 0, i, k, err;
	struct sct_file final = {};
	size_t r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	if (geteuid() || !sct_module_loaded())
		ksft_exit_skip("needs root and selfconn.ko loaded\n");
	ctx.ko = sct_module_ko();
	pthread_mutex_init(&ctx.lock, NULL);
	if (sct_new_netns())
		ksft_exit_skip("no network namespace: %s\n", strerror(errno));
	ctx.main_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	/* see sct_hold_hooks(); the reloader sets its refuse=1 again */
	ctx.holder_ns = sct_hold_hooks(-1);
	if (ctx.holder_ns == -2)
		ksft_exit_fail_msg("setns: %s\n", strerror(errno));
	ksft_set_plan(5);
	ksft_print_msg("stress: %d s; module reloads: %s\n", secs,
		       ctx.ko ? ctx.ko : "none (" SCT_NO_KO ")");

	for (r = 0; r < ARRAY_SIZE(st_roles); r++) {
		if (st_roles[r].fn == st_reloader && !ctx.ko)
			continue;
		for (k = 0; k < st_roles[r].n; k++, nth++) {
			th[nth] = (struct st_thread){
				.ctx = &ctx, .id = k, .name = st_roles[r].name, .seed = 1 + nth,
			};
			if (pthread_create(&th[nth].tid, NULL, st_roles[r].fn, &th[nth]))
				ksft_exit_fail_msg("cannot start thread %s\n", st_roles[r].name);
		}
	}
	sleep(secs);
	/* a slow kernel (KASAN under TCG) gets up to 3 times as long */
	for (i = 0; !st_all_ran(&ctx) && i < 3 * secs; i++)
		sleep(1);
	if (i)
		ksft_print_msg("stress: %d s more until every part ran\n", i);
	secs += i;
	atomic_store(&ctx.stop, true);
	for (i = 0; i < nth; i++)
		pthread_join(th[i].tid, NULL);

	ksft_print_msg("stress:");
	for (k = 0; k < C_NR; k++)
		printf(" %s=%ld", st_count_names[k], atomic_load(&ctx.count[k]));
	printf(" seconds=%d threads=%d\n", secs, nth);

	ksft_test_result(!ctx.inconsistent, "readers got consistent output or a clean error\n");
	if (ctx.inconsistent)
		ksft_print_msg("%d inconsistent read(s); the first: %s\n# ---\n%s# ---\n",
			       ctx.inconsistent, ctx.first_bad, ctx.bad_text ? ctx.bad_text : "");
	ksft_test_result(!ctx.unexpected, "no call got an unexpected errno\n");
	if (ctx.unexpected)
		ksft_print_msg("%d unexpected errno(s); the first: %s\n", ctx.unexpected,
			       ctx.first_bad);
	ksft_test_result(st_all_ran(&ctx), "every part ran\n");

	/* the module unloads at the end, and comes back with its defaults */
	if (!sct_module_loaded() && ctx.ko)
		sct_module_load(ctx.ko, "");
	if (ctx.ko) {
		err = sct_module_unload();
		ksft_test_result(!err, "the module unloads at the end\n");
		if (err)
			ksft_print_msg("delete_module: %s\n", strerror(-err));
		err = sct_module_load(ctx.ko, "");
		if (err)
			ksft_print_msg("finit_module: %s\n", strerror(-err));
	} else {
		ksft_test_result_skip("the module unloads at the end: " SCT_NO_KO "\n");
	}
	err = st_check(&final, sct_cat(&final));
	ksft_test_result(!err, "a final read is consistent\n");
	if (err)
		ksft_print_msg("final read: %s\n", final.err[0] ? final.err : strerror(-err));
	sct_file_free(&final);
	ksft_finished();
}
