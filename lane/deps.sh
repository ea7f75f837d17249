#!/bin/bash
# Install the Debian packages the lanes need, only if some are missing.
set -euo pipefail

packages=(
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
	linux-source-6.1 bc flex bison libelf-dev libssl-dev cpio kmod ncat
	iproute2 sparse xz-utils
)

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

echo ">>> deps: installing ${missing[*]} (about a minute)"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
echo ">>> deps: done"
