// SPDX-License-Identifier: GPL-2.0
/*
 * Every network namespace of the host, and running code inside each one
 * (selfconn list --all-netns, selfconn metrics --all-netns).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "selfconn.h"

#define CAP_SYS_PTRACE_BIT	19
#define CAP_SYS_ADMIN_BIT	21

/* The effective capabilities of this process (CapEff), or 0. */
static unsigned long long cap_effective(void)
{
	unsigned long long caps = 0;
	char line[128];
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

/*
 * setns() into a network namespace needs CAP_SYS_ADMIN; reading another
 * user's /proc/PID/ns/net needs ptrace access to it (CAP_SYS_PTRACE).
 * 0 if this process has both, else -1 after a message naming what lacks.
 */
int sc_netns_privileged(const char *prog, const char *cmd)
{
	unsigned long long caps = cap_effective();
	int admin = !!(caps & (1ULL << CAP_SYS_ADMIN_BIT));
	int ptrace = !!(caps & (1ULL << CAP_SYS_PTRACE_BIT));

	if (admin && ptrace)
		return 0;
	sc_err(prog, cmd, EPERM, "--all-netns needs %s%s%s: run it as root",
	       admin ? "" : "CAP_SYS_ADMIN (setns() into each namespace)",
	       admin || ptrace ? "" : " and ",
	       ptrace ? "" : "CAP_SYS_PTRACE (every process's /proc/PID/ns/net)");
	return -1;
}

static int netns_add(struct sc_netns_set *s, unsigned long inode, long pid, const char *path)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i].inode != inode)
			continue;
		if (pid && (!s->v[i].pid || pid < s->v[i].pid)) {
			s->v[i].pid = pid;
			snprintf(s->v[i].path, sizeof(s->v[i].path), "%s", path);
		}
		return 0;
	}
	if (sc_grow((void **)&s->v, &s->cap, s->n, sizeof(*s->v), 16))
		return -1;
	s->v[s->n].inode = inode;
	s->v[s->n].pid = pid;
	snprintf(s->v[s->n].path, sizeof(s->v[s->n].path), "%s", path);
	s->n++;
	return 0;
}

/* The namespace files in DIR: /proc (PID/ns/net) or /run/netns (NAME). */
static int netns_scan(struct sc_netns_set *s, const char *dir, int procfs)
{
	char path[sizeof(s->v[0].path)];
	struct dirent *d;
	struct stat st;
	long pid = 0;
	char *end;
	DIR *dp;
	int ret = 0;

	dp = opendir(dir);
	if (!dp)
		return procfs || errno != ENOENT ? -1 : 0;
	while (!ret && (d = readdir(dp))) {
		if (procfs) {
			pid = strtol(d->d_name, &end, 10);
			if (*end || pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		} else {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%.200s", dir, d->d_name);
		}
		/* Gone, a kernel thread, or not a namespace (a name not mounted). */
		if (stat(path, &st) || (!procfs && !S_ISREG(st.st_mode)))
			continue;
		ret = netns_add(s, (unsigned long)st.st_ino, pid, path);
	}
	closedir(dp);
	return ret;
}

static int netns_cmp(const void *a, const void *b)
{
	const struct sc_netns *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* 0, or -1 with errno. */
int sc_netns_find(struct sc_netns_set *s)
{
	memset(s, 0, sizeof(*s));
	if (netns_scan(s, "/proc", 1) || netns_scan(s, "/run/netns", 0)) {
		sc_netns_free(s);
		return -1;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof(s->v[0]), netns_cmp);
	return 0;
}

void sc_netns_free(struct sc_netns_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int netns_child(const char *prog, const char *cmd, const struct sc_netns *ns,
		       int fd, int out_fd, int (*fn)(void *arg, FILE *out), void *arg)
{
	FILE *out;
	int rc;

	if (setns(fd, CLONE_NEWNET)) {
		sc_err(prog, cmd, errno, "setns() into %s", ns->path);
		return SC_NETNS_FAILED;
	}
	out = fdopen(out_fd, "w");
	if (!out) {
		sc_err(prog, cmd, errno, "fdopen");
		return SC_NETNS_FAILED;
	}
	rc = fn(arg, out);
	if (fclose(out)) {
		sc_err(prog, cmd, errno, "write to the parent");
		rc = SC_NETNS_FAILED;
	}
	return rc;
}

int sc_netns_run(const char *prog, const char *cmd, const struct sc_netns *ns,
		 int (*fn)(void *arg, FILE *out), void *arg, char **buf)
{
	int fd, p[2], status, err;
	pid_t pid;

	*buf = NULL;
	fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pipe2(p, O_CLOEXEC)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(netns_child(prog, cmd, ns, fd, p[1], fn, arg));
	}
	err = errno;
	close(fd);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		errno = err;
		return -1;
	}
	err = sc_read_all(p[0], buf);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : SC_NETNS_FAILED;
}
