#!/bin/bash
# Build (once) the debug guest kernel from a Debian linux-source tarball:
# tinyconfig, then lane/debug.config merged onto it.
# Usage: debug-kernel.sh TARBALL  -> prints the build directory on stdout.
# The build directory is in the machine-wide cache
# (${XDG_CACHE_HOME:-~/.cache}/selfconn/debug/), keyed by the tarball and the
# config fragment, so every clone with the same inputs reuses it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tarball=${1:?usage: debug-kernel.sh TARBALL}
[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing" >&2; exit 1; }
frag=$here/debug.config
name=$(basename "$tarball" .tar.xz)
key=$( (cat "$frag"; stat -c '%s %Y' "$tarball") | sha256sum | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/selfconn/debug
out=$cache/$name-$key

# Builds of the same series for other fragments or tarballs are stale.
prune_others() {
	local d
	for d in "$cache/$name"-*; do
		[ "$d" = "$out" ] || rm -rf "$d"
	done
}

mkdir -p "$cache"
exec 9>"$cache/.lock-$name"
flock 9
if [ -f "$out/.selfconn-done" ]; then
	prune_others
	echo "$out"
	exit 0
fi

log() { echo ">>> $*" >&2; }

src=$("$here/source-tree.sh" "$tarball")

rm -rf "$out"
mkdir -p "$out"
log "configuring debug kernel in $out"
{
	make -s -C "$src" O="$out" tinyconfig &&
		"$src"/scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag" &&
		make -s -C "$src" O="$out" olddefconfig
} >"$out/config.log" 2>&1 || { cat "$out/config.log" >&2; exit 1; }

# Every CONFIG_X=v line must hold as written; a "# CONFIG_X is not set"
# line holds unless X is set (a kernel may not know X at all).
missing=0
while read -r opt; do
	case "$opt" in
	CONFIG_*) grep -qx "$opt" "$out/.config" ;;
	"# CONFIG_"*" is not set")
		opt=${opt#\# }
		! grep -q "^${opt%% *}=" "$out/.config"
		;;
	*) continue ;;
	esac || { log "not in .config as in $frag: $opt"; missing=1; }
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
