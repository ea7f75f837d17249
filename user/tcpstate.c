// SPDX-License-Identifier: GPL-2.0
/* The one table of TCP state names: the kernel's states, as ss(8) names them. */
#define _DEFAULT_SOURCE	/* TCP_ESTABLISHED ... TCP_CLOSING */
#include <netinet/tcp.h>
#include <string.h>

#include "selfconn.h"

#define TCP_NEW_SYN_RECV 12	/* include/net/tcp_states.h; not in glibc */

static const char * const tcp_state_names[] = {
	[TCP_ESTABLISHED] = "ESTAB",
	[TCP_SYN_SENT] = "SYN-SENT",
	[TCP_SYN_RECV] = "SYN-RECV",
	[TCP_FIN_WAIT1] = "FIN-WAIT-1",
	[TCP_FIN_WAIT2] = "FIN-WAIT-2",
	[TCP_TIME_WAIT] = "TIME-WAIT",
	[TCP_CLOSE] = "UNCONN",
	[TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_LAST_ACK] = "LAST-ACK",
	[TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",
	[TCP_NEW_SYN_RECV] = "SYN-RECV",
};

#define NSTATES (int)(sizeof(tcp_state_names) / sizeof(tcp_state_names[0]))

/* "ESTAB" for TCP_ESTABLISHED, ...; "UNKNOWN" for a number that is no state. */
const char *sc_tcp_state_name(int state)
{
	return state > 0 && state < NSTATES ? tcp_state_names[state] : "UNKNOWN";
}

/* The state named by n bytes of s (the first, for SYN-RECV), or -1. */
int sc_tcp_state_by_name(const char *s, size_t n)
{
	int i;

	for (i = 1; i < NSTATES; i++)
		if (strlen(tcp_state_names[i]) == n && !memcmp(tcp_state_names[i], s, n))
			return i;
	return -1;
}

/* A state of a connection, which a self-connect can be in: not LISTEN, UNCONN. */
int sc_tcp_state_is_connection(int state)
{
	return state > 0 && state < NSTATES && state != TCP_LISTEN && state != TCP_CLOSE;
}
