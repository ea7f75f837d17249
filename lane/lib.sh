# Shared by lane/check.sh and lane/demo.sh (sourced, bash).

LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LANE_DIR/.." && pwd)
CACHE=${CACHE:-$ROOT/.cache}
KSFT_DIR=${KSFT_DIR:-$CACHE/linux-source-6.1/tools/testing/selftests}

log() { echo ">>> $*"; }

# Run a step, then say how long it took.
timed() {
	local what=$1 start rc=0
	shift
	start=$(date +%s)
	log "$what"
	"$@" || rc=$?
	log "$what: $(($(date +%s) - start)) s"
	return "$rc"
}

# The newest Debian headers tree and the matching kernel image.
distro_kdir() {
	ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1
}

distro_kver() {
	local kdir
	kdir=$(distro_kdir)
	[ -n "$kdir" ] || return 1
	basename "$kdir" | sed 's/^linux-headers-//'
}

# The root (/ or a directory in .cache) that holds the matching image's
# boot/vmlinuz-<ver> and lib/modules/<ver>: lane/distro-kernel.sh.
distro_root() {
	"$LANE_DIR/distro-kernel.sh" "$CACHE"
}

# The image under a root distro_root printed.
distro_kernel() {
	local k
	k=${1%/}/boot/vmlinuz-$(distro_kver)
	[ -f "$k" ] || { echo "no $k: run lane/distro-kernel.sh" >&2; return 1; }
	echo "$k"
}

# Build selfconn.ko against KDIR from a copy of the sources next to DEST
# (DEST's directory/src) and copy it to DEST. Never `make M=$ROOT clean`:
# kbuild's clean deletes every *.o under M, .cache/ and a debug kernel
# being built there included.
build_module() {
	local kdir=$1 dest=$2 src
	src=$(dirname "$dest")/src
	rm -rf "$src"
	mkdir -p "$src/module" || return 1
	cp "$ROOT/Kbuild" "$ROOT/VERSION" "$src/" || return 1
	cp "$ROOT/module/Kbuild" "$ROOT"/module/*.[ch] "$src/module/" || return 1
	rm -f "$src"/module/*.mod.c
	make -C "$kdir" M="$src" W=1 modules || return 1
	cp "$src/module/selfconn.ko" "$dest" || return 1
	log "module for $(modinfo -F vermagic "$dest")"
}

build_userspace() {
	make -C "$ROOT" user || return 1
	make -C "$ROOT" selftests KSFT_DIR="$KSFT_DIR" || return 1
}

# The companion, if user/ built one.
user_binary() {
	[ -x "$ROOT/user/selfconn" ] && echo "$ROOT/user/selfconn"
	true
}
