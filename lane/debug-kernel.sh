#!/bin/bash
# Build (once) the debug guest kernel from Debian's linux-source-6.1.
# Usage: debug-kernel.sh CACHE_DIR  -> prints the build directory on stdout.
# The build directory is keyed by the config fragment and the source
# tarball, so a second run with the same inputs reuses it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$(realpath -m "${1:?usage: debug-kernel.sh CACHE_DIR}")
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing: run lane/deps.sh" >&2; exit 1; }
frag=$here/debug.config
key=$( (cat "$frag"; stat -c '%s %Y' "$tarball") | sha256sum | cut -c1-12)
out=$cache/debug-$key

# Builds for other fragments are stale.
prune_others() {
	local d
	for d in "$cache"/debug-*; do
		[ "$d" = "$out" ] || rm -rf "$d"
	done
}

if [ -f "$out/.selfconn-done" ]; then
	prune_others
	echo "$out"
	exit 0
fi

log() { echo ">>> $*" >&2; }

src=$("$here/ksft-src.sh" "$cache")

rm -rf "$out"
mkdir -p "$out"
log "configuring debug kernel in $out"
{
	make -s -C "$src" O="$out" tinyconfig &&
		"$src"/scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag" &&
		make -s -C "$src" O="$out" olddefconfig
} >"$out/config.log" 2>&1 || { cat "$out/config.log" >&2; exit 1; }

# Every CONFIG_X=v and "# CONFIG_X is not set" line must hold as written.
missing=0
while read -r opt; do
	case "$opt" in CONFIG_* | "# CONFIG_"*" is not set") ;; *) continue ;; esac
	grep -qx "$opt" "$out/.config" || { log "not in .config as in $frag: $opt"; missing=1; }
done < "$frag"
[ "$missing" = 0 ] || { log "debug kernel config incomplete"; exit 1; }

start=$(date +%s)
log "building debug kernel (KASAN, lockdep, kmemleak): about 10 minutes on 2 cores"
# One more job than CPUs keeps them busy while a job waits on the disk.
make -s -C "$src" O="$out" -j"$(($(nproc) + 1))" all >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log" >&2
	exit 1
}
log "debug kernel built in $(( $(date +%s) - start )) s"
touch "$out/.selfconn-done"
prune_others
echo "$out"
