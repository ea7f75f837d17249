#!/bin/bash
# Build selfconn.ko (W=1) against the Debian kernel of each series, fetched
# by lane/kernel-fetch.sh, each from its own copy of the sources in
# .cache/matrix/<release>/ (lib.sh's build_module). Prints one line a
# series, "matrix RELEASE: ok" or "matrix RELEASE: FAILED (log)", and exits
# non-zero if a build failed or warned.
# Usage: module-matrix.sh [SERIES...]   (default: 5.10 6.1 6.12 7)
# Env: MATRIX_MAKE_ARGS, more make arguments (C=2 for sparse).
set -eu
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- 5.10 6.1 6.12 7

rc=0
for series in "$@"; do
	mkdir -p "$CACHE/matrix"
	kernel_env "$series" "$CACHE/matrix/$series.env"
	dir=$CACHE/matrix/$KERNEL_RELEASE
	mkdir -p "$dir"
	if build_module "$KERNEL_KDIR" "$dir/selfconn.ko" "nice -n 19 $KERNEL_WRAP" \
		"$KERNEL_MAKE_ARGS ${MATRIX_MAKE_ARGS:-}" >"$dir/build.log" 2>&1 &&
		! grep -E 'warning:|error:' "$dir/build.log" >/dev/null; then
		echo "matrix $KERNEL_RELEASE: ok"
	else
		echo "matrix $KERNEL_RELEASE: FAILED ($dir/build.log)"
		grep -E 'warning:|error:' "$dir/build.log" | head -n 40 | sed 's/^/  /'
		rc=1
	fi
done
exit "$rc"
