/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the selfconn selftests: network namespaces, socket
 * addresses, the module, the kernel's taint flags. Everything is static
 * inline, so that each test program compiles alone, as kselftest wants.
 */
#ifndef SELFCONN_LIB_H
#define SELFCONN_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SCT_PROC	"/proc/selfconn"
#define SCT_SYSCTL	"/proc/sys/net/selfconn/refuse"
#define SCT_MODNAME	"selfconn"

/*
 * Taints that mean the kernel complained: M B D W L (bad MCE, bad page,
 * oops, warning, soft lockup). Loading the module itself taints O and E.
 */
#define SCT_BAD_TAINTS ((1UL << 4) | (1UL << 5) | (1UL << 7) | (1UL << 9) | (1UL << 14))

/* ---- namespaces ---- */

static inline int sct_lo_up(void)
{
	struct ifreq ifr;
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/* A fresh network namespace with lo up (127.0.0.0/8 and ::1). */
static inline int sct_new_netns(void)
{
	if (unshare(CLONE_NEWNET))
		return -1;
	return sct_lo_up();
}

/* ---- addresses and sockets ---- */

/* No IPv6 in this kernel (a test's IPv6 variant then skips). */
static inline bool sct_ipv6_missing(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno == EAFNOSUPPORT;
	close(fd);
	return false;
}

/* ADDR:PORT of @family into @ss: its length, 0 if ADDR does not parse. */
static inline socklen_t sct_sockaddr(int family, const char *addr, int port,
				     struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return 0;
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
		return 0;
	return sizeof(*sin6);
}

/* The address column of /proc/selfconn, as ss writes it. */
static inline const char *sct_addrstr(int family, const char *addr, int port,
				      char *buf, size_t len)
{
	if (family == AF_INET)
		snprintf(buf, len, "%s:%d", addr, port);
	else
		snprintf(buf, len, "[%s]:%d", addr, port);
	return buf;
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

/* TCP_* state of a socket, -1 on error. */
static inline int sct_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

/* ---- the module ---- */

/* $SELFCONN_KO if it names a readable file, else NULL. */
static inline const char *sct_module_ko(void)
{
	const char *ko = getenv("SELFCONN_KO");

	return ko && *ko && !access(ko, R_OK) ? ko : NULL;
}

static inline bool sct_module_loaded(void)
{
	return access(SCT_PROC, F_OK) == 0;
}

/* finit_module() with @params: 0 or -errno. */
static inline int sct_module_load(const char *ko, const char *params)
{
	int fd, ret, err;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
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

/* /proc/sys/kernel/tainted, 0 if it cannot be read. */
static inline unsigned long sct_taint(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "re");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

#endif /* SELFCONN_LIB_H */
