#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The boot policy files that the packages ship commented out
# (policy/modules-load.d, modprobe.d, sysctl.d), uncommented and read by
# kmod's modprobe and procps' sysctl. modprobe works on a module tree of
# its own (-d) and reads only the file under test (-C): the machine's
# /lib/modules and /etc are not touched.

. "$(dirname "$0")/selfconn_lib.sh"

echo "TAP version 13"

[ "$(id -u)" = 0 ] || sct_skip_all "needs root"
policy=${SELFCONN_POLICY:-$(cd "$(dirname "$0")" && pwd)/../policy}
[ -d "$policy/modprobe.d" ] || sct_skip_all "no policy files at $policy (set SELFCONN_POLICY)"
ko=$(sct_ko)
[ -n "$ko" ] || sct_skip_all "$SCT_NO_KO"
modprobe --version 2>/dev/null | grep -q '^kmod' || sct_skip_all "modprobe is not kmod's"
depmod --version 2>/dev/null | grep -q '^kmod' || sct_skip_all "depmod is not kmod's"
sysctl --version 2>/dev/null | grep -q procps || sct_skip_all "sysctl is not procps'"
unshare -n true 2>/dev/null || sct_skip_all "unshare -n does not work"

echo "1..6"
sct_tmp
kver=$(uname -r)
was_loaded=
[ -r /proc/selfconn ] && was_loaded=1

uncomment() {
	sed -n 's/^#\([^ #].*\)$/\1/p' "$1"
}

sct_at_exit() {
	rmmod selfconn 2>/dev/null
	[ -n "$was_loaded" ] && insmod "$ko"
}

mkdir -p "$tmp/lib/modules/$kver/updates" "$tmp/etc"
cp "$ko" "$tmp/lib/modules/$kver/updates/selfconn.ko"
depmod -b "$tmp" "$kver"
check "depmod indexes the module" $?

rmmod selfconn 2>/dev/null
names=$(uncomment "$policy/modules-load.d/selfconn.conf")
[ "$names" = selfconn ] && for m in $names; do
	modprobe -d "$tmp" -C /dev/null "$m" || break
done && [ -r /proc/selfconn ] &&
	[ "$(cat /proc/sys/net/selfconn/refuse)" = 0 ]
check "modules-load.d names selfconn; modprobe loads it, refuse=0 by default" $?

uncomment "$policy/sysctl.d/60-selfconn.conf" >"$tmp/etc/60-selfconn.conf"
grep -qx 'net.selfconn.refuse = 1' "$tmp/etc/60-selfconn.conf" &&
	sysctl -p "$tmp/etc/60-selfconn.conf" >/dev/null &&
	[ "$(cat /proc/sys/net/selfconn/refuse)" = 1 ]
check "sysctl -p of sysctl.d's file sets net.selfconn.refuse to 1" $?
echo 0 >/proc/sys/net/selfconn/refuse

modprobe -r -d "$tmp" selfconn && [ ! -e /proc/selfconn ]
check "modprobe -r unloads it" $?
uncomment "$policy/modprobe.d/selfconn.conf" >"$tmp/etc/selfconn.conf"
grep -qx 'options selfconn refuse_default=1' "$tmp/etc/selfconn.conf" &&
	modprobe -d "$tmp" -C "$tmp/etc/selfconn.conf" selfconn &&
	[ "$(unshare -n cat /proc/sys/net/selfconn/refuse)" = 1 ]
check "modprobe with modprobe.d's options: a new namespace has refuse=1" $?
[ "$(cat /proc/sys/net/selfconn/refuse)" = 1 ]
check "and so does the namespace that existed before the load" $?

exit $failed
