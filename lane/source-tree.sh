#!/bin/bash
# Extract a Debian linux-source tarball (once) into the machine-wide cache
# and print the tree's path. The tree gives the kselftest harness, lib.mk,
# checkpatch.pl and the debug kernel's sources; a built debug kernel (O=)
# keeps pointing at it.
# Usage: source-tree.sh TARBALL   (e.g. /usr/src/linux-source-6.1.tar.xz)
# Env: XDG_CACHE_HOME (the cache is $XDG_CACHE_HOME/selfconn, by default
# ~/.cache/selfconn).
set -euo pipefail
tarball=${1:?usage: source-tree.sh TARBALL}
[ -f "$tarball" ] || { echo "source-tree: $tarball missing: run lane/deps.sh" >&2; exit 1; }
name=$(basename "$tarball" .tar.xz)
key=$(stat -c '%s %Y' "$tarball" | sha256sum | cut -c1-12)
root=${XDG_CACHE_HOME:-$HOME/.cache}/selfconn/src
src=$root/$name-$key
mkdir -p "$root"
exec 9>"$root/.lock"
flock 9
if [ ! -f "$src/.selfconn-extracted" ]; then
	echo ">>> extracting $name into $src (~10 s)" >&2
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" -xf "$tarball"
	mv "$src.tmp/$name" "$src"
	rm -rf "$src.tmp"
	# Older extractions of the same series are stale.
	for d in "$root/$name"-*; do
		[ "$d" = "$src" ] || rm -rf "$d"
	done
	touch "$src/.selfconn-extracted"
fi
echo "$src"
