#!/bin/sh
# Stand-in for a kernel's scripts/checker-valid.sh, which Debian's
# linux-headers packages leave out although their Makefile runs it for C=1
# and C=2 (from 6.14): prints 1 if the checker, run with its flags, takes
# __typeof_unqual__ without an error (sparse exits 0 after one), else 0.
# Usage: checker-valid.sh CHECKER [FLAGS...]
t=$(mktemp) || exit 1
trap 'rm -f "$t"' EXIT
echo 'static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }' >"$t"
if command -v "$1" >/dev/null && ! "$@" "$t" 2>&1 | grep -q error; then
	echo 1
else
	echo 0
fi
