/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the selfconn selftests; the sct_t_*() ones need kselftest_harness.h first. */
#ifndef SELFCONN_LIB_H
#define SELFCONN_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCT_PROC	"/proc/selfconn"
#define SCT_SYSCTL	"/proc/sys/net/selfconn/refuse"
#define SCT_AUDIT	"/proc/sys/net/selfconn/audit"
#define SCT_PARAMS	"/sys/module/selfconn/parameters"
#define SCT_RANGE	"/proc/sys/net/ipv4/ip_local_port_range"
#define SCT_MODNAME	"selfconn"
#define SCT_COLUMNS	"# family address state uid inode timer_ms"
#define SCT_TIMEOUT	120	/* seconds per test: QEMU without KVM, KASAN */
#define SCT_WAIT_MS	10000	/* how long a state change may take to show */
#define SCT_NOBODY	65534
#define SCT_MAXREP	64	/* watched ports, so reports per read, at most */

#ifndef __noreturn
#define __noreturn	__attribute__((noreturn))
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Taints M B D W L (bad MCE, bad page, oops, warning, soft lockup); the module taints O E. */
#define SCT_BAD_TAINTS ((1UL << 4) | (1UL << 5) | (1UL << 7) | (1UL << 9) | (1UL << 14))

static inline long long sct_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ---- files ---- */

static inline int sct_fail_close(int fd)
{
	int err = -errno;

	close(fd);
	return err;
}

/* fd from its offset to EOF, in reads of chunk bytes, into a NUL-terminated *out: 0 or -errno. */
static inline int sct_read_fd(int fd, size_t chunk, char **out, size_t *len)
{
	size_t n = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t got = 0;

	*out = NULL;
	do {
		n += got;
		if (n + chunk + 1 > cap) {
			cap = (n + chunk + 1) * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		got = read(fd, buf + n, chunk);
	} while (got > 0);
	if (got < 0) {
		got = -errno;
		free(buf);
		return got;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

static inline int sct_read_file(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	*out = NULL;
	if (fd < 0)
		return -errno;
	ret = sct_read_fd(fd, 65536, out, NULL);
	close(fd);
	return ret;
}

/* The first integer of a file (a sysctl, a parameter), or -errno. */
static inline long sct_read_long(const char *path)
{
	char *s;
	long v = sct_read_file(path, &s);

	if (!v)
		v = *s ? strtol(s, NULL, 10) : -ENODATA;
	free(s);
	return v;
}

/* One write(): 0, -errno, or -EMSGSIZE if short. */
static inline int sct_write_buf(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : (size_t)n == len ? 0 : -EMSGSIZE;
}

/* The same on a fresh descriptor (flags: O_WRONLY or O_RDWR). */
static inline int sct_write(const char *path, int flags, const void *buf, size_t len)
{
	int fd = open(path, flags | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = sct_write_buf(fd, buf, len);
	close(fd);
	return err;
}

static inline int sct_write_file(const char *path, const char *s)
{
	return sct_write(path, O_WRONLY, s, strlen(s));
}

static inline int sct_write_fd(int fd, const char *s)
{
	return sct_write_buf(fd, s, strlen(s));
}

static inline int sct_set_refuse(int val)
{
	return sct_write_file(SCT_SYSCTL, val ? "1\n" : "0\n");
}

static inline int sct_set_range(int lo, int hi)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d %d\n", lo, hi);
	return sct_write_file(SCT_RANGE, buf);
}

/* Where s holds a kernel address or hashed pointer (16+ hex digits, or 0x and 8+), or NULL. */
static inline const char *sct_kernel_address(const char *s)
{
	const char *p = s, *start;
	size_t run;

	while (p && *p) {
		start = p;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		run = strspn(p, "0123456789abcdefABCDEF");
		if (run >= 16 || (p != start && run >= 8))
			return start;
		p += run ? run : 1;
	}
	return NULL;
}

/* /dev/kmsg from its end on (what is logged from now), non-blocking: fd, or < 0 (errno). */
static inline int sct_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0)
		return sct_fail_close(fd);
	return fd;
}

/* Read kfd's records into text until one held want and none is pending (2 s at most). */
static inline bool sct_kmsg_find(int kfd, const char *want, char *text, size_t size)
{
	long long end = sct_now_us() + 2000000;
	bool found = false;
	size_t used = 0;
	ssize_t n;

	text[0] = '\0';
	while (used + 1 < size) {
		n = read(kfd, text + used, size - used - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n < 0 && errno == EAGAIN && !found && sct_now_us() < end) {
			usleep(10000);
			continue;
		}
		if (n <= 0)
			break;
		text[used + n] = '\0';
		found = found || strstr(text + used, want);
		used += n;
	}
	return found;
}

/* ---- network namespaces ---- */

static inline int sct_ioctl(int family, unsigned long req, void *arg)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, req, arg);
	close(fd);
	return ret;
}

static inline int sct_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };

	if (sct_ioctl(AF_INET, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return sct_ioctl(AF_INET, SIOCSIFFLAGS, &ifr);
}

static inline int sct_new_netns(void)
{
	return unshare(CLONE_NEWNET) ? -1 : sct_lo_up();
}

/* struct in6_ifreq of <linux/ipv6.h>, which clashes with <netinet/in.h> */
struct sct_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

/* Add addr/128 to lo, without duplicate address detection: 0 or -1. */
static inline int sct_add_addr6(const char *addr)
{
	struct sct_in6_ifreq ifr = { .prefixlen = 128, .ifindex = if_nametoindex("lo") };

	if (inet_pton(AF_INET6, addr, &ifr.addr) != 1)
		return -1;
	return sct_ioctl(AF_INET6, SIOCSIFADDR, &ifr);
}

/*
 * A namespace with refuse=1, held by its descriptor, so that toggling refuse elsewhere never
 * flips the nf_hooks_needed static key: TCG can leave a vCPU looping on a jump label patched
 * under it. held < 0 makes it, else sets refuse=1 in held again (a reload resets it). The
 * holder's descriptor; -1 if it cannot be made, -2 if the way back failed.
 */
static inline int sct_hold_hooks(int held)
{
	int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), err;

	if (own < 0)
		return -1;
	if (held >= 0 ? setns(held, CLONE_NEWNET) : unshare(CLONE_NEWNET)) {
		close(own);
		return -1;
	}
	err = sct_set_refuse(1);
	if (held < 0 && !err)
		held = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(own, CLONE_NEWNET)) {
		close(own);
		return -2;
	}
	close(own);
	errno = -err;
	return err ? -1 : held;
}

/* ---- addresses and sockets ---- */

/* ADDR:PORT of family into ss: its length, 0 if ADDR does not parse. */
static inline socklen_t sct_sockaddr(int family, const char *addr, int port,
				     struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? sizeof(*sin) : 0;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	return inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1 ? sizeof(*sin6) : 0;
}

/* The address column of /proc/selfconn and its reports, as ss writes it. */
static inline const char *sct_addrstr(int family, const char *addr, int port, char *buf, size_t len)
{
	snprintf(buf, len, family == AF_INET ? "%s:%d" : "[%s]:%d", addr, port);
	return buf;
}

/* Socket options; SCT_TIMEO_1S: I/O and connect() time out after 1 s. */
enum { SCT_REUSEADDR = 1, SCT_REUSEPORT = 2, SCT_V6ONLY = 4, SCT_NONBLOCK = 8, SCT_TIMEO_1S = 16 };

/* A TCP socket (opts; IPV6_V6ONLY as opts says) whose inode uid owns: fd or -errno. */
static inline int sct_socket_as(int family, int opts, uid_t uid)
{
	int one = 1, v6only = !!(opts & SCT_V6ONLY), fd, err;
	struct timeval tv = { 1, 0 };
	uid_t euid = geteuid();

	if (uid != euid && setresuid(-1, uid, -1))
		return -errno;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC |
		    (opts & SCT_NONBLOCK ? SOCK_NONBLOCK : 0), 0);
	err = errno;
	if (uid != euid && setresuid(-1, euid, -1))
		return -errno;
	if (fd < 0)
		return -err;
	if (((opts & SCT_REUSEADDR) &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    ((opts & SCT_REUSEPORT) &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    ((opts & SCT_TIMEO_1S) &&
	     (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))) ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only))))
		return sct_fail_close(fd);
	return fd;
}

/* bind(), retrying while a just-added IPv6 address is still tentative. */
static inline int sct_bind(int fd, int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sct_sockaddr(family, addr, port, &ss);
	int i;

	if (!len) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < 250; i++) {
		if (!bind(fd, (struct sockaddr *)&ss, len))
			return 0;
		if (errno != EADDRNOTAVAIL)
			return -1;
		usleep(20000);
	}
	return -1;
}

static inline int sct_connect(int fd, int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sct_sockaddr(family, addr, port, &ss);

	return connect(fd, (struct sockaddr *)&ss, len) ? -errno : 0;
}

/* Bound to addr:port (port -1: not bound), connected to raddr:rport: fd or -errno. */
static inline int sct_connected(int family, const char *addr, int port,
				const char *raddr, int rport, int opts)
{
	int fd = sct_socket_as(family, opts, geteuid());

	if (fd >= 0 && ((port >= 0 && sct_bind(fd, family, addr, port)) ||
			sct_connect(fd, family, raddr, rport)))
		return sct_fail_close(fd);
	return fd;
}

static inline int sct_self_connect(int family, const char *addr, int port, int opts)
{
	return sct_connected(family, addr, port, addr, port, opts);
}

/* A listener (opts, uid's) on addr:port with a backlog: fd or -errno. */
static inline int sct_listener_as(int family, const char *addr, int port, int opts,
				  int backlog, uid_t uid)
{
	int fd = sct_socket_as(family, opts, uid);

	if (fd >= 0 && (sct_bind(fd, family, addr, port) || listen(fd, backlog)))
		return sct_fail_close(fd);
	return fd;
}

/* close() with an RST: no TIME-WAIT, the port is free at once. */
static inline void sct_rst_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static inline int sct_tcp_state(int fd)
{
	struct tcp_info ti = {};
	socklen_t len = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ? -1 : ti.tcpi_state;
}

static inline int sct_port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port :
		     ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static inline int sct_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) ? -1 : sct_port_of(&ss);
}

static inline bool sct_is_self(int fd)
{
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof(local), plen = sizeof(peer);

	return !getsockname(fd, (struct sockaddr *)&local, &llen) &&
	       !getpeername(fd, (struct sockaddr *)&peer, &plen) &&
	       llen == plen && !memcmp(&local, &peer, llen);
}

/* The inode of a descriptor (a socket's, as the file lists it), 0 on error. */
static inline unsigned long long sct_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long long)st.st_ino;
}

/* The same as a string, for the report's inode= fields ("?" on error). */
static inline const char *sct_inode_str(int fd, char *buf, size_t len)
{
	unsigned long long ino = sct_inode(fd);

	if (!ino)
		return "?";
	snprintf(buf, len, "%llu", ino);
	return buf;
}

/* Both into a buffer that lives as long as the enclosing block. */
#define SCT_INO(fd)	sct_inode_str((fd), (char[24]) { 0 }, 24)
#define SCT_ADDR(family, addr, port)	sct_addrstr((family), (addr), (port), (char[64]) { 0 }, 64)

/* Wait (SCT_WAIT_MS at most) until fd reads end of file: its peer's FIN arrived. */
static inline bool sct_wait_eof(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&pfd, 1, SCT_WAIT_MS) == 1 && read(fd, &c, 1) == 0;
}

/* ---- child processes and user namespaces ---- */

/* A child and two pipes: to (parent -> child) and from (child -> parent). */
struct sct_child {
	pid_t pid;
	int to[2];
	int from[2];
};

/* fork(): 0 in both (c->pid 0 in the child), -1 on error. */
static inline int sct_child_start(struct sct_child *c)
{
	if (pipe2(c->to, O_CLOEXEC) || pipe2(c->from, O_CLOEXEC))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	close(c->pid ? c->to[0] : c->to[1]);
	close(c->pid ? c->from[1] : c->from[0]);
	return 0;
}

/* One byte each way: a step. 0 or -1; the byte or -1. */
static inline int sct_send(int fd, char b)
{
	return write(fd, &b, 1) == 1 ? 0 : -1;
}

static inline int sct_recv(int fd)
{
	char b;

	return read(fd, &b, 1) == 1 ? b : -1;
}

/* The child's exit status (128 + signal if killed), -1 on error. */
static inline int sct_child_wait(struct sct_child *c)
{
	int st;

	if (c->pid && c->to[1] >= 0)
		close(c->to[1]);
	if (c->pid && c->from[0] >= 0)
		close(c->from[0]);
	c->to[1] = c->from[0] = -1;
	if (waitpid(c->pid, &st, 0) != c->pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline void __noreturn sct_die(int step, int line)
{
	fprintf(stderr, "# child %d: failed at line %d (exit %d): %s\n",
		getpid(), line, step, strerror(errno));
	_exit(step);
}

#define SCT_DIE(step)	sct_die((step), __LINE__)

/* In shared memory, the first of a child's checks that failed (SCT_FAIL()) and its reads. */
#define SCT_TEXT	32768

struct sct_result {
	int step;			/* the first check that failed, 0 if none */
	int err;			/* its errno */
	char why[512];
	char text[SCT_TEXT];		/* the last file read */
	char all[4 * SCT_TEXT];		/* everything read */
	unsigned long long val[2];	/* numbers for the parent */
};

#define SCT_FAIL(res, n, ...) do {						\
	(res)->step = (n);							\
	(res)->err = errno;							\
	snprintf((res)->why, sizeof((res)->why), __VA_ARGS__);			\
	return;									\
} while (0)

static inline void sct_keep(struct sct_result *res, const char *text)
{
	size_t used = strlen(res->all);

	snprintf(res->text, sizeof(res->text), "%s", text ? text : "");
	snprintf(res->all + used, sizeof(res->all) - used, "%s", res->text);
}

static inline int sct_become_nobody(void)
{
	return setgroups(0, NULL) || setresgid(SCT_NOBODY, SCT_NOBODY, SCT_NOBODY) ||
	       setresuid(SCT_NOBODY, SCT_NOBODY, SCT_NOBODY) ? -1 : 0;
}

/* In a child: a user namespace mapped by the parent (sct_map_userns()): 0 or -errno. */
static inline int sct_enter_userns(struct sct_child *c)
{
	int err;

	if (unshare(CLONE_NEWUSER)) {
		err = -errno;
		sct_send(c->from[1], 'n');
		return err;
	}
	if (sct_send(c->from[1], 'u') || sct_recv(c->to[0]) != 'g')
		return -EPIPE;
	return 0;
}

/*
 * In the parent: map ("inside outside count") as the child's uid_map (and
 * gid_map if gids), then let it go. 0, -errno, or 1 if it has no userns.
 */
static inline int sct_map_userns(struct sct_child *c, const char *map, bool gids)
{
	char path[64];
	int err = 0;

	if (sct_recv(c->from[0]) != 'u')
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)c->pid);
	err = sct_write_file(path, map);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)c->pid);
	if (!err && gids)
		err = sct_write_file(path, map);
	if (sct_send(c->to[1], 'g') && !err)
		err = -EPIPE;
	return err;
}

/* Run argv with its stdout into *out (malloc'd): the exit status, or -1. */
static inline int sct_run(char *const argv[], char **out)
{
	int pfd[2], status;
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
	sct_read_fd(pfd[0], 65536, out, NULL);
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The companion: $SELFCONN_BIN, else selfconn in PATH; NULL if neither. */
static inline const char *sct_companion(void)
{
	static char path[512];
	const char *bin = getenv("SELFCONN_BIN"), *p, *end;

	if (bin && *bin)
		return access(bin, X_OK) ? NULL : bin;
	for (p = getenv("PATH"); p && *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(path, sizeof(path), "%.*s/selfconn", (int)(end - p), p);
		if (end > p && !access(path, X_OK))
			return path;
	}
	return NULL;
}

/*
 * What a simultaneous open through a veth pair with a netem delay lacks:
 * NULL, or the reason to skip. iproute2's ip and tc (busybox's applets have
 * no netem and no nodad, and system() runs them when its sh is busybox's).
 */
static inline const char *sct_veth_netem_missing(void)
{
	static const char * const why[] = {
		NULL,
		"ip link add type veth failed: no veth (CONFIG_VETH)?",
		"tc qdisc add netem failed: no netem (CONFIG_NET_SCH_NETEM)?",
		"unshare(CLONE_NEWNET) failed",
	};
	int status;
	pid_t pid;

	if (system("ip -V 2>&1 | grep -q iproute2"))
		return "ip is not iproute2's (missing, or busybox's applet)";
	if (system("tc -V 2>&1 | grep -q iproute2"))
		return "tc is not iproute2's (missing, or busybox's applet)";
	pid = fork();
	if (!pid) {
		if (unshare(CLONE_NEWNET))
			_exit(3);
		if (system("ip link add sct0 type veth peer name sct1 2>/dev/null"))
			_exit(1);
		_exit(system("tc qdisc add dev sct0 root netem delay 1ms 2>/dev/null") ? 2 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return "fork() or waitpid() failed";
	return why[WEXITSTATUS(status) < 3 ? WEXITSTATUS(status) : 3];
}

/* ---- the module ---- */

/*
 * $SELFCONN_KO if it names a readable file, else the selfconn.ko that modules.dep lists for
 * the running kernel (DKMS, the package, make install; a kselftest install has none), or NULL.
 */
static inline const char *sct_module_ko(void)
{
	static char path[512];
	const char *ko = getenv("SELFCONN_KO");
	char dep[256], line[512], *colon;
	struct utsname u;
	FILE *f;

	if (ko && *ko)
		return access(ko, R_OK) ? NULL : ko;
	if (uname(&u))
		return NULL;
	snprintf(dep, sizeof(dep), "/lib/modules/%s/modules.dep", u.release);
	f = fopen(dep, "re");
	if (!f)
		return NULL;
	path[0] = '\0';
	while (!path[0] && fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (!colon || colon - line < 12 || strncmp(colon - 12, "/selfconn.ko", 12))
			continue;
		*colon = '\0';
		/* kmod's depmod writes paths relative to the directory. */
		if (line[0] == '/')
			snprintf(path, sizeof(path), "%.400s", line);
		else
			snprintf(path, sizeof(path), "/lib/modules/%.64s/%.400s", u.release, line);
	}
	fclose(f);
	return path[0] && !access(path, R_OK) ? path : NULL;
}

#define SCT_NO_KO "no selfconn.ko to load: set SELFCONN_KO, or install it for this kernel"

static inline bool sct_module_loaded(void)
{
	return access(SCT_PROC, F_OK) == 0;
}

static inline int sct_module_load(const char *ko, const char *params)
{
	int fd = ko ? open(ko, O_RDONLY | O_CLOEXEC) : -1, ret, err;

	if (fd < 0)
		return ko ? -errno : -ENOENT;
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

/* delete_module(), retrying for 10 s while the module is busy: 0 or -errno. */
static inline int sct_module_unload(void)
{
	int i;

	for (i = 0; i < 400; i++) {
		if (!syscall(SYS_delete_module, SCT_MODNAME, O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		usleep(25000);
	}
	return -errno;
}

static inline unsigned long sct_taint(void)
{
	long v = sct_read_long("/proc/sys/kernel/tainted");

	return v > 0 ? (unsigned long)v : 0;
}

/* For values that follow the kernel's rules (the module probes: module/compat.h). */
static inline bool sct_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* The owner uid that /proc/net/tcp (tcp6) shows for local port lport, remote rport, or -1. */
static inline long sct_proc_net_tcp_uid(int family, int lport, int rport)
{
	FILE *f = fopen(family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
	unsigned int lp, rp, uid;
	long found = -1;
	char line[512];

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %*x %*x:%*x %*x:%*x %*x %u",
			   &lp, &rp, &uid) == 3 && (int)lp == lport && (int)rp == rport)
			found = uid;
	fclose(f);
	return found;
}

/* Why a test that needs root (and ipv6: IPv6) cannot run, or NULL. */
static inline const char *sct_cannot_run(bool ipv6)
{
	int fd;

	if (geteuid())
		return "needs root (network namespaces, setuid, module reload)";
	if (!ipv6)
		return NULL;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT)
		return "no IPv6 in this kernel";
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* ---- parsing /proc/selfconn ---- */

#define SCT_MAXTOK	12	/* fields of a report line after its section */
#define SCT_TOKLEN	64
#define SCT_KEYLEN	24

/* A socket row: "family address state uid inode timer_ms". */
struct sct_row {
	char family[8];
	char addr[80];
	char state[16];
	unsigned long long uid;
	unsigned long long inode;
	long long timer_ms;		/* -1 for "-" */
};

/* "port P SECTION" then positional and key=value fields, into sct_file's copies ("" unset). */
struct sct_line {
	const char *section;
	int npos, nkv;
	const char *pos[SCT_MAXTOK];
	const char *key[SCT_MAXTOK];
	const char *val[SCT_MAXTOK];
	const char *text;			/* the line, for logs */
};

struct sct_report {
	int port;
	int n;
	struct sct_line *lines;
};

/* One read: a listing (header, column line, rows, the watched ports' reports) or one report. */
struct sct_file {
	char *text;			/* the raw read, NUL-terminated */
	size_t len;
	char *lines, *fields;		/* copies of text: split in lines; in fields */
	bool listing;			/* it starts with the header */
	unsigned long long rows_hdr;	/* rows=N of the header */
	long long attempts, refused;	/* the header's counters */
	int nrows;
	struct sct_row *rows;
	int nrep;
	struct sct_report rep[SCT_MAXREP];
	char err[400];
};

static inline void sct_file_free(struct sct_file *f)
{
	int i;

	free(f->text);
	free(f->lines);
	free(f->fields);
	free(f->rows);
	for (i = 0; i < f->nrep; i++)
		free(f->rep[i].lines);
	memset(f, 0, sizeof(*f));
}

/* A plain decimal without leading zeros. */
static inline bool sct_is_decimal(const char *s)
{
	return *s && !(s[0] == '0' && s[1]) && strspn(s, "0123456789") == strlen(s);
}

/* A port as the module writes it: 1..65535, plain decimal; else -1. */
static inline int sct_port_number(const char *s)
{
	long v = sct_is_decimal(s) && strlen(s) <= 5 ? strtol(s, NULL, 10) : 0;

	return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* "127.0.0.1:80" for inet, "[::1]:80" for inet6, canonical as ss writes it. */
static inline bool sct_valid_addr(const char *family, const char *addr)
{
	char host[INET6_ADDRSTRLEN + 2], canon[INET6_ADDRSTRLEN];
	const char *colon = strrchr(addr, ':');
	unsigned char bin[sizeof(struct in6_addr)];
	bool v6 = strcmp(family, "inet");
	size_t hlen = colon ? colon - addr : 0;

	if (!colon || sct_port_number(colon + 1) < 0 || hlen >= sizeof(host))
		return false;
	if (v6 && (hlen < 3 || addr[0] != '[' || addr[hlen - 1] != ']'))
		return false;
	snprintf(host, sizeof(host), "%.*s", (int)(v6 ? hlen - 2 : hlen), addr + v6);
	return inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) == 1 &&
	       inet_ntop(v6 ? AF_INET6 : AF_INET, bin, canon, sizeof(canon)) &&
	       !strcmp(canon, host);
}

static inline bool sct_in_list(const char *s, const char * const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* A state of the established hash, as ss names it. */
static inline bool sct_is_state(const char *s)
{
	static const char * const states[] = {
		"SYN-SENT", "SYN-RECV", "ESTAB", "FIN-WAIT-1", "FIN-WAIT-2",
		"CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT", NULL,
	};

	return sct_in_list(s, states);
}

/* Split s in place at single spaces: how many fields, -1 if one is empty or > max. */
static inline int sct_split(char *s, char **tok, int max)
{
	int n = 0;

	for (;;) {
		if (!*s || *s == ' ' || n == max)
			return -1;
		tok[n++] = s;
		s = strchr(s, ' ');
		if (!s)
			return n;
		*s++ = '\0';
	}
}

/* Parse one socket row (without its newline) into r: NULL or what is wrong. */
static inline const char *sct_parse_row(char *line, struct sct_row *r)
{
	char *field[6];

	if (sct_split(line, field, 6) != 6)
		return "not 6 fields, single spaces between them";
	if (strcmp(field[0], "inet") && strcmp(field[0], "inet6"))
		return "family is neither inet nor inet6";
	if (!sct_valid_addr(field[0], field[1]))
		return "address is not ADDR:PORT as ss writes it";
	if (!sct_is_state(field[2]))
		return "unknown state";
	if (!sct_is_decimal(field[3]) || !sct_is_decimal(field[4]))
		return "uid or inode is not a decimal number";
	if (strcmp(field[5], "-") && !sct_is_decimal(field[5]))
		return "timer_ms is neither - nor a number";
	snprintf(r->family, sizeof(r->family), "%s", field[0]);
	snprintf(r->addr, sizeof(r->addr), "%s", field[1]);
	snprintf(r->state, sizeof(r->state), "%s", field[2]);
	r->uid = strtoull(field[3], NULL, 10);
	r->inode = strtoull(field[4], NULL, 10);
	r->timer_ms = strcmp(field[5], "-") ? strtoll(field[5], NULL, 10) : -1;
	/* a timer only for a timewait socket: TIME-WAIT or FIN-WAIT-2, no owner */
	if (!strcmp(r->state, "TIME-WAIT") && r->timer_ms < 0)
		return "a TIME-WAIT row without a timer";
	if (r->timer_ms >= 0 && (r->uid || r->inode ||
				 (strcmp(r->state, "TIME-WAIT") && strcmp(r->state, "FIN-WAIT-2"))))
		return "a timer on a row that is no timewait socket (uid 0, inode 0)";
	return NULL;
}

/* "port P SECTION field ...", single spaces, P == port: NULL or why not. Splits s (text's copy). */
static inline const char *sct_parse_report_line(char *s, const char *text, int port,
						struct sct_line *l)
{
	static const char * const sections[] = {
		"bhash", "bhash-owner", "bhash2", "bhash2-owner", "listener",
		"ehash-local", "ehash-remote", "verdict", "summary", NULL,
	};
	char *tok[3 + 2 * SCT_MAXTOK], *eq;
	int i, n = sct_split(s, tok, ARRAY_SIZE(tok));

	*l = (struct sct_line){ .section = "", .text = text };
	for (i = 0; i < SCT_MAXTOK; i++)
		l->pos[i] = l->key[i] = l->val[i] = "";
	if (n < 0)
		return "empty field (stray space), or too many fields";
	if (n < 3)
		return "no section";
	if (strcmp(tok[0], "port"))
		return "does not start with 'port'";
	if (sct_port_number(tok[1]) != port)
		return "port differs from its '# port' line";
	if (!sct_in_list(tok[2], sections))
		return "unknown section";
	l->section = tok[2];
	for (i = 3; i < n; i++) {
		eq = strchr(tok[i], '=');
		if (!eq || eq == tok[i]) {
			if (l->npos == SCT_MAXTOK || strlen(tok[i]) >= SCT_TOKLEN)
				return "too many or too long fields";
			l->pos[l->npos++] = tok[i];
			continue;
		}
		if (l->nkv == SCT_MAXTOK || eq - tok[i] >= SCT_KEYLEN ||
		    strlen(eq + 1) >= SCT_TOKLEN)
			return "too many or too long fields";
		*eq = '\0';
		l->key[l->nkv] = tok[i];
		l->val[l->nkv++] = eq + 1;
	}
	return NULL;
}

static inline const char *sct_kv(const struct sct_line *l, const char *key)
{
	int i;

	for (i = 0; l && i < l->nkv; i++)
		if (!strcmp(l->key[i], key))
			return l->val[i];
	return NULL;
}

/* The listing's header: "# selfconn v1 rows=N attempts=A refused=R ...". */
static inline const char *sct_parse_header(struct sct_file *f, char *line)
{
	char *tok[16], *eq;
	bool rows = false;
	int i, n;

	f->attempts = f->refused = -1;
	if (strncmp(line, "# selfconn v1 ", 14))
		return "header does not start with '# selfconn v1 '";
	n = sct_split(line + 14, tok, ARRAY_SIZE(tok));
	if (n < 0)
		return "empty header field (stray space), or too many fields";
	for (i = 0; i < n; i++) {
		eq = strchr(tok[i], '=');
		if (!eq || eq == tok[i])
			return "header field is not key=value";
		if (!strncmp(tok[i], "rows=", 5)) {
			if (rows || !sct_is_decimal(eq + 1))
				return "bad or repeated rows=";
			rows = true;
			f->rows_hdr = strtoull(eq + 1, NULL, 10);
		} else if (!strncmp(tok[i], "attempts=", 9) || !strncmp(tok[i], "refused=", 8)) {
			if (!sct_is_decimal(eq + 1))
				return "attempts= or refused= is not a number";
			*(tok[i][0] == 'a' ? &f->attempts : &f->refused) =
				strtoll(eq + 1, NULL, 10);
		}
	}
	if (!rows)
		return "header has no rows=";
	return f->attempts < 0 || f->refused < 0 ? "header lacks attempts= or refused=" : NULL;
}

static inline bool sct_unfinished(const struct sct_report *r)
{
	return r && (!r->n || strcmp(r->lines[r->n - 1].section, "summary"));
}

/* The lineno-th line of f->text, in f->lines (line) and f->fields (fields): NULL or why wrong. */
static inline const char *sct_parse_line(struct sct_file *f, char *line, char *fields, int lineno)
{
	struct sct_report *r = f->nrep ? &f->rep[f->nrep - 1] : NULL;
	struct sct_line *nl;
	struct sct_row *nr;
	int port;

	if (lineno == 1 && !strncmp(line, "# selfconn", 10)) {
		f->listing = true;
		return sct_parse_header(f, fields);
	}
	if (f->listing && lineno == 2)
		return strcmp(line, SCT_COLUMNS) ? "column line is not '" SCT_COLUMNS "'" : NULL;
	if (!strncmp(line, "# port ", 7)) {
		port = sct_port_number(line + 7);
		if (f->listing && (unsigned long long)f->nrows != f->rows_hdr)
			return "a port report before the rows=N rows ended";
		if (sct_unfinished(r))
			return "a report without its summary";
		if (port < 0 || f->nrep == SCT_MAXREP)
			return "bad '# port' line, or more than 64 reports";
		if ((r && port <= r->port) || (!f->listing && r))
			return "reports not one per port in ascending order";
		f->rep[f->nrep++].port = port;
		return NULL;
	}
	if (r) {
		nl = realloc(r->lines, (r->n + 1) * sizeof(*nl));
		if (!nl)
			return "out of memory";
		r->lines = nl;
		return sct_parse_report_line(fields, line, r->port, &r->lines[r->n++]);
	}
	if (!f->listing)
		return "neither a listing nor a report";
	if ((unsigned long long)f->nrows == f->rows_hdr)
		return "more rows than rows=N (or a stray line after them)";
	nr = realloc(f->rows, (f->nrows + 1) * sizeof(*nr));
	if (!nr)
		return "out of memory";
	f->rows = nr;
	return sct_parse_row(fields, &f->rows[f->nrows++]);
}

/*
 * Parse f->text: a listing, strictly (header with rows=, attempts= and refused=; the column
 * line; exactly rows=N valid rows; reports in ascending port order), or a query's one report;
 * every line ends with a newline, every report with its summary line. 0, or -1 with f->err.
 */
static inline int sct_parse(struct sct_file *f)
{
	char *line = NULL, *nl;
	const char *why = NULL;
	int lineno = 0;

	f->lines = strdup(f->text);
	f->fields = strdup(f->text);
	if (!f->lines || !f->fields)
		why = "out of memory";
	else if (strlen(f->text) != f->len)
		why = "NUL byte in the output";
	else if (f->len && f->text[f->len - 1] != '\n')
		why = "output does not end with a newline";
	for (line = why ? NULL : f->lines; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		f->fields[nl - f->lines] = '\0';
		why = sct_parse_line(f, line, f->fields + (line - f->lines), ++lineno);
		if (why)
			break;
	}
	if (!why && f->listing && lineno < 2)
		why = "the column line is missing";
	else if (!why && f->listing && (unsigned long long)f->nrows != f->rows_hdr)
		why = "fewer rows than rows=N";
	else if (!why && f->nrep && sct_unfinished(&f->rep[f->nrep - 1]))
		why = "the last report has no summary";
	if (why)
		snprintf(f->err, sizeof(f->err), "line %d: %s%s%.200s%s", lineno, why,
			 line && *line ? ": '" : "", line ? line : "", line && *line ? "'" : "");
	return why ? -1 : 0;
}

/* Read fd from its offset to EOF into f and parse it: 0, -errno, or -EBADMSG (f->err). */
static inline int sct_load(struct sct_file *f, int fd, size_t chunk)
{
	int ret;

	sct_file_free(f);
	ret = sct_read_fd(fd, chunk, &f->text, &f->len);
	if (ret) {
		snprintf(f->err, sizeof(f->err), "read %s: %s", SCT_PROC, strerror(-ret));
		return ret;
	}
	return sct_parse(f) ? -EBADMSG : 0;
}

/* Parse a copy of text (a child's read) into f: 0 or -EBADMSG. */
static inline int sct_load_text(struct sct_file *f, const char *text)
{
	sct_file_free(f);
	f->text = strdup(text);
	if (!f->text)
		return -ENOMEM;
	f->len = strlen(text);
	return sct_parse(f) ? -EBADMSG : 0;
}

/* f is a listing (port 0) or a query's one report of port: 0, or -EBADMSG with f->err. */
static inline int sct_check_kind(struct sct_file *f, int port)
{
	if (port ? !f->listing && f->nrep == 1 && f->rep[0].port == port : f->listing)
		return 0;
	snprintf(f->err, sizeof(f->err), "%s %d: %d report(s), header %d",
		 port ? "not the one report of port" : "not a listing: port", port,
		 f->nrep, f->listing);
	return -EBADMSG;
}

/*
 * sct_load() fd's file from offset 0 and sct_check_kind() it. 0, -errno (-EIO for a file
 * removed under fd: its lseek() is EINVAL, proc_reg_llseek()), or -EBADMSG with f->err.
 */
static inline int sct_reread(struct sct_file *f, int fd, size_t chunk, int port)
{
	sct_file_free(f);
	if (lseek(fd, 0, SEEK_SET))
		return errno == EINVAL ? -EIO : -errno;
	return sct_load(f, fd, chunk) ?: sct_check_kind(f, port);
}

/* Query port (write it, read from offset 0 on one fd), or read all (port 0): as sct_reread(). */
static inline int sct_query(int port, struct sct_file *f)
{
	int fd = open(SCT_PROC, (port ? O_RDWR : O_RDONLY) | O_CLOEXEC), ret = 0;
	char cmd[16];

	sct_file_free(f);
	if (fd < 0)
		return -errno;
	snprintf(cmd, sizeof(cmd), "%d\n", port);
	if (port)
		ret = sct_write_fd(fd, cmd);
	if (!ret)
		ret = sct_reread(f, fd, 65536, port);
	close(fd);
	return ret;
}

#define sct_cat(f)	sct_query(0, (f))

/* A write (bytes with their NULs) that must fail with err. */
struct sct_bad {
	int flags;		/* O_WRONLY: a watch command; O_RDWR: a query */
	const char *bytes;
	size_t len;
	int err;
};

#define SCT_BAD(flags, s, e)	{ (flags), (s), sizeof(s) - 1, (e) }

static inline const struct sct_report *sct_report_of(const struct sct_file *f, int port)
{
	int i;

	for (i = 0; i < f->nrep; i++)
		if (f->rep[i].port == port)
			return &f->rep[i];
	return NULL;
}

/* Rows with this family, address and state (NULL: any). */
static inline int sct_count_rows(const struct sct_file *f, const char *family,
				 const char *addr, const char *state)
{
	int i, n = 0;

	for (i = 0; i < f->nrows; i++)
		n += (!family || !strcmp(f->rows[i].family, family)) &&
		     (!addr || !strcmp(f->rows[i].addr, addr)) &&
		     (!state || !strcmp(f->rows[i].state, state));
	return n;
}

static inline const struct sct_row *sct_find_row(const struct sct_file *f,
						 const char *family, const char *addr)
{
	int i;

	for (i = 0; i < f->nrows; i++)
		if (!strcmp(f->rows[i].family, family) && !strcmp(f->rows[i].addr, addr))
			return &f->rows[i];
	return NULL;
}

/* A row or a report line (inode=) names the socket inode ino. */
static inline bool sct_names_inode(const struct sct_file *f, unsigned long long ino)
{
	char want[24];
	int i, j;

	snprintf(want, sizeof(want), "%llu", ino);
	for (i = 0; i < f->nrows; i++)
		if (f->rows[i].inode == ino)
			return true;
	for (i = 0; i < f->nrep; i++)
		for (j = 0; j < f->rep[i].n; j++)
			if (!strcmp(sct_kv(&f->rep[i].lines[j], "inode") ?: "", want))
				return true;
	return false;
}

/* The watched ports (the reports of a plain read), ascending: how many, or -errno. */
static inline int sct_watched(int ports[SCT_MAXREP])
{
	struct sct_file f = {};
	int i, n = sct_cat(&f);

	for (i = 0; !n && i < f.nrep; i++)
		ports[i] = f.rep[i].port;
	n = n ? n : f.nrep;
	sct_file_free(&f);
	return n;
}

/* The watched ports as "P P ..." in buf, "" if none ("error -E" if unread). */
static inline const char *sct_watched_str(char *buf, size_t len)
{
	int ports[SCT_MAXREP], i, n = sct_watched(ports);
	size_t o = 0;

	buf[0] = '\0';
	if (n < 0)
		snprintf(buf, len, "error %d", n);
	for (i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%d", i ? " " : "", ports[i]);
	return buf;
}

#define SCT_WATCHED()	sct_watched_str((char[SCT_MAXREP * 6 + 1]) { 0 }, SCT_MAXREP * 6 + 1)

/* write() at offset off (pwrite() is ESPIPE: a seq_file has no FMODE_PWRITE). */
static inline ssize_t sct_write_at(int fd, const void *buf, size_t len, off_t off)
{
	if (lseek(fd, off, SEEK_SET) != off)
		return -1;
	return write(fd, buf, len);
}

/* The errno of a call that returned n, 0 if it did not fail. */
static inline int sct_errno(ssize_t n)
{
	return n < 0 ? errno : 0;
}

static inline const char *sct_err(int err)
{
	return err ? strerror(err) : "success";
}

/* Printable form of a write's bytes, for the logs. */
static inline const char *sct_show(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = c;
		else
			o += snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* The state a bad write must leave alone: the watched ports, refuse, audit. */
static inline const char *sct_state(char *buf, size_t len)
{
	snprintf(buf, len, "watched %s, refuse %ld, audit %ld", SCT_WATCHED(),
		 sct_read_long(SCT_SYSCTL), sct_read_long(SCT_AUDIT));
	return buf;
}

/* The port of a query descriptor's report, read from offset 0; -1 if none. */
static inline int sct_query_port(int fd)
{
	struct sct_file f = {};
	int port = !lseek(fd, 0, SEEK_SET) && !sct_load(&f, fd, 65536) && f.nrep == 1 &&
		   !f.listing ? f.rep[0].port : -1;

	sct_file_free(&f);
	return port;
}

/* ---- fault injection (Documentation/fault-injection/) ---- */

#define SCT_FAIL_NTH	"/proc/thread-self/fail-nth"
#define SCT_FAILSLAB	"/sys/kernel/debug/failslab"
#define SCT_FAIL_MAX	5000	/* more allocations than any operation makes */
/* Between these, an allocation failure report is expected (lane/check.sh). */
#define SCT_FAULT_BEGIN	"selfconn_fault: injected allocation failures begin\n"
#define SCT_FAULT_END	"selfconn_fault: injected allocation failures end\n"

static inline int sct_write_ull(const char *path, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	return sct_write_file(path, buf);
}

/* [start, end) of the one kernel symbol name (static ones may share a name): 0 or -1. */
static inline int sct_kallsyms_range(const char *name, unsigned long long *start,
				     unsigned long long *end)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	unsigned long long addr;
	char sym[256], type;
	int found = 0;

	*start = 0;
	*end = ~0ULL;
	if (!f)
		return -1;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, sym) == 3)
		if (!strcmp(sym, name) && found++ == 0)
			*start = addr;
	rewind(f);
	while (found == 1 && fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, sym) == 3)
		if (addr > *start && addr < *end)
			*end = addr;
	fclose(f);
	return found == 1 && *start && *end != ~0ULL ? 0 : -1;
}

/*
 * What a fault test needs, set up: NULL, or why it cannot run here.
 * fail-nth then fails any slab allocation, quietly (failslab skips sleeping
 * ones by default; its stack dumps would read as splats). The tracing core
 * adds a module's trace events during insmod (trace_module_notify() ->
 * __trace_add_new_event()), and meets an injected allocation failure there
 * with WARN_ON_ONCE()s of its own (event_define_fields(), event_file_put()
 * at the unload): failslab's stack filter leaves __trace_add_new_event()'s
 * allocations alone (a unique name: trace.c has a trace_module_notify() too).
 */
static inline const char *sct_fault_cannot_run(void)
{
	unsigned long long start, end;

	if (geteuid())
		return "needs root";
	if (!sct_module_ko())
		return SCT_NO_KO;
	if (access(SCT_FAIL_NTH, W_OK))
		return "no " SCT_FAIL_NTH ": the kernel lacks CONFIG_FAULT_INJECTION";
	if (access(SCT_FAILSLAB, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(SCT_FAILSLAB, F_OK))
		return "no " SCT_FAILSLAB ": no CONFIG_FAILSLAB or CONFIG_FAULT_INJECTION_DEBUG_FS";
	if (!access(SCT_FAILSLAB "/reject-start", W_OK)) {
		if (sct_kallsyms_range("__trace_add_new_event", &start, &end))
			return "not one __trace_add_new_event in /proc/kallsyms";
		if (sct_write_ull(SCT_FAILSLAB "/reject-end", end) ||
		    sct_write_ull(SCT_FAILSLAB "/reject-start", start))
			return "cannot set " SCT_FAILSLAB "/reject-start and reject-end";
	} else if (!access("/sys/kernel/tracing", F_OK)) {
		return "a kernel with tracing needs CONFIG_FAULT_INJECTION_STACKTRACE_FILTER";
	}
	if (sct_write_file(SCT_FAILSLAB "/ignore-gfp-wait", "N") ||
	    sct_write_file(SCT_FAILSLAB "/verbose", "0"))
		return "cannot configure " SCT_FAILSLAB;
	/* warn_alloc() and others report a failed allocation with a stack dump */
	sct_write_file("/dev/kmsg", SCT_FAULT_BEGIN);
	return NULL;
}

/* Disarm the task's fail-nth; true if the fault was injected (fail-nth then reads 0). */
static inline bool sct_fail_nth_disarm(void)
{
	bool injected = sct_read_long(SCT_FAIL_NTH) == 0;

	sct_write_file(SCT_FAIL_NTH, "0");
	return injected;
}

static inline void sct_fault_restore(void)
{
	sct_fail_nth_disarm();
	sct_write_file(SCT_FAILSLAB "/ignore-gfp-wait", "Y");
	if (!access(SCT_FAILSLAB "/reject-start", W_OK)) {
		sct_write_file(SCT_FAILSLAB "/reject-start", "0");
		sct_write_file(SCT_FAILSLAB "/reject-end", "0");
	}
	sct_write_file("/dev/kmsg", SCT_FAULT_END);
}

/* A self-connect on 127.0.0.1:port, closed with an RST: 0 or its errno. */
static inline int sct_self_connect_errno(int port)
{
	int fd = sct_self_connect(AF_INET, "127.0.0.1", port, SCT_REUSEADDR);

	if (fd < 0)
		return -fd;
	sct_rst_close(fd);
	return 0;
}

/* ---- in test bodies (kselftest_harness.h) ---- */

#ifdef __KSELFTEST_HARNESS_H

/*
 * SKIP the rest, as a failed ASSERT ends it (the teardown runs if the set-up completed).
 * From a set-up, 6.1's harness would still run the body.
 */
#define SCT_SKIP(fmt, ...)	SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

static inline void sct_dump(struct __test_metadata *_metadata, const struct sct_file *f)
{
	const char *p = f->text, *nl;

	TH_LOG("%s as read (%zu bytes):", SCT_PROC, f->len);
	while (p && *p) {
		nl = strchrnul(p, '\n');
		TH_LOG("  | %.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* sct_child_start() with a struct sct_result in memory shared with the child. */
static inline struct sct_result *sct_t_fork(struct __test_metadata *_metadata, struct sct_child *c)
{
	struct sct_result *res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, res);
	ASSERT_EQ(0, sct_child_start(c));
	return res;
}

/* Wait for that child: it exited 0, and none of its checks failed. */
static inline void sct_t_reap(struct __test_metadata *_metadata, struct sct_child *c,
			      const struct sct_result *res)
{
	int st = sct_child_wait(c);

	if (res->step)
		TH_LOG("child: step %d: %s (errno %s); last read:\n%s", res->step, res->why,
		       strerror(res->err), res->text);
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, res->step);
}

/* Open, read to EOF in chunk-sized reads, close, parse; asserts a listing. */
static inline void sct_read_chunked(struct __test_metadata *_metadata,
				    struct sct_file *f, size_t chunk)
{
	int fd = open(SCT_PROC, O_RDONLY | O_CLOEXEC), ret;

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", SCT_PROC, strerror(errno));
	ret = sct_load(f, fd, chunk);
	close(fd);
	if (ret == -EBADMSG || (!ret && !f->listing))
		sct_dump(_metadata, f);
	ASSERT_EQ(0, ret) TH_LOG("%zu-byte reads: %s", chunk, f->err);
	ASSERT_TRUE(f->listing);
}

static inline void sct_read(struct __test_metadata *_metadata, struct sct_file *f)
{
	sct_read_chunked(_metadata, f, 65536);
}

/* The state is still base (sct_state()), after what. */
static inline void sct_t_unchanged(struct __test_metadata *_metadata, const char *base,
				   const char *what)
{
	char now[512];

	EXPECT_STREQ(base, sct_state(now, sizeof(now))) TH_LOG("%s changed the state", what);
}

/*
 * Each row of a table, written to path (O_RDWR rows: to the query descriptor qfd at offset 0,
 * whose port stays), fails with its errno and leaves the state as it was (base).
 */
static inline void sct_t_bad_rows(struct __test_metadata *_metadata, const char *base,
				  const char *path, const struct sct_bad *rows, size_t n, int qfd)
{
	int qport = qfd >= 0 ? sct_query_port(qfd) : -1, err;
	const struct sct_bad *r;
	char shown[64];
	size_t i;

	if (qfd >= 0)
		ASSERT_LT(0, qport) TH_LOG("the query descriptor reports no port");
	for (i = 0, r = rows; i < n; i++, r++) {
		sct_show(r->bytes, r->len, shown, sizeof(shown));
		if (r->flags == O_RDWR) {
			err = sct_errno(sct_write_at(qfd, r->bytes, r->len, 0));
			EXPECT_EQ(qport, sct_query_port(qfd))
				TH_LOG("row %zu: query port changed by \"%s\"", i, shown);
		} else {
			err = -sct_write(path, O_WRONLY, r->bytes, r->len);
		}
		EXPECT_EQ(r->err, err)
			TH_LOG("row %zu: %s \"%s\" (%zu bytes): expected %s, got %s", i,
			       r->flags == O_RDWR ? "query" : path, shown, r->len,
			       strerror(r->err), sct_err(err));
		sct_t_unchanged(_metadata, base, shown);
	}
}

#define EXPECT_COUNTERS(want_attempts, want_refused) do {			\
	struct sct_file __f = {};						\
	sct_read(_metadata, &__f);						\
	EXPECT_EQ((long long)(want_attempts), __f.attempts) TH_LOG("attempts");	\
	EXPECT_EQ((long long)(want_refused), __f.refused) TH_LOG("refused");	\
	sct_file_free(&__f);							\
} while (0)

/* Asserting sockets, as sct_socket_as() etc.: the fd. */
static inline int sct_t_socket(struct __test_metadata *_metadata, int family, int opts)
{
	int fd = sct_socket_as(family, opts, geteuid());

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(-fd));
	return fd;
}

static inline int sct_t_bound(struct __test_metadata *_metadata, int family,
			      const char *addr, int port, int opts)
{
	int fd = sct_t_socket(_metadata, family, opts);

	ASSERT_EQ(0, sct_bind(fd, family, addr, port))
		TH_LOG("bind %s port %d: %s", addr, port, strerror(errno));
	return fd;
}

static inline int sct_t_listener(struct __test_metadata *_metadata, int family,
				 const char *addr, int port, int opts)
{
	int fd = sct_listener_as(family, addr, port, opts, 16, geteuid());

	ASSERT_LE(0, fd) TH_LOG("listen on %s port %d: %s", addr, port, strerror(-fd));
	return fd;
}

static inline int sct_t_connected(struct __test_metadata *_metadata, int family,
				  const char *addr, int port, const char *raddr,
				  int rport, int opts)
{
	int fd = sct_connected(family, addr, port, raddr, rport, opts);

	ASSERT_LE(0, fd) TH_LOG("%s port %d -> %s port %d: %s", addr, port, raddr, rport,
				strerror(-fd));
	return fd;
}

/* A self-connect at addr:port owned by uid, asserted ESTABLISHED and to itself. */
static inline int sct_t_self_connect(struct __test_metadata *_metadata, int family,
				     const char *addr, int port, uid_t uid)
{
	int fd = sct_socket_as(family, 0, uid);

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(-fd));
	ASSERT_EQ(0, sct_bind(fd, family, addr, port))
		TH_LOG("bind %s:%d: %s", addr, port, strerror(errno));
	ASSERT_EQ(0, sct_connect(fd, family, addr, port))
		TH_LOG("connect %s:%d to itself: %s", addr, port, strerror(errno));
	ASSERT_TRUE(sct_is_self(fd)) TH_LOG("%s:%d: local and peer address differ", addr, port);
	ASSERT_EQ(TCP_ESTABLISHED, sct_tcp_state(fd));
	return fd;
}

/* accept() with a timeout; the peer must be the client whose port is cport. */
static inline int sct_t_accept(struct __test_metadata *_metadata, int lfd, int cport)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	ASSERT_EQ(1, poll(&p, 1, SCT_WAIT_MS)) TH_LOG("nothing to accept");
	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(cport, sct_port_of(&ss)) TH_LOG("accepted a connection from another client");
	return fd;
}

/* A client (*c) of listener lfd on addr:port: the accepted socket. */
static inline int sct_t_client(struct __test_metadata *_metadata, int lfd, int family,
			       const char *addr, int port, int *c)
{
	*c = sct_t_connected(_metadata, family, addr, -1, addr, port, 0);
	return sct_t_accept(_metadata, lfd, sct_local_port(*c));
}

/* An orderly close, first closing first: first ends in TIME-WAIT. */
static inline void sct_t_close_pair(struct __test_metadata *_metadata, int first, int second)
{
	ASSERT_EQ(0, close(first));
	ASSERT_TRUE(sct_wait_eof(second)) TH_LOG("no FIN from the peer");
	ASSERT_EQ(0, close(second));
}

/* The fixtures' set-up: skip, or note the taint and enter a new netns (addr6 on lo). */
static inline void sct_t_setup(struct __test_metadata *_metadata, unsigned long *taint,
			       bool ipv6, const char *addr6)
{
	const char *why = sct_cannot_run(ipv6);

	*taint = sct_taint();
	if (why)
		SCT_SKIP("%s", why);
	ASSERT_TRUE(sct_module_loaded()) TH_LOG("load selfconn.ko first");
	ASSERT_EQ(0, sct_new_netns()) TH_LOG("new netns: %s", strerror(errno));
	if (addr6)
		ASSERT_EQ(0, sct_add_addr6(addr6)) TH_LOG("add %s: %s", addr6, strerror(errno));
}

/*
 * Variants of a fixture, one per address family (SCT_IPV4, SCT_IPV6 and
 * SCT_V4MAPPED: an AF_INET6 socket on ::ffff:127.0.0.1), whose set-up is
 * SCT_SETUP_FAMILY(). other is a second local address, added to lo.
 */
#define SCT_FAMILY_FIELDS							\
	int family;								\
	const char *fam;	/* the family column: inet or inet6 */		\
	const char *addr;	/* loopback */					\
	const char *other;							\
	bool add_other;								\
	const char *any		/* the wildcard */

#define SCT_IPV4	.family = AF_INET, .fam = "inet", .addr = "127.0.0.1",	\
			.other = "127.0.0.2", .any = "0.0.0.0"
#define SCT_IPV6	.family = AF_INET6, .fam = "inet6", .addr = "::1",	\
			.other = "fd00:5e1f::2", .add_other = true, .any = "::"
#define SCT_V4MAPPED	.family = AF_INET6, .fam = "inet6", .addr = "::ffff:127.0.0.1", \
			.other = "::ffff:127.0.0.2", .any = "::"

#define SCT_SETUP_FAMILY()	sct_t_setup(_metadata, &self->taint,			\
					    variant->family == AF_INET6,		\
					    variant->add_other ? variant->other : NULL)

/* The fixtures' teardown: leave the module loaded; no new taint since taint0. */
static inline void sct_t_teardown(struct __test_metadata *_metadata, unsigned long taint0)
{
	unsigned long bad;
	int ret;

	if (!sct_module_loaded()) {
		ret = sct_module_load(sct_module_ko(), "");
		/* no TH_LOG after an EXPECT: it would print after a failed ASSERT */
		if (ret)
			TH_LOG("reloading %s: %s", SCT_MODNAME, strerror(-ret));
		EXPECT_EQ(0, ret);
	}
	bad = sct_taint() & ~taint0 & SCT_BAD_TAINTS;
	if (bad)
		TH_LOG("kernel tainted during the test (new taint bits 0x%lx): see dmesg", bad);
	EXPECT_EQ(0UL, bad);
}

#define SCT_FIXTURE(name, ipv6)							\
	FIXTURE(name) {								\
		unsigned long taint;						\
	};									\
	FIXTURE_SETUP(name)							\
	{									\
		sct_t_setup(_metadata, &self->taint, (ipv6), NULL);		\
	}									\
	FIXTURE_TEARDOWN(name)							\
	{									\
		sct_t_teardown(_metadata, self->taint);				\
	}

static inline const char *sct_t_need_ko(struct __test_metadata *_metadata)
{
	const char *ko = sct_module_ko();

	if (!ko)
		SCT_SKIP(SCT_NO_KO);
	return ko;
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* SELFCONN_LIB_H */
