#!/bin/bash
# Build a newc initramfs for a lane guest: gzipped if OUTPUT ends in .gz.
# Usage: mkinitramfs.sh [options] OUTPUT.cpio[.gz]
#   --ko FILE            module, installed as /selfconn/selfconn.ko
#   --user FILE          companion, installed as /usr/bin/selfconn (if it exists)
#   --tests DIR          selftests dir: its files go to /tests, run order to /tests/.order
#   --ksft-dir DIR       KSFT_DIR for `make -C DIR list-tests`
#   --kver VER           also pack distro modules ($LANE_MODULES) from /lib/modules/VER
#   --modules-root DIR   ... under DIR/lib/modules/VER instead (default /)
#   --demo FILE          demo script, installed as /lane/demo
#   --bin FILE           another program, installed as /usr/bin/$(basename FILE)
#   --test-timeout SEC   per test program timeout in the guest (default 300)
#   --only "PROG..."     run only these test programs (make stress)
#   --stress-seconds SEC SELFCONN_STRESS_SECONDS in the guest (selfconn_stress)
#   --kselftest DIR      a kselftest install (lane/ksft-install.sh) as /kselftest,
#                        run by /init with its run_kselftest.sh on a root file
#                        system laid out as kernel CI's are: busybox's sh and
#                        applets first in PATH, the module (--ko) installed in
#                        /lib/modules/VER/updates with modules.dep, coreutils'
#                        timeout where the runner looks for it
# The guest is not usr-merged: busybox applets live in /bin, the real
# binaries (ncat, ip, tc, ss, bash, kmod's modinfo) in /usr/bin and
# /usr/sbin, which come first in the guest's PATH. /bin/sh is dash:
# Debian's busybox sh runs its own applets (ip, tc, ...) before anything
# in PATH.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${LANE_MODULES:=veth sch_netem inet_diag tcp_diag udp_diag}"
# kmod's modinfo, modprobe and depmod (each a copy of kmod, which acts on
# its name) and procps' sysctl: selfconn_policy.sh tests with the real tools.
host_bins=(/usr/bin/ncat /usr/sbin/ip /usr/sbin/tc /usr/bin/ss /usr/bin/bash /usr/sbin/modinfo
	/usr/sbin/modprobe /usr/sbin/depmod /usr/sbin/sysctl)

ko='' user='' bins=() tests='' kselftest='' ksft_dir='' kver='' modules_root=/ demo='' test_timeout=300 out='' only='' stress_seconds=''
root=

die() { echo "mkinitramfs: $*" >&2; exit 1; }

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--ko) ko=$2; shift 2 ;;
		--user) user=$2; shift 2 ;;
		--tests) tests=$2; shift 2 ;;
		--ksft-dir) ksft_dir=$2; shift 2 ;;
		--kver) kver=$2; shift 2 ;;
		--modules-root) modules_root=$2; shift 2 ;;
		--demo) demo=$2; shift 2 ;;
		--bin) bins+=("$2"); shift 2 ;;
		--test-timeout) test_timeout=$2; shift 2 ;;
		--only) only=$2; shift 2 ;;
		--stress-seconds) stress_seconds=$2; shift 2 ;;
		--kselftest) kselftest=$2; shift 2 ;;
		-*) die "unknown option $1" ;;
		*) out=$1; shift ;;
		esac
	done
	[ -n "$out" ] || die "usage: mkinitramfs.sh [options] OUTPUT.cpio[.gz]"
}

is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# Copy FILE to the same path under the guest root (dereferencing links).
copy_same_path() {
	local f=$1
	[ -e "$root$f" ] && return 0
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
}

# Copy the shared libraries an ELF binary needs, at the paths ldd names.
copy_libs() {
	local bin=$1 lib
	is_elf "$bin" || return 0
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[ -f "$lib" ] && copy_same_path "$lib"
	done
}

add_binary() {
	local src=$1 dst=$2
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
	copy_libs "$src"
}

add_base() {
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,var,etc,root,lane,selfconn,tests}
	ln -s ../run "$root/var/run"
	cp /usr/bin/busybox "$root/bin/busybox"
	local applet
	for applet in $("$root/bin/busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	install -m 755 "$here/guest-init" "$root/init"
	if [ "$(id -u)" = 0 ]; then
		mknod -m 600 "$root/dev/console" c 5 1
	fi
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
	echo selfconn-guest >"$root/etc/hostname"
}

add_host_tools() {
	local b
	for b in "${host_bins[@]}"; do
		if [ -x "$b" ]; then
			add_binary "$b" "$b"
		else
			echo "mkinitramfs: warning: $b not found, not in the guest" >&2
		fi
	done
	ln -sf /usr/bin/bash "$root/bin/bash"
	add_binary /usr/bin/dash /bin/dash
	ln -sf dash "$root/bin/sh"
	local ossl=/usr/lib/x86_64-linux-gnu/ossl-modules
	if [ -d "$ossl" ]; then
		mkdir -p "$root$ossl"
		cp "$ossl"/* "$root$ossl/"
	fi
	[ -d /etc/iproute2 ] && cp -r /etc/iproute2 "$root/etc/"
	local tcdir=/usr/lib/x86_64-linux-gnu/tc
	if [ -d "$tcdir" ]; then
		mkdir -p "$root$tcdir"
		cp "$tcdir"/*.dist "$root$tcdir/" 2>/dev/null || true
	fi
}

# Distro modules and their dependencies, in load order, listed in
# /lane/modules; compressed ones are unpacked for busybox insmod.
add_kernel_modules() {
	local mod line path dst
	: >"$root/lane/modules"
	for mod in $LANE_MODULES; do
		modprobe -d "$modules_root" --show-depends -S "$kver" "$mod" ||
			die "module $mod not found for $kver under $modules_root"
	done | while read -r line; do
		case "$line" in insmod\ *) ;; *) continue ;; esac
		path=$(echo "$line" | awk '{print $2}')
		dst=/lib/modules/$kver/$(basename "$path")
		dst=${dst%.xz}; dst=${dst%.zst}; dst=${dst%.gz}
		grep -qxF "$dst" "$root/lane/modules" && continue
		mkdir -p "$root/lib/modules/$kver"
		case "$path" in
		*.xz) xz -dc "$path" >"$root$dst" ;;
		*.zst) zstd -qdc "$path" >"$root$dst" ;;
		*.gz) gzip -dc "$path" >"$root$dst" ;;
		*) cp "$path" "$root$dst" ;;
		esac
		echo "$dst" >>"$root/lane/modules"
	done
}

# Test programs in run order, relative to the selftests dir.
list_tests() {
	if grep -q '^list-tests:' "$tests/Makefile" 2>/dev/null; then
		make -s --no-print-directory -C "$tests" list-tests ${ksft_dir:+KSFT_DIR="$ksft_dir"}
		return
	fi
	echo "mkinitramfs: warning: $tests/Makefile has no list-tests target; running its executables" >&2
	local f
	for f in "$tests"/*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		case "$(basename "$f")" in run_*) continue ;; esac
		basename "$f"
	done | sort
}

add_tests() {
	local order f
	order=$(list_tests)
	[ -n "$order" ] || die "no test programs found in $tests (build them first: make selftests)"
	if [ -n "$only" ]; then
		for f in $only; do
			# Not echo | grep -q: under pipefail, grep's early exit
			# can fail the pipeline with echo's SIGPIPE.
			grep -qxF "$f" <<<"$order" || die "--only: $f is no test program of $tests"
		done
		order=$(echo "$only" | tr ' ' '\n' | grep .)
	fi
	(cd "$tests" && find . -type f ! -name '*.o' ! -name '*.d' ! -name '.*' -print0 |
		cpio -p0dm --quiet "$root/tests")
	echo "$order" >"$root/tests/.order"
	for f in $order; do
		[ -x "$root/tests/$f" ] ||
			echo "mkinitramfs: warning: test program $f is listed but not in $tests (it will fail)" >&2
	done
	while IFS= read -r -d '' f; do
		copy_libs "$f"
	done < <(find "$root/tests" -type f -perm -u+x -print0)
}

# The kselftest lane's root file system: see --kselftest above.
add_kselftest() {
	local f
	[ -n "$kver" ] || die "--kselftest needs --kver"
	cp -r "$kselftest" "$root/kselftest"
	while IFS= read -r -d '' f; do
		copy_libs "$f"
	done < <(find "$root/kselftest" -type f -perm -u+x -print0)
	mkdir -p "$root/lib/modules/$kver/updates"
	mv "$root/selfconn/selfconn.ko" "$root/lib/modules/$kver/updates/selfconn.ko"
	depmod -b "$root" "$kver"
	# kselftest/runner.sh runs /usr/bin/timeout --foreground, which
	# busybox's timeout lacks.
	add_binary /usr/bin/timeout /usr/bin/timeout
	ln -sf busybox "$root/bin/sh"
}

write_conf() {
	{
		echo "TEST_TIMEOUT=$test_timeout"
		[ -n "$kselftest" ] && echo "KSELFTEST=1"
		[ -n "$demo" ] && echo "HAVE_DEMO=1"
		[ -n "${BENCH_ARGS:-}" ] && echo "BENCH_ARGS='$BENCH_ARGS'"
		[ -n "$stress_seconds" ] && echo "export SELFCONN_STRESS_SECONDS=$stress_seconds"
		true
	} >"$root/lane/conf"
}

main() {
	parse_args "$@"
	root=$(mktemp -d)
	chmod 755 "$root"	# mktemp -d makes 0700: unprivileged tests must traverse /
	trap 'rm -rf "$root"' EXIT
	add_base
	add_host_tools
	[ -n "$ko" ] && install -m 644 "$ko" "$root/selfconn/selfconn.ko"
	cp -r "$here/../policy" "$root/selfconn/policy"
	if [ -n "$user" ] && [ -x "$user" ]; then
		add_binary "$user" /usr/bin/selfconn
	fi
	local b
	for b in "${bins[@]}"; do
		add_binary "$b" "/usr/bin/$(basename "$b")"
	done
	[ -n "$kver" ] && add_kernel_modules
	[ -n "$tests" ] && add_tests
	[ -n "$kselftest" ] && add_kselftest
	[ -n "$demo" ] && install -m 755 "$demo" "$root/lane/demo"
	write_conf
	mkdir -p "$(dirname "$out")"
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio -o0 -H newc -R 0:0 --quiet) | compress >"$out.tmp"
	mv "$out.tmp" "$out"
}

# A debug guest unpacks an uncompressed archive 3 s sooner: its inflate
# runs under KASAN in TCG.
compress() {
	case "$out" in
	*.gz) gzip -1 ;;
	*) cat ;;
	esac
}

main "$@"
