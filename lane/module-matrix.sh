#!/bin/bash
# Build selfconn.ko (W=1) against the Debian kernel of each series, fetched
# by lane/kernel-fetch.sh, each from its own copy of the sources in
# .cache/matrix/<release>/src (never make M=<repo> clean). Prints one line
# a series, "matrix RELEASE: ok" or "matrix RELEASE: FAILED (log)", and
# exits non-zero if a build failed or warned.
# Usage: module-matrix.sh [SERIES...]   (default: 5.10 6.1 6.12 7)
# Env: MATRIX_MAKE_ARGS, more make arguments (C=2 for sparse).
set -eu
LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LANE_DIR/.." && pwd)
CACHE=${CACHE:-$ROOT/.cache}
[ $# -gt 0 ] || set -- 5.10 6.1 6.12 7

rc=0
for series in "$@"; do
	KERNEL_RELEASE='' KERNEL_KDIR='' KERNEL_MAKE_ARGS='' KERNEL_WRAP=''
	eval "$("$LANE_DIR/kernel-fetch.sh" "$series")"
	dir=$CACHE/matrix/$KERNEL_RELEASE
	src=$dir/src
	rm -rf "$src"
	mkdir -p "$src/module"
	cp "$ROOT/Kbuild" "$ROOT/VERSION" "$src/"
	cp "$ROOT/module/Kbuild" "$ROOT"/module/*.[ch] "$src/module/"
	rm -f "$src"/module/*.mod.c
	# shellcheck disable=SC2086 # word lists by design
	if nice -n 19 $KERNEL_WRAP make -k -C "$KERNEL_KDIR" M="$src" W=1 \
		$KERNEL_MAKE_ARGS ${MATRIX_MAKE_ARGS:-} modules >"$dir/build.log" 2>&1 &&
		! grep -E 'warning:|error:' "$dir/build.log" >/dev/null; then
		echo "matrix $KERNEL_RELEASE: ok"
	else
		echo "matrix $KERNEL_RELEASE: FAILED ($dir/build.log)"
		grep -E 'warning:|error:' "$dir/build.log" | head -n 40 | sed 's/^/  /'
		rc=1
	fi
done
exit "$rc"
