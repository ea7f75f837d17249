#!/bin/bash
# The Debian packages (dist/, from make deb) on a minimal Debian system, as
# a user installs them: in a copy of a bookworm chroot (debootstrap
# --variant=minbase with linux-headers-amd64 and dkms, made once and kept
# in the machine-wide cache), `apt-get install ./dist/*.deb` must have DKMS
# build and install the module for the chroot's kernel headers with no step
# by hand, `selfconn --version` must run, the metrics timer must be there
# and not enabled, and `apt-get purge` must leave no file of ours. The module DKMS built there is copied to OUT, for a guest of
# that kernel to load. Prints TAP; exits 1 if a test failed.
# Usage: pkg-test.sh OUT   Needs root (debootstrap, chroot).
set -uo pipefail
LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LANE_DIR/.." && pwd)
out=${1:?usage: pkg-test.sh OUT}
version=$(cat "$ROOT/VERSION")
chroots=${XDG_CACHE_HOME:-$HOME/.cache}/selfconn/chroot
include=linux-headers-amd64,dkms,openssl
base=$chroots/bookworm-packages
work=$ROOT/.cache/packages/root
debs=("$ROOT/dist/selfconn-dkms_${version}_all.deb" "$ROOT/dist/selfconn_${version}_$(dpkg --print-architecture).deb")
n=0 failed=0

check() { # DESCRIPTION STATUS
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; failed=1; fi
}

# The base chroot, made again when its package list changes. The
# machine's apt sources are copied in as they are.
make_base() {
	local uri
	mkdir -p "$chroots"
	exec 8>"$chroots/.lock-bookworm-packages"
	flock 8
	[ "$(cat "$base/.done" 2>/dev/null)" = "$include" ] && return 0
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources | head -n 1)
	echo "# debootstrap bookworm into $base (about 4 minutes, once)"
	rm -rf "$base"
	nice -n 19 debootstrap --variant=minbase --include="$include" bookworm "$base" "$uri" \
		>"$chroots/bookworm-packages.log" 2>&1 || {
		echo "# debootstrap failed: see $chroots/bookworm-packages.log"
		return 1
	}
	# The machine's own suites (-updates, -security too), so that the
	# headers are those of the newest 6.1, the kernel the 6.1 lane boots.
	rm -f "$base/etc/apt/sources.list"
	cp /etc/apt/sources.list.d/debian.sources "$base/etc/apt/sources.list.d/"
	"$LANE_DIR/kchroot.sh" "$base" sh -c 'apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get -y -q dist-upgrade &&
		DEBIAN_FRONTEND=noninteractive apt-get -y -q autoremove --purge &&
		apt-get clean' >>"$chroots/bookworm-packages.log" 2>&1 || {
		echo "# apt-get upgrade in $base failed: see $chroots/bookworm-packages.log"
		return 1
	}
	echo "$include" >"$base/.done"
}

in_root() { "$LANE_DIR/kchroot.sh" "$work" "$@"; }

echo "TAP version 13"
echo "1..8"
for d in "${debs[@]}"; do
	[ -f "$d" ] || { echo "Bail out! $d missing: make deb"; exit 1; }
done
make_base || { echo "Bail out! no bookworm chroot"; exit 1; }
rm -rf "$work"
mkdir -p "$(dirname "$work")"
cp -a "$base" "$work"
kver=$(find "$work/usr/src" -maxdepth 1 -name 'linux-headers-*-amd64' -printf '%f\n' |
	sed 's/^linux-headers-//' | sort -V | tail -n 1)
echo "# chroot kernel headers: $kver"

in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${debs[@]}" \
	>"$ROOT/.cache/packages/install.log" 2>&1
check "apt-get install ./dist/*.deb" $?
ko=$work/lib/modules/$kver/updates/dkms/selfconn.ko
[ -f "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ] &&
	[ "$(modinfo -F version "$ko")" = "$version" ]
check "DKMS built and installed selfconn.ko $version for $kver" $?
[ -n "$(modinfo -F sig_id "$ko" 2>/dev/null)" ]
check "the module is signed with DKMS's key" $?
[ "$(in_root selfconn --version 2>&1)" = "selfconn $version" ]
check "selfconn --version in the chroot says $version" $?
units=$work/lib/systemd/system
[ -f "$units/selfconn-metrics.service" ] && [ -f "$units/selfconn-metrics.timer" ] &&
	[ -z "$(find "$work/etc/systemd" -name 'selfconn-metrics*' 2>/dev/null)" ]
check "selfconn-metrics.service and .timer installed, not enabled" $?
[ -f "$work/usr/share/doc/selfconn/examples/selfconn.rules.yml" ]
check "the alerting rules in /usr/share/doc/selfconn/examples" $?
[ ! -f "$ko" ] || cp "$ko" "$out"

in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q selfconn selfconn-dkms \
	>"$ROOT/.cache/packages/purge.log" 2>&1
check "apt-get purge selfconn selfconn-dkms" $?
# kchroot.sh's mount points (the repository, the cache) are not ours.
left=$(find "$work" -xdev -name '*selfconn*' ! -path "$work$ROOT*" \
	! -path "$work${XDG_CACHE_HOME:-$HOME/.cache}/selfconn" 2>/dev/null)
[ -z "$left" ] || echo "$left" | sed 's/^/# left: /'
[ -z "$left" ]
check "apt-get purge leaves no file of ours" $?
rm -rf "$work"
exit "$failed"
