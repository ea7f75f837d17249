#!/bin/bash
# The Debian kernel the distro lane boots: the linux-image package that
# matches the newest installed linux-headers-*-amd64.
# Usage: distro-kernel.sh CACHE_DIR  -> prints a root directory that holds
# boot/vmlinuz-<ver> and lib/modules/<ver>/ (with modules.dep).
# An image installed on the host is used as it is. Otherwise the package is
# fetched from Debian (apt-get download) and unpacked into CACHE_DIR, not
# installed: installing it runs its hooks, which build an initramfs for the
# host twice (about 3 minutes each on 2 cores) for a kernel that only QEMU
# boots.
set -euo pipefail
cache=$(realpath -m "${1:?usage: distro-kernel.sh CACHE_DIR}")

. "$(dirname "$0")/lib.sh"
log() { echo ">>> $*" >&2; }
die() { echo "distro-kernel: $*" >&2; exit 1; }

kver=$(distro_kver) || die "no /usr/src/linux-headers-*-amd64: run lane/deps.sh"

if [ -f "/boot/vmlinuz-$kver" ] && [ -f "/lib/modules/$kver/modules.dep" ]; then
	echo /
	exit 0
fi

root=$cache/distro-kernel/$kver
# Images for older headers are stale.
for d in "$cache"/distro-kernel/*; do
	[ "$d" = "$root" ] || rm -rf "$d"
done
if [ -f "$root/.selfconn-done" ]; then
	echo "$root"
	exit 0
fi

pkg=linux-image-$kver
log "fetching $pkg from Debian and unpacking it into ${root#"$PWD"/} (~10 s)"
rm -rf "$root"
mkdir -p "$cache/distro-kernel/fetch" "$root"
# apt-get download writes to the current directory; as root it warns that
# the _apt user cannot write there, which is harmless.
(cd "$cache/distro-kernel/fetch" && apt-get download -q "$pkg" 2>&1 |
	grep -v 'unsandboxed as root' >&2) || true
deb=$(ls "$cache/distro-kernel/fetch/${pkg}_"*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "apt-get download $pkg failed (is it in the package lists? apt-get update)"
dpkg-deb -x "$deb" "$root"
rm -rf "$cache/distro-kernel/fetch"
[ -f "$root/boot/vmlinuz-$kver" ] || die "$pkg holds no boot/vmlinuz-$kver"
# The package ships no modules.dep: its postinst runs depmod.
depmod -b "$root" "$kver"
touch "$root/.selfconn-done"
echo "$root"
