#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The companion's other subcommands: list (with its sock_diag fallback),
# race, reuse and simopen, on their normal and failure paths. In a network
# namespace of its own, with a small ip_local_port_range: race is quick.

RANGE="40000 40199"

. "$(dirname "$0")/selfconn_lib.sh"
sct_own_netns "$@"

sct_need_companion
ko=$(sct_ko)
sct_need_module
sct_need_netns
echo "$RANGE" >/proc/sys/net/ipv4/ip_local_port_range
echo "# companion: $bin; ip_local_port_range $RANGE"

echo "1..25"
sct_tmp
# shellcheck disable=SC2317 # run at exit
sct_at_exit() {
	[ -e /proc/selfconn ] || [ -z "$ko" ] || insmod "$ko"
}

# expect FILE REGEX...: every extended regex matches a line of FILE
expect() {
	f=$1
	shift
	for re in "$@"; do
		grep -Eq -- "$re" "$f" && continue
		echo "# no line of $(basename "$f") matches: $re"
		show
		return 1
	done
}

# same FILE1 FILE2: equal, or the diff shown
same() {
	cmp -s "$1" "$2" && return 0
	diff "$1" "$2" | sed 's/^/#   /'
	return 1
}

# The rows of `selfconn list` (from line 3), TIME-WAIT timers blanked.
rows() {
	tail -n +3 "$1" | awk '$3 == "TIME-WAIT" || $6 != "-" { $6 = "T" } { print }'
}

# --- help and usage ---------------------------------------------------------

bad=0
run 0 --help && cp "$tmp/out" "$tmp/help" || bad=1
for c in list race reuse simopen; do
	grep -q "^  $c " "$tmp/help" || { echo "# selfconn --help lacks $c"; bad=1; }
	run 0 "$c" --help && grep -q "^Usage: selfconn $c" "$tmp/out" &&
		grep -q '^Exit status' "$tmp/out" || bad=1
done
check "--help of selfconn, list, race, reuse and simopen" $bad

bad=0
for args in "list --bogus" "list extra" "race --max" "race --max 0" "race --max x" \
	"race 1 2 3" "race 127.0.0.1 0" "race 1.2.3 40000" "race --frob" "reuse --frob" \
	"reuse 1 2" "reuse 1.2.3" "simopen --delay 0" "simopen --delay x" "simopen a b" \
	"simopen 1.2.3"; do
	# shellcheck disable=SC2086 # split on purpose
	if ! run 64 $args || [ -s "$tmp/out" ] || ! grep -q "^selfconn " "$tmp/err"; then
		echo "# usage error not reported for: selfconn $args"
		bad=1
	fi
done
check "usage errors exit 64 with a message on stderr" $bad

printf '{"a":[1,-2.5e3,"\\u00e9\\n",true,null],"b":{}}\n' >"$tmp/good.json"
printf '{"a":1,}\n' >"$tmp/bad.json"
valid_json "$tmp/good.json" && ! "$(dirname "$0")/selfconn_json_valid" <"$tmp/bad.json" 2>/dev/null
check "selfconn_json_valid accepts valid JSON and rejects a trailing comma" $?

# --- list -------------------------------------------------------------------

run 0 list --check &&
	expect "$tmp/out" '^# selfconn list v1 source=proc rows=0( |$)' \
		'^# family address state uid inode timer_ms users$' &&
	[ "$(wc -l <"$tmp/out")" = 2 ] &&
	run 0 list --json && valid_json "$tmp/out" &&
	expect "$tmp/out" '^\{"schema":1,"source":"proc","header":\{"rows":0,.*"rows":\[\]\}$'
check "list --check without a self-connect: exit 0, no rows; --json empty" $?

# held self-connects: IPv4, IPv6, IPv4-mapped
for args in "127.0.0.1 18101" "::1 18102" "::ffff:127.0.0.1 18103"; do
	# shellcheck disable=SC2086 # split on purpose
	"$bin" connect $args --hold 120 >/dev/null 2>"$tmp/held.err" &
	pids="$pids $!"
	first=${first:-$!}
done
sct_wait awk '/ ESTAB / { n++ } END { exit n != 3 }' /proc/selfconn || dump

ino=$(awk '$2 == "127.0.0.1:18101" { print $5 }' /proc/selfconn)
run 1 list --check &&
	expect "$tmp/out" '^# selfconn list v1 source=proc rows=3 .*attempts=[0-9]+' \
		"^inet 127\\.0\\.0\\.1:18101 ESTAB 0 $ino - $first/selfconn\$" \
		'^inet6 \[::1\]:18102 ESTAB 0 [1-9][0-9]* - [0-9]+/selfconn$' \
		'^inet6 \[::ffff:127\.0\.0\.1\]:18103 ESTAB 0 [1-9][0-9]* - [0-9]+/selfconn$'
check "list --check with self-connects: exit 1, rows with pid/command" $?

run 0 list --json && valid_json "$tmp/out" &&
	expect "$tmp/out" '^\{"schema":1,"source":"proc","header":\{"rows":3,' \
		"^\\{\"family\":\"inet\",\"address\":\"127\\.0\\.0\\.1\",\"port\":18101,\"state\":\"ESTAB\",\"uid\":0,\"inode\":$ino,\"timer_ms\":null,\"users\":\\[\\{\"pid\":$first,\"comm\":\"selfconn\"\\}\\]\\},?\$" \
		'^\{"family":"inet6","address":"::ffff:127\.0\.0\.1","port":18103,' \
		'^\]\}$'
check "list --json: schema 1, rows with users" $?

kill "$first"
sct_wait sct_listed '^inet 127\.0\.0\.1:18101 TIME-WAIT'
run 1 list --check &&
	expect "$tmp/out" '^inet 127\.0\.0\.1:18101 TIME-WAIT 0 0 [0-9]+ -$'
check "list: a TIME-WAIT self-connect has a timer and no user" $?

run 1 list --check && cp "$tmp/out" "$tmp/proc.list" &&
	run 1 list --check --diag && cp "$tmp/out" "$tmp/diag.list" &&
	expect "$tmp/diag.list" '^# selfconn list v1 source=sock_diag rows=3$' &&
	rows "$tmp/proc.list" >"$tmp/a" && rows "$tmp/diag.list" >"$tmp/b" &&
	same "$tmp/a" "$tmp/b"
check "list --diag (sock_diag) finds the rows /proc/selfconn lists" $?

run 0 list --json --diag && valid_json "$tmp/out" &&
	expect "$tmp/out" '^\{"schema":1,"source":"sock_diag","header":\{\},"rows":\[$' \
		'^\{"family":"inet6","address":"::1","port":18102,"state":"ESTAB",'
check "list --json --diag: valid, source sock_diag" $?

# a truncated copy bound over /proc/selfconn, in a mount namespace of its own
printf '# selfconn v1 rows=2\n# family address state uid inode timer_ms\ninet 127.0.0.1:1 ESTAB 0 1 -\n' >"$tmp/truncated"
# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m sh -c 'mount --bind "$1" /proc/selfconn || exit 9
	"$2" list --check >"$3/out" 2>"$3/err"; echo $? >"$3/rc"
	"$2" list >/dev/null 2>&1; echo $? >"$3/rc2"' sh "$tmp/truncated" "$bin" "$tmp"
if [ "$(cat "$tmp/rc" 2>/dev/null)" = 3 ] && [ "$(cat "$tmp/rc2" 2>/dev/null)" = 1 ] &&
	[ ! -s "$tmp/out" ]; then
	expect "$tmp/err" '^selfconn list: /proc/selfconn: line 4: truncated: the header announces 2 rows, found 1$'
else
	echo "# exit $(cat "$tmp/rc" 2>/dev/null) (--check), $(cat "$tmp/rc2" 2>/dev/null); expected 3, 1"
	show
	false
fi
check "list on a truncated /proc/selfconn: exit 3 with --check, 1 without, the line named" $?

if [ -z "$ko" ]; then
	ok "# SKIP list without the module: $SCT_NO_KO"
	ok "# SKIP port without the module: $SCT_NO_KO"
elif ! rmmod selfconn; then
	not_ok "list without the module: rmmod selfconn failed"
	not_ok "port without the module: rmmod selfconn failed"
else
	run 1 list --check &&
		expect "$tmp/out" '^# selfconn list v1 source=sock_diag rows=3$' &&
		expect "$tmp/err" 'selfconn list: /proc/selfconn missing .*sock_diag.*bhash report.*needs the module' &&
		rows "$tmp/out" >"$tmp/c" && same "$tmp/a" "$tmp/c"
	check "list without the module: sock_diag finds the same self-connects" $?
	run 1 port 18102 && expect "$tmp/err" 'selfconn\.ko loaded.*ENOENT'
	check "port without the module: exit 1, says the module is needed" $?
	insmod "$ko" || echo "# insmod $ko failed"
fi
for p in $pids; do kill "$p" 2>/dev/null; done
pids=

# --- race -------------------------------------------------------------------

run 0 race --max 5000 &&
	expect "$tmp/out" '^race: connect\(\) without bind\(\) to 127\.0\.0\.1:4[01][0-9]*[02468], ip_local_port_range 40000-40199' \
		'^attempt [0-9]+: connect\(127\.0\.0\.1:[0-9]+\) from 127\.0\.0\.1:[0-9]+: ok, connected to itself$' \
		'^attempts=[0-9]+ refused=[0-9]+ elapsed_ms=[0-9]+ result=self-connect state=ESTAB$' &&
	port=$(sed -n 's/^attempt [0-9]*: connect(127\.0\.0\.1:\([0-9]*\)).*/\1/p' "$tmp/out") &&
	{ grep -q "^inet 127\\.0\\.0\\.1:$port TIME-WAIT " /proc/selfconn || { dump; false; }; }
check "race: a self-connect within 5000 attempts, then listed as TIME-WAIT" $?
grep '^attempts=' "$tmp/out" | sed 's/^/# /'
# ports for the next cases, not the one that race left in TIME-WAIT
other() {
	if [ "$1" = "$port" ]; then echo $(($1 + 2)); else echo "$1"; fi
}
p6=$(other 40100)
plisten=$(other 40150)
prefuse=$(other 40120)

run 0 race ::1 "$p6" --max 5000 --json && valid_json "$tmp/out" &&
	expect "$tmp/out" '^\{"schema":1,"command":"race","address":"::1","port":'"$p6"',"range":\[40000,40199\],"max":5000,"attempts":[0-9]+,"refused":[0-9]+,"elapsed_ms":[0-9]+,"self_connect":true,"state":"ESTAB"\}$'
check "race ::1 $p6 --json: self_connect true" $?

run 1 race 127.0.0.1 50000 && expect "$tmp/err" 'outside ip_local_port_range'
check "race to a port outside ip_local_port_range: exit 1, says so" $?

if command -v ncat >/dev/null 2>&1; then
	ncat -l -k 127.0.0.1 "$plisten" >/dev/null 2>&1 &
	pids=$!
	# shellcheck disable=SC2016 # awk: until a LISTEN (0A) row has that local port
	sct_wait awk -v p=":$(printf %04X "$plisten")" \
		'$2 ~ p "$" && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
	run 1 race "$plisten" --max 100 && expect "$tmp/err" "something listens on 127\\.0\\.0\\.1:$plisten"
	check "race to a port someone listens on: exit 1, says so" $?
	kill $pids 2>/dev/null
	pids=
else
	ok "# SKIP race to a port someone listens on: ncat not installed"
fi

if [ -w /proc/sys/net/selfconn/refuse ]; then
	echo 1 >/proc/sys/net/selfconn/refuse
	run 2 race "$prefuse" --max 400 &&
		expect "$tmp/out" '^attempts=400 refused=400 elapsed_ms=[0-9]+ result=none$' &&
		! grep -q ":$prefuse " /proc/selfconn
	check "race with net.selfconn.refuse=1: none in 400 attempts, exit 2" $?
	echo 0 >/proc/sys/net/selfconn/refuse
else
	ok "# SKIP race with net.selfconn.refuse=1: no sysctl"
fi

# --- reuse ------------------------------------------------------------------

run 0 reuse &&
	expect "$tmp/out" '^s2 bind\(127\.0\.0\.1:[0-9]+\) = ok' \
		'^s3 connect\(127\.0\.0\.1:[0-9]+\) = ok, 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:[0-9]+ ESTAB$' \
		'^s4 connect\(127\.0\.0\.1:[0-9]+\) = EADDRNOTAVAIL' \
		'^s5 bind\(127\.0\.0\.1:[0-9]+\) = EADDRINUSE$' \
		'^b2 bind\(127\.0\.0\.1:[0-9]+\) = EADDRINUSE$' \
		'^n1 bind\(127\.0\.0\.1:0\) = ok, local 127\.0\.0\.1:0$' \
		'^n1 connect\(127\.0\.0\.1:[0-9]+\) = ok, 127\.0\.0\.1:[1-9][0-9]* -> ' \
		'^result=as-expected$' &&
	! grep -q UNEXPECTED "$tmp/out" &&
	[ "$(awk '$1 ~ /^s[123]$/ && $2 ~ /^connect/ { print $5 }' "$tmp/out" | sort -u | wc -l)" = 1 ]
check "reuse: three connections on one port, EADDRNOTAVAIL, EADDRINUSE, NO_PORT" $?

run 0 reuse ::1 --json && valid_json "$tmp/out" &&
	expect "$tmp/out" '^\{"schema":1,"command":"reuse","address":"::1","calls":\[$' \
		'"step":"repeat-4-tuple","socket":"s4","call":"connect",.*"result":"EADDRNOTAVAIL","expected":"EADDRNOTAVAIL"' \
		'^\],"as_expected":true\}$'
check "reuse ::1 --json: as_expected" $?

run 1 reuse 192.0.2.1 && expect "$tmp/out" 'EADDRNOTAVAIL  UNEXPECTED' '^result=unexpected$'
check "reuse on a non-local address: exit 1, the failing call named" $?

# --- simopen ----------------------------------------------------------------

# simopen runs netem on lo with the tc that execvp() finds: it must be
# iproute2's (not busybox's applet), and the kernel must have netem.
tc=$(sct_in_path tc)
if [ -z "$tc" ] || ! "$tc" -V 2>&1 | grep -q iproute2; then
	no_simopen="the tc in PATH is not iproute2's (${tc:-none}; busybox's applet?)"
elif ! "$tc" qdisc add dev lo root netem delay 1ms 2>/dev/null; then
	no_simopen="tc qdisc add netem failed: no netem (CONFIG_NET_SCH_NETEM)?"
else
	"$tc" qdisc del dev lo root
	no_simopen=
fi

if [ -n "$no_simopen" ]; then
	ok "# SKIP simopen: $no_simopen"
	ok "# SKIP simopen ::1 --json: $no_simopen"
else
	run 0 simopen &&
		expect "$tmp/out" '^a connect\(127\.0\.0\.1:[0-9]+\) = EINPROGRESS, SYN-SENT$' \
			'^b connect\(127\.0\.0\.1:[0-9]+\) = EINPROGRESS, SYN-SENT$' \
			'^a states: SYN-SENT( -> SYN-RECV)? -> ESTAB$' \
			'^a 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:[0-9]+ ESTAB$' \
			'^b 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:[0-9]+ ESTAB$' \
			'^elapsed_ms=[0-9]+ result=simultaneous-open '
	check "simopen: both sockets ESTAB with each other, no listener" $?
	grep 'states:' "$tmp/out" | sed 's/^/# /'

	run 0 simopen ::1 --delay 50 --json && valid_json "$tmp/out" &&
		expect "$tmp/out" '^\{"schema":1,"command":"simopen","address":"::1","delay_ms":50,.*"state":"ESTAB"\},\{"name":"b",.*"state":"ESTAB"\}\],"data_exchanged":true,"simultaneous_open":true\}$'
	check "simopen ::1 --json: simultaneous_open true" $?
fi

PATH=/nonexistent "$bin" simopen >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ]; then
	expect "$tmp/err" 'tc \(iproute2\) not found'
else
	echo "# exit $rc, expected 1"
	show
	false
fi
check "simopen without tc: exit 1, says so" $?

# --- the conventions of iproute2 and util-linux (issue 12) -------------------

bad=0
run 0 --version && grep -Eqx 'selfconn [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" &&
	cp "$tmp/out" "$tmp/version" || bad=1
for args in "-V" "connect --version" "list -V" "port --version"; do
	# shellcheck disable=SC2086 # split on purpose
	run 0 $args && same "$tmp/version" "$tmp/out" || bad=1
done
kver=$(modinfo -F version "${ko:-selfconn}" 2>/dev/null)
if [ -n "$kver" ]; then
	[ "selfconn $kver" = "$(cat "$tmp/version")" ] ||
		{ echo "# module version $kver, companion $(cat "$tmp/version")"; bad=1; }
else
	echo "# the module has no version (modinfo -F version): not compared"
fi
check "--version and -V: selfconn X.Y.Z, from selfconn and its commands" $bad

bad=0
for args in "18104 connect --hold=0 18104 --json" "18105 connect --json 18105 --hold 0" \
	"18106 connect --json --hold 0 -- 18106"; do
	p=${args%% *}
	args=${args#* }
	json='{"schema":1,"command":"connect","family":"inet","local":"127.0.0.1:'$p'","remote":"127.0.0.1:'$p'","state":"ESTAB"}'
	# shellcheck disable=SC2086 # split on purpose
	if ! run 0 $args || ! grep -qxF "$json" "$tmp/out"; then
		echo "# selfconn $args: not the JSON of port $p"
		show
		bad=1
	fi
done
run 64 race --max=0 && cp "$tmp/err" "$tmp/err1" && run 64 race --max 0 &&
	same "$tmp/err1" "$tmp/err" || bad=1
run 64 port -- --json && grep -q "'--json' is not a port" "$tmp/err" || bad=1
check "--opt=V and --opt V are the same, options follow arguments, -- ends them" $bad

exit $failed
