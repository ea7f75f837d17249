#!/bin/bash
# The monitoring files with Prometheus's own checker, on the host (no
# module needed): promtool check rules on monitoring/selfconn.rules.yml,
# promtool check metrics on what `selfconn metrics` prints here (sockets
# from sock_diag), with --all-netns next to a self-connect in a namespace of
# its own, whose series must say so. Prints TAP; exits 1 if a test failed.
# Usage: monitoring-test.sh PROMTOOL COMPANION   Needs root (unshare -n).
set -uo pipefail
LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LANE_DIR/.." && pwd)
promtool=${1:?usage: monitoring-test.sh PROMTOOL COMPANION}
bin=${2:?usage: monitoring-test.sh PROMTOOL COMPANION}
n=0 failed=0 tmp=$(mktemp -d) holder=
trap 'kill $holder 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

check() { # DESCRIPTION STATUS
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; failed=1; fi
}

# promtool says nothing about a clean file; anything it says is shown.
lint() {
	"$promtool" check metrics <"$1" >"$tmp/lint" 2>&1
	local rc=$?
	sed 's/^/# promtool: /' "$tmp/lint"
	return $rc
}

echo "TAP version 13"
echo "1..4"
"$promtool" check rules "$ROOT/monitoring/selfconn.rules.yml" >"$tmp/rules" 2>&1
rc=$?
sed 's/^/# /' "$tmp/rules"
check "promtool check rules monitoring/selfconn.rules.yml" $rc

"$bin" metrics >"$tmp/metrics" 2>"$tmp/err" && lint "$tmp/metrics"
check "promtool check metrics: selfconn metrics (no module: sock_diag)" $?

# A self-connect held in a namespace of its own; its inode is the label.
unshare -n sh -c 'ip link set lo up && exec "$1" connect 127.0.0.1 18099 --hold 60' sh "$bin" \
	>"$tmp/holder" 2>&1 &
holder=$!
for _ in $(seq 50); do grep -q ESTAB "$tmp/holder" && break; sleep 0.1; done
ino=$(stat -L -c %i "/proc/$holder/ns/net")
"$bin" metrics --all-netns >"$tmp/all" 2>"$tmp/err" && lint "$tmp/all"
check "promtool check metrics: selfconn metrics --all-netns" $?
grep -qx "selfconn_sockets{netns=\"$ino\",family=\"inet\",state=\"ESTAB\"} 1" "$tmp/all" &&
	grep -qx "selfconn_module_loaded{netns=\"$ino\"} 0" "$tmp/all"
rc=$?
[ $rc = 0 ] || sed 's/^/#   | /' "$tmp/all" "$tmp/err"
check "--all-netns: the held self-connect in netns $ino, module_loaded 0" $rc
exit "$failed"
