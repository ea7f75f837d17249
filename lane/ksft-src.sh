#!/bin/bash
# Extract Debian's linux-source-6.1 into CACHE_DIR (once) and print its path.
# It provides the kselftest harness, lib.mk, checkpatch and the debug tree.
set -euo pipefail
cache=$(realpath -m "${1:?usage: ksft-src.sh CACHE_DIR}")
src=$cache/linux-source-6.1
tarball=/usr/src/linux-source-6.1.tar.xz
if [ ! -f "$src/.selfconn-extracted" ]; then
	[ -f "$tarball" ] || { echo "ksft-src: $tarball missing: apt-get install linux-source-6.1 (or run lane/deps.sh)" >&2; exit 1; }
	echo ">>> extracting linux-source-6.1 (~10 s)" >&2
	mkdir -p "$cache"
	rm -rf "$src"
	tar -C "$cache" -xf "$tarball"
	touch "$src/.selfconn-extracted"
fi
echo "$src"
