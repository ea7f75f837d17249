// SPDX-License-Identifier: GPL-2.0
/*
 * The watched ports of each network namespace: /proc/selfconn prints a
 * report for each after the socket rows.
 */

#include <linux/mutex.h>
#include <linux/sort.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "watch.h"

struct selfconn_watch_net {
	struct mutex	lock;		/* protects nr and ports[] */
	unsigned int	nr;
	u16		ports[SELFCONN_MAX_WATCHED];	/* ascending */
};

static unsigned int selfconn_watch_net_id __read_mostly;

static struct selfconn_watch_net *selfconn_watch_net(const struct net *net)
{
	return net_generic(net, selfconn_watch_net_id);
}

static int selfconn_watch_find(const struct selfconn_watch_net *wn, u16 port)
{
	unsigned int i;

	lockdep_assert_held(&wn->lock);
	for (i = 0; i < wn->nr; i++)
		if (wn->ports[i] == port)
			return i;
	return -1;
}

static int selfconn_port_cmp(const void *a, const void *b)
{
	return *(const u16 *)a - *(const u16 *)b;
}

/* Adding a port that is already watched is not an error. */
int selfconn_watch_add(struct net *net, u16 port)
{
	struct selfconn_watch_net *wn = selfconn_watch_net(net);
	int err = 0;

	mutex_lock(&wn->lock);
	if (selfconn_watch_find(wn, port) >= 0)
		goto out;
	if (wn->nr == SELFCONN_MAX_WATCHED) {
		err = -ENOSPC;
		goto out;
	}
	wn->ports[wn->nr++] = port;
	sort(wn->ports, wn->nr, sizeof(u16), selfconn_port_cmp, NULL);
out:
	mutex_unlock(&wn->lock);
	return err;
}

int selfconn_watch_del(struct net *net, u16 port)
{
	struct selfconn_watch_net *wn = selfconn_watch_net(net);
	int i;

	mutex_lock(&wn->lock);
	i = selfconn_watch_find(wn, port);
	if (i >= 0) {
		wn->nr--;
		memmove(&wn->ports[i], &wn->ports[i + 1],
			(wn->nr - i) * sizeof(u16));
	}
	mutex_unlock(&wn->lock);
	return i >= 0 ? 0 : -ENOENT;
}

void selfconn_watch_clear(struct net *net)
{
	struct selfconn_watch_net *wn = selfconn_watch_net(net);

	mutex_lock(&wn->lock);
	wn->nr = 0;
	mutex_unlock(&wn->lock);
}

/* Copy the watched ports, in ascending order, into @ports. */
unsigned int selfconn_watch_copy(struct net *net, u16 ports[SELFCONN_MAX_WATCHED])
{
	struct selfconn_watch_net *wn = selfconn_watch_net(net);
	unsigned int nr;

	mutex_lock(&wn->lock);
	nr = wn->nr;
	memcpy(ports, wn->ports, nr * sizeof(u16));
	mutex_unlock(&wn->lock);
	return nr;
}

static int __net_init selfconn_watch_net_init(struct net *net)
{
	mutex_init(&selfconn_watch_net(net)->lock);
	return 0;
}

static void __net_exit selfconn_watch_net_exit(struct net *net)
{
	mutex_destroy(&selfconn_watch_net(net)->lock);
}

static struct pernet_operations selfconn_watch_net_ops = {
	.init	= selfconn_watch_net_init,
	.exit	= selfconn_watch_net_exit,
	.id	= &selfconn_watch_net_id,
	.size	= sizeof(struct selfconn_watch_net),
};

int selfconn_watch_init(void)
{
	return register_pernet_subsys(&selfconn_watch_net_ops);
}

void selfconn_watch_exit(void)
{
	unregister_pernet_subsys(&selfconn_watch_net_ops);
}
