// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state: the watched ports of /proc/selfconn and the
 * refusal of self-connects.
 */

#include <linux/sort.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "selfconn.h"

static unsigned int selfconn_net_id __read_mostly;

struct selfconn_net *selfconn_net(const struct net *net)
{
	return net_generic(net, selfconn_net_id);
}

static int selfconn_watch_find(const struct selfconn_net *sn, u16 port)
{
	unsigned int i;

	for (i = 0; i < sn->nr_watched; i++)
		if (sn->watched[i] == port)
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
	struct selfconn_net *sn = selfconn_net(net);
	int err = 0;

	mutex_lock(&sn->watch_lock);
	if (selfconn_watch_find(sn, port) >= 0)
		goto out;
	if (sn->nr_watched == SELFCONN_MAX_WATCHED) {
		err = -ENOSPC;
		goto out;
	}
	sn->watched[sn->nr_watched++] = port;
	sort(sn->watched, sn->nr_watched, sizeof(u16), selfconn_port_cmp, NULL);
out:
	mutex_unlock(&sn->watch_lock);
	return err;
}

int selfconn_watch_del(struct net *net, u16 port)
{
	struct selfconn_net *sn = selfconn_net(net);
	int i;

	mutex_lock(&sn->watch_lock);
	i = selfconn_watch_find(sn, port);
	if (i >= 0) {
		sn->nr_watched--;
		memmove(&sn->watched[i], &sn->watched[i + 1],
			(sn->nr_watched - i) * sizeof(u16));
	}
	mutex_unlock(&sn->watch_lock);
	return i >= 0 ? 0 : -ENOENT;
}

void selfconn_watch_clear(struct net *net)
{
	struct selfconn_net *sn = selfconn_net(net);

	mutex_lock(&sn->watch_lock);
	sn->nr_watched = 0;
	mutex_unlock(&sn->watch_lock);
}

/* Copy the watched ports, in ascending order, into @ports. */
unsigned int selfconn_watch_copy(struct net *net, u16 ports[SELFCONN_MAX_WATCHED])
{
	struct selfconn_net *sn = selfconn_net(net);
	unsigned int nr;

	mutex_lock(&sn->watch_lock);
	nr = sn->nr_watched;
	memcpy(ports, sn->watched, nr * sizeof(u16));
	mutex_unlock(&sn->watch_lock);
	return nr;
}

static int __net_init selfconn_net_init(struct net *net)
{
	struct selfconn_net *sn = selfconn_net(net);

	mutex_init(&sn->watch_lock);
	return selfconn_refuse_net_init(net);
}

static void __net_exit selfconn_net_pre_exit(struct net *net)
{
	selfconn_refuse_net_pre_exit(net);
}

static void __net_exit selfconn_net_exit(struct net *net)
{
	selfconn_refuse_net_exit(net);
}

static struct pernet_operations selfconn_net_ops = {
	.init		= selfconn_net_init,
	.pre_exit	= selfconn_net_pre_exit,
	.exit		= selfconn_net_exit,
	.id		= &selfconn_net_id,
	.size		= sizeof(struct selfconn_net),
};

int selfconn_pernet_init(void)
{
	return selfconn_fault() ?: register_pernet_subsys(&selfconn_net_ops);
}

void selfconn_pernet_exit(void)
{
	unregister_pernet_subsys(&selfconn_net_ops);
}
