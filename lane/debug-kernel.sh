#!/bin/bash
# Build (once) the debug guest kernel from a Debian linux-source tarball:
# tinyconfig, then selftests/config (what the selftests need: the file
# kernel CI merges too), then lane/debug.config (booting under QEMU, and
# the debug options) merged onto it.
# Usage: debug-kernel.sh TARBALL  -> prints the build directory on stdout.
# The build directory is in the machine-wide cache
# (${XDG_CACHE_HOME:-~/.cache}/selfconn/debug/), keyed by the tarball and the
# resulting .config, so every clone with the same inputs reuses it, and
# moving an option from one fragment to the other rebuilds nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tarball=${1:?usage: debug-kernel.sh TARBALL}
[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing" >&2; exit 1; }
frags=("$here/../selftests/config" "$here/debug.config")
name=$(basename "$tarball" .tar.xz)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/selfconn/debug

log() { echo ">>> $*" >&2; }

# configure DIR: tinyconfig and the fragments, in DIR.
configure() {
	make -s -C "$src" O="$1" tinyconfig &&
		"$src"/scripts/kconfig/merge_config.sh -m -O "$1" "$1/.config" "${frags[@]}" &&
		make -s -C "$src" O="$1" olddefconfig
}

# Every CONFIG_X=v line must hold as written; a "# CONFIG_X is not set"
# line holds unless X is set (a kernel may not know X at all).
check_config() {
	local config=$1 frag opt missing=0
	for frag in "${frags[@]}"; do
		while read -r opt; do
			case "$opt" in
			CONFIG_*) grep -qx "$opt" "$config" ;;
			"# CONFIG_"*" is not set")
				opt=${opt#\# }
				! grep -q "^${opt%% *}=" "$config"
				;;
			*) continue ;;
			esac || { log "not in .config as in $frag: $opt"; missing=1; }
		done <"$frag"
	done
	return "$missing"
}

# Builds of the same series for other configs or tarballs are stale.
prune_others() {
	local d
	for d in "$cache/$name"-*; do
		[ "$d" = "$out" ] || rm -rf "$d"
	done
}

mkdir -p "$cache"
exec 9>"$cache/.lock-$name"
flock 9
src=$("$here/source-tree.sh" "$tarball")

cfg=$cache/.config-$name
rm -rf "$cfg"
mkdir -p "$cfg"
configure "$cfg" >"$cfg/config.log" 2>&1 || { cat "$cfg/config.log" >&2; exit 1; }
check_config "$cfg/.config" || { log "debug kernel config incomplete"; exit 1; }
key=$( (cat "$cfg/.config"; stat -c '%s %Y' "$tarball") | sha256sum | cut -c1-12)
rm -rf "$cfg"
out=$cache/$name-$key
if [ -f "$out/.selfconn-done" ]; then
	prune_others
	echo "$out"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out"
log "configuring debug kernel in $out"
configure "$out" >"$out/config.log" 2>&1 || { cat "$out/config.log" >&2; exit 1; }

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
