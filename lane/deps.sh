#!/bin/bash
# Install the Debian packages the lanes need, only if some are missing.
# Usage: deps.sh [kernel|kernels|deb]   "kernel": only what the debug kernel
# build needs, so that make check can start that build before installing the
# rest; "kernels": what lane/kernel-fetch.sh needs (pahole for the module BTF
# of 6.12, debootstrap for the chroot of the trixie-built kernels); "deb":
# what make deb needs (debhelper, dh-dkms, dpkg-buildpackage, lintian).
# The distro lanes' kernels are not installed: lane/kernel-fetch.sh fetches
# and unpacks them into the machine-wide cache.
set -euo pipefail

kernel_build=(linux-source-6.1 bc flex bison libelf-dev libssl-dev xz-utils)
kernels=(dwarves debootstrap xz-utils kmod make gcc)
deb=(debhelper dh-dkms dpkg-dev fakeroot lintian make gcc)
lanes=(
	qemu-system-x86 linux-headers-amd64 busybox-static
	cpio kmod ncat iproute2 sparse dkms procps rsync coreutils
)

case "${1:-all}" in
kernel) packages=("${kernel_build[@]}") ;;
kernels) packages=("${kernels[@]}") ;;
deb) packages=("${deb[@]}") ;;
all) packages=("${kernel_build[@]}" "${lanes[@]}" "${kernels[@]}" "${deb[@]}") ;;
*) echo "usage: deps.sh [kernel|kernels|deb]" >&2; exit 2 ;;
esac

installed() {
	dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo ">>> deps: all ${#packages[@]} packages present"
	exit 0
fi

echo ">>> deps: installing ${missing[*]} (a minute or two)"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# The package lists of a run a few minutes ago are recent enough.
if [ -z "$(find /var/lib/apt/lists -maxdepth 0 -mmin -30 2>/dev/null)" ]; then
	$sudo apt-get update -q
fi
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
echo ">>> deps: done"
