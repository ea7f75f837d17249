#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# net.selfconn.audit: the companion's self-connects counted, logged and
# traced (selfconn:attempt, read back through tracefs) with their verdict,
# as refuse says; with audit=0 and refuse=0 the hooks are gone. In a network
# namespace of its own.

PORT=18093	# and the next three
DIR=/proc/sys/net/selfconn

. "$(dirname "$0")/selfconn_lib.sh"
sct_own_netns "$@"

sct_need_companion
[ -w $DIR/audit ] || sct_skip_all "$DIR/audit missing or not writable: load selfconn.ko, run as root"
sct_need_netns

echo "1..9"

sct_tmp

# tracefs, mounted if it is not; empty if this kernel has no selfconn events.
tracing=
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	[ -d $d/events ] || mount -t tracefs nodev $d 2>/dev/null
	[ -d $d/events/selfconn/attempt ] && { tracing=$d; break; }
done
sct_at_exit() {
	[ -z "$tracing" ] || echo 0 >$tracing/events/selfconn/attempt/enable
}
[ -z "$tracing" ] || echo 1 >$tracing/events/selfconn/attempt/enable

netns=$(stat -L -c %i /proc/self/ns/net)

# attempt EXIT: the companion's self-connect on the next port $port (a made
# one leaves a TIME-WAIT), exiting EXIT (0 made, 2 refused); trace emptied.
port=$((PORT - 1))
attempt() {
	port=$((port + 1))
	[ -z "$tracing" ] || : >$tracing/trace
	run "$1" connect 127.0.0.1 $port
}

# traced VERDICT: the one event of the last attempt, with its fields.
traced() {
	if [ -z "$tracing" ]; then
		ok "# SKIP no tracefs with selfconn events (CONFIG_TRACING)"
		return
	fi
	grep ' attempt: ' $tracing/trace >"$tmp/events"
	want="attempt: family=inet addr=127.0.0.1:$port port=$port netns=$netns pid=[0-9]+ comm=selfconn uid=0 verdict=$1\$"
	[ "$(wc -l <"$tmp/events")" = 1 ] && grep -Eq "$want" "$tmp/events"
	rc=$?
	sed 's/^/#   trace: /' "$tmp/events"
	check "selfconn:attempt traced: port $port, comm selfconn, netns $netns, verdict=$1" $rc
}

# logged VERDICT: the kernel log has one audit line of this attempt's port.
logged() {
	dmesg | grep "selfconn: audit self-connect 127.0.0.1:$port " >"$tmp/log"
	[ "$(wc -l <"$tmp/log")" = 1 ] &&
		grep -Eq "comm=selfconn pid=[0-9]+ uid=0 netns=$netns verdict=$1\$" "$tmp/log"
	rc=$?
	[ $rc = 0 ] || sed 's/^/#   log: /' "$tmp/log"
	return $rc
}

[ "$(cat $DIR/audit)" = 0 ] && [ "$(cat $DIR/refuse)" = 0 ]
check "a new namespace starts at audit=0 refuse=0" $?

for bad in 2 -1 x "1 0"; do
	printf '%s' "$bad" >$DIR/audit 2>/dev/null && echo "# audit took '$bad'"
done
[ "$(cat $DIR/audit)" = 0 ]
check "audit refuses 2, -1, x and '1 0', and stays 0" $?

echo 1 >$DIR/audit
attempt 0 && [ "$(sct_counters)" = "1 0" ] && logged allowed
check "audit=1 refuse=0: the self-connect is made, counted (1 0), logged verdict=allowed" $?
traced allowed

echo 1 >$DIR/refuse
attempt 2 && [ "$(sct_counters)" = "2 1" ] && logged refused
check "audit=1 refuse=1: refused, counted (2 1), logged verdict=refused" $?
traced refused

echo 0 >$DIR/audit
echo 0 >$DIR/refuse
attempt 0 && [ "$(sct_counters)" = "2 1" ]
check "audit=0 refuse=0: the hooks are gone, nothing counted" $?
if [ -n "$tracing" ]; then
	! grep -q ' attempt: ' $tracing/trace
	check "audit=0 refuse=0: nothing traced" $?
else
	ok "# SKIP no tracefs with selfconn events (CONFIG_TRACING)"
fi

echo 1 >$DIR/refuse
attempt 2 && [ "$(sct_counters)" = "3 2" ] &&
	! dmesg | grep -q "audit self-connect 127.0.0.1:$port "
check "refuse=1 alone: refused and counted (3 2), no audit line" $?

exit $failed
