#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The fleet view (selfconn metrics and list --all-netns) of self-connects
# held in two network namespaces of their own, A (audit=0) and B (audit=1),
# checked by promtool and served by node_exporter's textfile collector
# (their cases skip without them).

PORT=18091
SCRAPE=127.0.0.1:9100

. "$(dirname "$0")/selfconn_lib.sh"
sct_own_netns "$@"

sct_need_companion
sct_need_module
sct_need_netns
[ "$(id -u)" = 0 ] || sct_skip_all "needs root (selfconn metrics --all-netns)"
sct_need_cmd unshare

echo "1..11"

sct_tmp

# hold NAME AUDIT: a namespace of its own with net.selfconn.audit=AUDIT and
# a self-connect on $PORT held in it; its inode in $ino.
hold() {
	unshare -n sh -c 'ip link set lo up && echo "$3" >/proc/sys/net/selfconn/audit &&
		exec "$1" connect 127.0.0.1 "$2" --hold 120' sh "$bin" $PORT "$2" \
		>"$tmp/$1.out" 2>&1 &
	pids="$pids $!"
	sct_wait grep -q ESTAB "$tmp/$1.out" || sed "s/^/# $1: /" "$tmp/$1.out"
	holder=$!
	ino=$(stat -L -c %i "/proc/$holder/ns/net")
}

hold a 0
ino_a=$ino pid_a=$holder
hold b 1
ino_b=$ino pid_b=$holder
echo "# namespaces: A $ino_a, B $ino_b"

# has FILE NETNS SERIES VALUE: a sample of SERIES ("name" or
# 'name{a="x",b="y"}') with netns="NETNS" is VALUE, whatever the order of
# its labels (node_exporter sorts them).
has() {
	name=${3%%\{*}
	labels=
	case "$3" in *\{*) labels=$(echo "${3#*\{}" | tr -d '}' | tr ',' ' ') ;; esac
	grep "^$name{" "$1" | grep -F "netns=\"$2\"" | while read -r line; do
		for l in $labels; do
			case "$line" in *"$l"*) ;; *) continue 2 ;; esac
		done
		[ "${line##* }" = "$4" ] && echo found
	done | grep -q found || { echo "# missing: $3 $4 in netns $2"; return 1; }
}

run 0 metrics --all-netns
cp "$tmp/out" "$tmp/metrics"
has "$tmp/metrics" "$ino_a" selfconn_module_loaded 1 &&
	has "$tmp/metrics" "$ino_a" 'selfconn_sockets{family="inet",state="ESTAB"}' 1 &&
	has "$tmp/metrics" "$ino_a" selfconn_refuse_enabled 0 &&
	has "$tmp/metrics" "$ino_a" selfconn_audit_enabled 0 &&
	has "$tmp/metrics" "$ino_a" selfconn_attempts_total 0
check "--all-netns: A has its self-connect, the module, refuse=0 audit=0, no attempt" $?

has "$tmp/metrics" "$ino_b" 'selfconn_sockets{family="inet",state="ESTAB"}' 1 &&
	has "$tmp/metrics" "$ino_b" selfconn_audit_enabled 1 &&
	has "$tmp/metrics" "$ino_b" selfconn_attempts_total 1 &&
	has "$tmp/metrics" "$ino_b" selfconn_refused_total 0
check "--all-netns: B has its self-connect, audit=1, 1 attempt, 0 refused" $?

[ "$(grep -c '^# TYPE selfconn_' "$tmp/metrics")" = 6 ] &&
	[ "$(grep -c '^# HELP selfconn_' "$tmp/metrics")" = 6 ]
check "# HELP and # TYPE for each of the 6 families" $?

if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$tmp/metrics" >"$tmp/lint" 2>&1
	rc=$?
	sed 's/^/# promtool: /' "$tmp/lint"
	check "promtool check metrics: nothing to say" $rc
else
	ok "# SKIP promtool not installed"
fi

mkdir "$tmp/tf"
run 0 metrics --all-netns --textfile "$tmp/tf" &&
	[ ! -s "$tmp/out" ] && [ "$(ls -A "$tmp/tf")" = selfconn.prom ] &&
	has "$tmp/tf/selfconn.prom" "$ino_b" selfconn_attempts_total 1
check "--textfile: selfconn.prom alone in the directory, nothing on stdout" $?

run 1 metrics --textfile "$tmp/none" && grep -q "ENOENT" "$tmp/err"
check "--textfile to a missing directory: exit 1, ENOENT named" $?

row="inet 127.0.0.1:$PORT ESTAB 0 [0-9]+ - [0-9]+/selfconn"
run 0 list --all-netns &&
	grep -Eq "^# selfconn list v1 all-netns namespaces=[0-9]+$" "$tmp/out" &&
	grep -Eq "^# netns=$ino_b pid=$pid_b source=proc rows=1 attempts=1 refused=0" "$tmp/out" &&
	grep -Eq "^$ino_a $pid_a $row$" "$tmp/out" && grep -Eq "^$ino_b $pid_b $row$" "$tmp/out" ||
	{ show; false; }
check "list --all-netns: A's and B's rows after their inode and pid" $?

run 1 list --all-netns --check && run 0 list --all-netns --json && valid_json "$tmp/out" &&
	grep -q "{\"netns\":$ino_b,\"pid\":$pid_b,\"source\":\"proc\"" "$tmp/out"
check "list --all-netns: --check exits 1, --json names B" $?

# A namespace with a name in /run/netns and no process: found, pid "-".
ip=$(sct_in_path ip)
if [ -n "$ip" ] && "$ip" -V 2>&1 | grep -q iproute2 && "$ip" netns add selfconn-test 2>/dev/null; then
	named=$(stat -L -c %i /run/netns/selfconn-test)
	run 0 list --all-netns && grep -q "^# netns=$named pid=- source=proc rows=0" "$tmp/out"
	rc=$?
	"$ip" netns del selfconn-test
	[ $rc = 0 ] || show
	check "list --all-netns: a /run/netns name with no process, pid -" $rc
else
	ok "# SKIP list --all-netns of a /run/netns name: no iproute2 ip netns add"
fi

if command -v su >/dev/null 2>&1; then
	su -s /bin/sh nobody -c "\"$bin\" list --all-netns" >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] && grep -q "needs CAP_SYS_ADMIN" "$tmp/err" || { show; false; }
	check "list --all-netns as nobody: exit 1, the missing capability named" $?
else
	ok "# SKIP list --all-netns as nobody: no su"
fi

exporter=$(command -v prometheus-node-exporter 2>/dev/null)
if [ -z "$exporter" ] || ! command -v wget >/dev/null 2>&1; then
	ok "# SKIP prometheus-node-exporter or wget not installed"
	exit $failed
fi
"$exporter" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$tmp/tf" --web.listen-address=$SCRAPE \
	>"$tmp/exporter.log" 2>&1 &
pids="$pids $!"
sct_wait wget -qO "$tmp/scrape" "http://$SCRAPE/metrics" 2>/dev/null
grep '^selfconn_sockets{.*ESTAB' "$tmp/scrape" | sed 's/^/# scrape: /'
has "$tmp/scrape" "$ino_a" 'selfconn_sockets{family="inet",state="ESTAB"}' 1 &&
	has "$tmp/scrape" "$ino_b" 'selfconn_sockets{family="inet",state="ESTAB"}' 1 &&
	has "$tmp/scrape" "$ino_b" selfconn_audit_enabled 1 ||
	{ sed 's/^/# node_exporter: /' "$tmp/exporter.log"; false; }
check "node_exporter's /metrics over loopback: A's and B's series" $?

exit $failed
