# Shared by lane/check.sh and lane/demo.sh (sourced, bash).

LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LANE_DIR/.." && pwd)
CACHE=${CACHE:-$ROOT/.cache}
# The linux-source tarball of the host's own Debian release (lane/deps.sh
# installs it): the kselftest harness and checkpatch.pl come from it.
HOST_SOURCE=/usr/src/linux-source-6.1.tar.xz

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

# A Debian kernel of SERIES (5.10, 6.1, 6.12, 7) from the machine-wide
# cache (lane/kernel-fetch.sh), its KERNEL_* assignments saved in FILE and
# set in this shell.
kernel_env() {
	local series=$1 file=$2
	"$LANE_DIR/kernel-fetch.sh" "$series" >"$file" || return 1
	# shellcheck disable=SC1090 # written by kernel-fetch.sh
	. "$file"
}

# The linux-source tarball of a Debian kernel series: the host's own, or
# one fetched into the machine-wide cache.
source_tarball() {
	if [ "$1" = 6.1 ]; then
		echo "$HOST_SOURCE"
		return
	fi
	local KERNEL_SOURCE_TARBALL='' out
	out=$("$LANE_DIR/kernel-fetch.sh" --source "$1") || return 1
	eval "$out"
	[ -f "$KERNEL_SOURCE_TARBALL" ] || return 1
	echo "$KERNEL_SOURCE_TARBALL"
}

# The kselftest directory of the host's linux-source tree, extracted once.
ksft_dir() {
	local src
	src=$("$LANE_DIR/source-tree.sh" "$HOST_SOURCE") || return 1
	echo "$src/tools/testing/selftests"
}

# Build selfconn.ko against KDIR from a copy of the sources next to DEST
# (DEST's directory/src) and copy it to DEST. Never `make M=$ROOT clean`:
# kbuild's clean deletes every *.o under M, .cache/ and a debug kernel
# being built there included. WRAP (a command make runs under, as
# kernel-fetch.sh's KERNEL_WRAP) and MAKE_ARGS are optional.
build_module() {
	local kdir=$1 dest=$2 wrap=${3:-} make_args=${4:-} src
	src=$(dirname "$dest")/src
	rm -rf "$src"
	make -s -C "$ROOT" install-dkms-src DKMS_SRC="$src" || return 1
	# shellcheck disable=SC2086 # word lists by design
	$wrap make -C "$kdir" M="$src" W=1 $make_args modules || return 1
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
