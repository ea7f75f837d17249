#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The companion's `selfconn connect [ADDR] PORT [--hold SECONDS] [--json]`:
# the self-connects it makes are listed with its socket inode.

. "$(dirname "$0")/selfconn_lib.sh"
sct_own_netns "$@"

sct_need_companion
sct_need_module
echo "# companion: $bin"

echo "1..11"

sct_tmp

run 0 --help && grep -q '^  connect ' "$tmp/out"
check "selfconn --help lists connect" $?
run 0 connect --help && grep -q 'Usage: selfconn connect \[ADDR\] PORT' "$tmp/out"
check "selfconn connect --help" $?

bad=0
for args in "" "bogus" "connect" "connect 0" "connect 65536" "connect 1.2.3 80" \
	"connect 18090 --hold" "connect 18090 --hold -1" "connect 1 2 3" \
	"connect --frob 18090"; do
	# shellcheck disable=SC2086 # split on purpose
	if ! run 64 $args || [ -s "$tmp/out" ] || [ ! -s "$tmp/err" ]; then
		echo "# usage error not reported for: selfconn $args"
		bad=1
	fi
done
check "usage errors exit 64 with a message on stderr" $bad

run 1 connect 192.0.2.1 18090 && grep -q 'EADDRNOTAVAIL' "$tmp/err"
check "a non-local address exits 1 naming EADDRNOTAVAIL" $?

wait_tw() {
	sct_wait sct_listed "^$1 TIME-WAIT 0 0 [1-9][0-9]*( |\$)" || { dump; false; }
}
run 0 connect 18091 &&
	grep -qx 'inet 127.0.0.1:18091 -> 127.0.0.1:18091 ESTAB' "$tmp/out" &&
	wait_tw "inet 127.0.0.1:18091"
check "selfconn connect 18091 prints the 4-tuple, then TIME-WAIT is listed" $?

run 0 connect 18096 --json &&
	grep -qx '{"schema":1,"command":"connect","family":"inet","local":"127.0.0.1:18096","remote":"127.0.0.1:18096","state":"ESTAB"}' "$tmp/out"
check "selfconn connect 18096 --json prints schema 1" $?

held() {	# held FAMILY ADDR-AS-LISTED ARG-ADDR PORT [NOTE]: checked
	fam=$1 listed=$2 arg=$3 port=$4
	re=$(printf '%s' "$listed" | sed 's/[].[]/\\&/g')
	"$bin" connect "$arg" "$port" --hold 60 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	pids=$pid
	sct_wait sct_listed "^$fam $re:$port ESTAB "
	row=$(grep "^$fam $re:$port ESTAB " /proc/selfconn)
	ino=$(echo "$row" | awk '{ print $5 }')
	[ -n "$ino" ] && sct_sockets_of "$pid" | grep -qxF "socket:[$ino]" &&
		echo "$row" | grep -Eq "^$fam $re:$port ESTAB 0 $ino -( |\$)" &&
		grep -qxF "$fam $listed:$port -> $listed:$port ESTAB" "$tmp/out"
	res=$?
	if [ $res != 0 ]; then
		echo "# expected: $fam $listed:$port ESTAB 0 <inode of pid $pid> -"
		echo "# got row: $row"
		echo "# its sockets: $(sct_sockets_of "$pid" | tr '\n' ' ')"
		show
		dump
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null
	pids=
	check "connect $arg $port ${5:+$5 }--hold: listed with its inode" $res
}
held inet 127.0.0.1 127.0.0.1 18092
held inet6 "[::1]" ::1 18093
held inet6 "[::ffff:127.0.0.1]" ::ffff:127.0.0.1 18094
held inet6 "[::1]" "[::1]" 18095 "(brackets)"

wait_tw "inet6 \[::ffff:127.0.0.1\]:18094"
check "after kill, [::ffff:127.0.0.1]:18094 is TIME-WAIT" $?

exit $failed
