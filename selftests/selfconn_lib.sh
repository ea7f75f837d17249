# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the selfconn shell selftests (busybox sh or dash), which exit
# 0 (pass), 1 (fail) or 4 (skip), as kselftest expects:
#   . "$(dirname "$0")/selfconn_lib.sh"
#   sct_own_netns "$@"
#   echo "1..4"; ok "..."; not_ok "..."; check "..." $?; exit $failed

# Its functions are called from the scripts: none is unreachable.
# shellcheck disable=SC2317
ksft_skip=4
failed=0
n=0

# Re-run in a network namespace of its own if unshare(1) can make one
# (SELFCONN_NETNS=1, lo up there); then the TAP version line.
sct_own_netns() {
	if [ -z "$SELFCONN_NETNS" ] && command -v unshare >/dev/null 2>&1 &&
		unshare -n true 2>/dev/null; then
		SELFCONN_NETNS=1 exec unshare -n sh "$0" "$@"
	fi
	echo "TAP version 13"
	if [ -n "$SELFCONN_NETNS" ]; then
		echo "# in a fresh network namespace"
		ip link set lo up 2>/dev/null || ifconfig lo up
	fi
}

sct_skip_all() {
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

sct_need_cmd() {
	command -v "$1" >/dev/null 2>&1 || sct_skip_all "$1 not installed"
}

# sct_in_path NAME: the first executable NAME in PATH, as execvp() finds it
# (busybox's sh would run its own applet of that name instead).
sct_in_path() (
	IFS=:
	for _d in $PATH; do
		[ -x "$_d/$1" ] && [ ! -d "$_d/$1" ] && echo "$_d/$1" && exit 0
	done
	exit 1
)

sct_need_module() {
	[ -r /proc/selfconn ] || sct_skip_all "/proc/selfconn missing: load selfconn.ko"
}

sct_need_netns() {
	[ -n "$SELFCONN_NETNS" ] || sct_skip_all "needs a network namespace of its own (unshare -n)"
}

# The companion in $bin: $SELFCONN_BIN, else selfconn in PATH, else
# ../user/selfconn; or skip the whole program.
sct_need_companion() {
	bin=${SELFCONN_BIN:-$(command -v selfconn 2>/dev/null)}
	[ -n "$bin" ] || bin=$(cd "$(dirname "$0")" && pwd)/../user/selfconn
	[ -x "$bin" ] || sct_skip_all "selfconn companion not found (set SELFCONN_BIN, or put selfconn in PATH)"
}

# The module file to load again: $SELFCONN_KO, else the selfconn.ko that
# modules.dep lists for the running kernel; empty if neither.
sct_ko() {
	_p=$SELFCONN_KO
	if [ -z "$_p" ]; then
		_d=/lib/modules/$(uname -r)
		_p=$(sed -n 's|^\([^:]*/selfconn\.ko\):.*|\1|p' "$_d/modules.dep" 2>/dev/null | head -n 1)
		case "$_p" in
		"" | /*) ;;
		*) _p=$_d/$_p ;;
		esac
	fi
	[ -r "$_p" ] && echo "$_p"
	return 0
}

# Why there is no module to load, for a skip.
SCT_NO_KO="no selfconn.ko to load: set SELFCONN_KO, or install it for this kernel"

# A temporary directory $tmp. At exit the processes in $pids are killed,
# sct_at_exit runs if the script defines it, and $tmp is removed.
sct_tmp() {
	tmp=$(mktemp -d) || exit 1
	pids=
	# shellcheck disable=SC2154 # set by the scripts
	trap 'for p in $pids; do kill "$p" 2>/dev/null; done
		command -v sct_at_exit >/dev/null && sct_at_exit; rm -rf "$tmp"' EXIT
}

# sct_wait CMD [ARG...]: run CMD every 0.1 s until it succeeds, for $WAIT
# tenths of a second at most (default 100); returns its last status.
sct_wait() {
	_w=0
	until "$@"; do
		_w=$((_w + 1))
		[ "$_w" -lt "${WAIT:-100}" ] || return 1
		sleep 0.1
	done
}

# sct_listed ERE: a line of /proc/selfconn matches the extended regex.
sct_listed() {
	grep -Eq -- "$1" /proc/selfconn
}

# attempts= and refused= of the /proc/selfconn header, as "A R".
sct_counters() {
	head -n 1 /proc/selfconn | tr ' ' '\n' |
		sed -n 's/^attempts=//p; s/^refused=//p' | tr '\n' ' ' | sed 's/ $//'
}

# sct_sockets_of PID: the socket:[INODE] links of its descriptors.
sct_sockets_of() {
	for fd in "/proc/$1/fd"/*; do readlink "$fd"; done 2>/dev/null | grep '^socket:'
}

# sct_ncat_hold ADDR PORT: `ncat ADDR PORT -p PORT` in the background, kept
# connected by a FIFO held open on fd 3; its pid in $ncat_pid and $pids,
# stderr in $tmp/err. sct_ncat_stop kills it.
sct_ncat_hold() {
	mkfifo "$tmp/in"
	ncat "$1" "$2" -p "$2" <"$tmp/in" >/dev/null 2>"$tmp/err" &
	ncat_pid=$!
	pids="$pids $ncat_pid"
	exec 3>"$tmp/in"
}

sct_ncat_stop() {
	kill "$ncat_pid" 2>/dev/null
	wait "$ncat_pid" 2>/dev/null
	exec 3>&-
	rm -f "$tmp/in"
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

# valid_json FILE: FILE is one JSON value (selfconn_json_valid, next to
# the script); if not, the validator's complaint and the last run's output.
valid_json() {
	_jv=$(cd "$(dirname "$0")" && pwd)/selfconn_json_valid
	if [ ! -x "$_jv" ]; then
		echo "# $_jv missing: make selftests"
		return 1
	fi
	"$_jv" <"$1" 2>"$tmp/jv.err" && return 0
	sed 's/^/#   /' "$tmp/jv.err"
	show
	return 1
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
	[ "$rc" = "$want" ] && return 0
	echo "# selfconn $*: exit $rc, expected $want"
	show
	return 1
}
