#!/bin/bash
# Install the selftests the way kernel CI does: dropped into a kernel
# tree's tools/testing/selftests/selfconn, built and installed with the
# kernel's own `make -C tools/testing/selftests TARGETS=selfconn install`.
# Usage: ksft-install.sh KERNEL_TREE WORKDIR  -> prints the install dir
# (run_kselftest.sh, kselftest-list.txt, selfconn/) on stdout.
# KERNEL_TREE is left untouched: WORKDIR/linux is a copy of it made of hard
# links, into which the selftests are copied.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=${1:?usage: ksft-install.sh KERNEL_TREE WORKDIR}
work=${2:?usage: ksft-install.sh KERNEL_TREE WORKDIR}
[ -f "$tree/tools/testing/selftests/Makefile" ] || {
	echo "ksft-install: $tree has no tools/testing/selftests" >&2
	exit 1
}

rm -rf "$work/linux"
mkdir -p "$work"
cp -al "$tree" "$work/linux"
dst=$work/linux/tools/testing/selftests/selfconn
rm -rf "$dst"
mkdir "$dst"
# What git tracks: a clone's selftests/, not the repo's build output.
(cd "$here/../selftests" && git ls-files -z . | xargs -0 cp --parents -t "$dst")
[ -f "$dst/Makefile" ] || { echo "ksft-install: no selftests/ from git ls-files" >&2; exit 1; }
make -s -C "$work/linux/tools/testing/selftests" TARGETS=selfconn install >&2
echo "$work/linux/tools/testing/selftests/kselftest_install"
