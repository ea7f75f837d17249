#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# net.selfconn.audit and the selfconn:attempt trace event. With audit=1 a
# self-connect (the companion's connect) goes through when refuse=0, and is
# counted (attempts= of /proc/selfconn), logged ("audit self-connect ...
# verdict=allowed") and traced (read back through tracefs with its port,
# comm, namespace and verdict); with refuse=1 too, it is refused, and log
# and trace say verdict=refused. With both 0 the hooks are gone: nothing
# is counted or traced.
#
# Runs in a network namespace of its own (unshare -n). Needs root, the
# module and the companion; the trace cases skip on a kernel without
# tracefs.

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

# attempt EXIT: the companion's self-connect on the next port ($port: a
# made one leaves a TIME-WAIT behind), which must exit EXIT (0 made, 2
# refused); the trace buffer emptied before it.
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

# The rules of refuse: 0 or 1, one value, nothing else changed.
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

echo 0 >$DIR/audit
echo 1 >$DIR/refuse
attempt 2 && [ "$(sct_counters)" = "3 2" ] &&
	! dmesg | grep -q "audit self-connect 127.0.0.1:$port "
check "refuse=1 alone: refused and counted (3 2), no audit line" $?

exit $failed
