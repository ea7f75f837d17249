#!/bin/bash
# Build selfconn.ko for one kernel the way a user's machine does, through
# Debian's dkms and the repository's dkms.conf: dkms add, build (which signs
# it with DKMS's MOK key, /var/lib/dkms/mok.key, made when missing) and
# install; check the installed module (signed, VERSION's version); copy it
# to OUT; then dkms remove --all, which must leave nothing behind. DKMS works
# in trees of its own under DIR (--sourcetree, --dkmstree, --installtree),
# so the machine's /usr/src, /var/lib/dkms and /lib/modules stay as they are.
# Usage: dkms.sh DIR RELEASE KDIR OUT   (log on stdout; exit 1 on a failure)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1 release=$2 kdir=$3 out=$4
version=$(cat "$root/VERSION")
fail() { echo "dkms: FAIL: $*"; exit 1; }

grep -qx "PACKAGE_VERSION=\"$version\"" "$root/dkms.conf" ||
	fail "dkms.conf's PACKAGE_VERSION is not VERSION's $version"
rm -rf "$dir"
src=$dir/src/selfconn-$version
mkdir -p "$dir/dkms" "$dir/install/$release"
make -s -C "$root" install-dkms-src DKMS_SRC="$src"
# depmod would run on the machine's /lib/modules/RELEASE, not the tree's.
trees=(--sourcetree "$dir/src" --dkmstree "$dir/dkms" --installtree "$dir/install" --no-depmod)
mod=(-m selfconn -v "$version")
kern=(-k "$release" --kernelsourcedir "$kdir")

# DKMS looks for the kernel's sign-file where an installed kernel has it;
# this one's is under KDIR.
[ ! -x "$kdir/scripts/sign-file" ] || export sign_file=$kdir/scripts/sign-file

dkms add "${mod[@]}" "${trees[@]}" || fail "dkms add"
dkms build "${mod[@]}" "${kern[@]}" "${trees[@]}" || fail "dkms build"
dkms install "${mod[@]}" "${kern[@]}" "${trees[@]}" || fail "dkms install"
ko=$dir/install/$release/updates/dkms/selfconn.ko
[ -f "$ko" ] || fail "dkms install left no $ko"
[ -n "$(modinfo -F sig_id "$ko")" ] || fail "the DKMS-built module is not signed"
[ "$(modinfo -F version "$ko")" = "$version" ] || fail "modinfo -F version is not $version"
[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$release" ] || fail "vermagic is not $release"
cp "$ko" "$out"
echo "dkms: $(modinfo -F vermagic "$ko"), signed ($(modinfo -F sig_id "$ko") $(modinfo -F signer "$ko"))"

dkms remove "${mod[@]}" --all "${trees[@]}" || fail "dkms remove --all"
left=$(find "$dir/dkms" "$dir/install" -name '*selfconn*' 2>/dev/null)
[ -z "$left" ] || fail "dkms remove --all left: $left"
echo "dkms: remove --all left nothing"
