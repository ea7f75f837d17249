#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make check-host`: as root, run every program `make list-tests` names
# against the running kernel, with $SELFCONN_KO loaded (and unloaded after,
# if it was not). Env: SELFCONN_KO, SELFCONN_BIN, KSFT_DIR (passed to
# make), TEST_TIMEOUT (seconds per program; default from ./settings).

here=$(cd "$(dirname "$0")" && pwd)
SELFCONN_KO=${SELFCONN_KO:-$here/../module/selfconn.ko}
SELFCONN_BIN=${SELFCONN_BIN:-$here/../user/selfconn}
export SELFCONN_KO SELFCONN_BIN

[ "$(id -u)" = 0 ] || { echo "run_host.sh: needs root (insmod, network namespaces)" >&2; exit 4; }

timeout_s=${TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' "$here/settings" 2>/dev/null)}
timeout_s=${timeout_s:-300}

tests=$(make -s --no-print-directory -C "$here" list-tests ${KSFT_DIR:+KSFT_DIR="$KSFT_DIR"}) || {
	echo "run_host.sh: make list-tests failed" >&2
	exit 1
}

loaded=
if [ ! -e /proc/selfconn ]; then
	insmod "$SELFCONN_KO" || { echo "run_host.sh: insmod $SELFCONN_KO failed" >&2; exit 1; }
	loaded=1
fi

echo "TAP version 13"
echo "1..$(echo "$tests" | wc -l)"
i=0
failed=0
for t in $tests; do
	i=$((i + 1))
	if [ ! -x "$here/$t" ]; then
		echo "not ok $i selfconn:$t # not built: make selftests"
		failed=1
		continue
	fi
	echo "# selfconn:$t"
	rcfile=$(mktemp)
	{
		(cd "$here" && timeout -k 10 "$timeout_s" "./$t" </dev/null 2>&1)
		echo $? >"$rcfile"
	} | sed 's/^/# /'
	rc=$(cat "$rcfile")
	rm -f "$rcfile"
	case "$rc" in
	0) echo "ok $i selfconn:$t" ;;
	4) echo "ok $i selfconn:$t # SKIP" ;;
	124) echo "not ok $i selfconn:$t # TIMEOUT $timeout_s seconds"; failed=1 ;;
	*) echo "not ok $i selfconn:$t # exit=$rc"; failed=1 ;;
	esac
	# a test must leave the module loaded
	if [ ! -e /proc/selfconn ]; then
		echo "# selfconn:$t left the module unloaded; loading it again"
		insmod "$SELFCONN_KO" || failed=1
	fi
done

[ -z "$loaded" ] || rmmod selfconn || failed=1
exit $failed
