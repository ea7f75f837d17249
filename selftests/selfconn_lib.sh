# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the selfconn shell selftests (busybox sh or dash): a network
# namespace of their own, the companion's path, and TAP output.
#
#   . "$(dirname "$0")/selfconn_lib.sh"
#   sct_own_netns "$@"      # re-exec in a new netns (SELFCONN_NETNS=1 there)
#   sct_plan 4; ok "..."; not_ok "..."; check "..." $?; exit $failed

ksft_skip=4
failed=0
n=0

# Run this script again in a network namespace of its own, when unshare(1)
# can make one; there, SELFCONN_NETNS is 1 and lo is brought up.
sct_own_netns() {
	if [ -z "$SELFCONN_NETNS" ] && command -v unshare >/dev/null 2>&1 &&
		unshare -n true 2>/dev/null; then
		SELFCONN_NETNS=1 exec unshare -n sh "$0" "$@"
	fi
	if [ -n "$SELFCONN_NETNS" ]; then
		ip link set lo up 2>/dev/null || ifconfig lo up
	fi
}

# Skip the whole program: "1..0 # SKIP reason", exit 4.
sct_skip_all() {
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

sct_need_cmd() {
	command -v "$1" >/dev/null 2>&1 || sct_skip_all "$1 not installed"
}

sct_need_module() {
	[ -r /proc/selfconn ] || sct_skip_all "/proc/selfconn missing: load selfconn.ko"
}

sct_need_netns() {
	[ -n "$SELFCONN_NETNS" ] || sct_skip_all "needs a network namespace of its own (unshare -n)"
}

# The companion: $SELFCONN_BIN, else selfconn in PATH, else ../user/selfconn.
sct_companion() {
	local b
	b=${SELFCONN_BIN:-$(command -v selfconn 2>/dev/null)}
	[ -n "$b" ] || b=$(cd "$(dirname "$0")" && pwd)/../user/selfconn
	echo "$b"
}

ok() {
	n=$((n + 1))
	echo "ok $n $*"
}

not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n $*"
}

check() {	# check DESCRIPTION CONDITION-STATUS
	if [ "$2" = 0 ]; then ok "$1"; else not_ok "$1"; fi
}

dump() {
	sed 's/^/#   | /' /proc/selfconn
}

# The last companion run's output, as TAP comments.
show() {
	sed 's/^/#   stdout: /' "$tmp/out"
	sed 's/^/#   stderr: /' "$tmp/err"
}

# run EXPECTED-EXIT ARGS...: runs the companion $bin, its output in
# $tmp/out and $tmp/err; returns 1, showing both, if it exited otherwise.
run() {
	want=$1
	shift
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "# selfconn $*: exit $rc, expected $want"
		show
		return 1
	fi
	return 0
}
