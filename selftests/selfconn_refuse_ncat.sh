#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The seed's reproducer, `ncat 127.0.0.1 P -p P` (and ::1), with
# net.selfconn.refuse=1 and 0, in a network namespace of its own.

PORT=18082
SYSCTL=/proc/sys/net/selfconn/refuse

. "$(dirname "$0")/selfconn_lib.sh"
sct_own_netns "$@"

sct_need_cmd ncat
[ -w $SYSCTL ] || sct_skip_all "$SYSCTL missing or not writable: load selfconn.ko, run as root"
sct_need_netns

echo "1..7"

sct_tmp

now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

[ "$(cat $SYSCTL)" = 0 ] && ok "a new namespace starts at refuse=0" ||
	not_ok "a new namespace starts at refuse=0 (reads $(cat $SYSCTL))"

echo 1 >$SYSCTL
[ "$(cat $SYSCTL)" = 1 ] && ok "echo 1 > $SYSCTL" || not_ok "echo 1 > $SYSCTL"

# TCP segments this namespace has retransmitted (Tcp: RetransSegs of
# /proc/net/snmp): a SYN that is retried counts there (__tcp_retransmit_skb()).
retrans() {
	awk '$1 == "Tcp:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "RetransSegs") col = i; n = 1 }
		else print $col }' /proc/net/snmp
}

# refused ADDR COLUMN: ncat ADDR P -p P fails with "Connection refused"
# before any SYN retransmission, and COLUMN is not listed. Wall-clock time
# is only printed: under TCG and KASAN it varies by seconds.
refused() {
	addr=$1 col=$2
	r0=$(retrans)
	t0=$(now_ms)
	# stdin from /dev/null: a connected ncat would exit at EOF too, with 0
	timeout 10 ncat "$addr" $PORT -p $PORT </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ms=$(($(now_ms) - t0))
	r1=$(retrans)
	echo "# ncat $addr $PORT -p $PORT: exit $rc in ${ms} ms, retransmitted $((r1 - r0)): $(head -n 1 "$tmp/err")"
	if [ $rc -ne 0 ] && grep -q "Connection refused" "$tmp/err" &&
		[ -n "$r0" ] && [ "$r0" = "$r1" ] && ! grep -qF " $col " /proc/selfconn; then
		ok "ncat $addr $PORT -p $PORT: Connection refused, no SYN retried"
	else
		not_ok "ncat $addr $PORT -p $PORT: Connection refused at once, not listed"
		dump
	fi
}

refused 127.0.0.1 "127.0.0.1:$PORT"
c=$(sct_counters)
[ "$c" = "1 1" ] && ok "counted: attempts=1 refused=1" ||
	not_ok "counted: attempts=1 refused=1 (got '$c')"

if [ -e /proc/net/if_inet6 ]; then
	refused ::1 "[::1]:$PORT"
	c=$(sct_counters)
	[ "$c" = "2 2" ] && ok "counted: attempts=2 refused=2" ||
		not_ok "counted: attempts=2 refused=2 (got '$c')"
else
	ok "# SKIP no IPv6"
	ok "# SKIP no IPv6"
fi

echo 0 >$SYSCTL
sct_ncat_hold 127.0.0.1 $PORT
if sct_wait sct_listed "^inet 127.0.0.1:$PORT ESTAB "; then
	ok "refuse=0: ncat connects to itself again"
else
	not_ok "refuse=0: ncat connects to itself again"
	sed 's/^/# ncat: /' "$tmp/err"
fi
sct_ncat_stop

exit $failed
