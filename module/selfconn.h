/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_H
#define _SELFCONN_H

#include <linux/in6.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uidgid.h>

#include "refuse.h"

struct net;

#define SELFCONN_MAX_WATCHED	64

int selfconn_fault(void);

struct selfconn_net {
	struct mutex			watch_lock;	/* protects watched[] */
	unsigned int			nr_watched;
	u16				watched[SELFCONN_MAX_WATCHED]; /* ascending */
	struct selfconn_refuse_net	refuse;
};

struct selfconn_net *selfconn_net(const struct net *net);
int selfconn_pernet_init(void);
void selfconn_pernet_exit(void);
int selfconn_watch_add(struct net *net, u16 port);
int selfconn_watch_del(struct net *net, u16 port);
void selfconn_watch_clear(struct net *net);
unsigned int selfconn_watch_copy(struct net *net, u16 ports[SELFCONN_MAX_WATCHED]);

struct seq_file;
struct sock;

/*
 * One socket of the established hash, copied out while its bucket lock was
 * held, so that printing it later needs no reference.
 */
struct selfconn_row {
	struct in6_addr	laddr;		/* IPv4 in s6_addr32[3] */
	struct in6_addr	raddr;
	kuid_t		uid;
	unsigned long	ino;		/* 0: timewait or request sock */
	unsigned long	timer_ms;	/* timewait only: time left */
	u16		lport;		/* host order */
	u16		rport;
	u8		family;
	u8		state;		/* TCP_*; timewait sockets: tw_substate */
	bool		timewait;
};

/* Which sockets a snapshot keeps; called with the bucket lock held. */
typedef bool (*selfconn_match_t)(const struct sock *sk, unsigned int arg);

bool selfconn_match_self(const struct sock *sk, unsigned int unused);
bool selfconn_match_rport(const struct sock *sk, unsigned int port);

struct selfconn_snapshot {
	struct selfconn_row	*rows;
	unsigned int		nr;
	unsigned int		cap;
};

int selfconn_snapshot_take(struct selfconn_snapshot *snap, const struct net *net,
			   selfconn_match_t match, unsigned int arg);
void selfconn_snapshot_free(struct selfconn_snapshot *snap);

void selfconn_seq_addr(struct seq_file *seq, u8 family,
		       const struct in6_addr *addr, u16 port);
const char *selfconn_state_name(u8 state);
void selfconn_report_show(struct seq_file *seq, struct net *net, u16 port);

int selfconn_proc_init(void);
void selfconn_proc_exit(void);

#endif /* _SELFCONN_H */
