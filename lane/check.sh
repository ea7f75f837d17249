#!/bin/bash
# make check: build selfconn, then boot it with the selftests in QEMU on
# Debian's kernels (distro lanes: one guest for each series of KERNELS)
# and on a KASAN/lockdep/kmemleak kernel built from linux-source-6.1 (debug
# lane). Logs: .cache/lanes/<lane>/.
# Before the lanes, the host unit tests of the companion (make -C user test).
# Env: LANES="distro debug kselftest", KERNELS="5.10 6.1 6.12 7" (the distro lanes),
# DKMS_KERNELS="6.1 7" (their modules built through DKMS), PACKAGES=1
# (make deb and lane/pkg-test.sh; empty: not),
# DEBUG_KERNEL (the debug kernel's series: 6.12), MAX_GUESTS (guests at
# once, 2), GUEST_TIMEOUT (s, per guest, default 900),
# TEST_TIMEOUT (s, per test program in the guest; default: timeout= in
# selftests/settings, at most 300), LANE_TESTS (only these programs; make
# stress), STRESS_SECONDS (selfconn_stress's run time in the guest).
# The last line is "N passed, N failed, N skipped"; exit 1 if any failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LANES=${LANES:-distro debug kselftest}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-900}
# kselftest's timeout= is for the slowest machine; a hung program should
# cost one failure, not the whole guest's time.
if [ -z "${TEST_TIMEOUT:-}" ]; then
	TEST_TIMEOUT=$(sed -n 's/^timeout=//p' "$ROOT/selftests/settings" 2>/dev/null || true)
	TEST_TIMEOUT=${TEST_TIMEOUT:-300}
	[ "$TEST_TIMEOUT" -le 300 ] || TEST_TIMEOUT=300
fi

# Kernel messages that mean the module (or the kernel under it) misbehaved.
SPLAT='BUG:|WARNING: CPU: [0-9]+ PID:|WARNING: (possible|suspicious|inconsistent|bad unlock|held lock|lock held|Nested lock|Illegal lock|circular)|-----\[ cut here \]-----|Oops|Kernel panic|general protection fault|UBSAN:|KASAN:|refcount_t:|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|lockdep is turned off|INFO: task .* blocked|unreferenced object|kmemleak: [0-9]+ new suspected memory leak|list_(add|del) corruption|Call Trace:|stack-protector:|rcu: INFO:|detected stalls'

total_pass=0 total_fail=0 total_skip=0
summaries=()
# The guests lane_*_boot started: a lane's name, or lane/guest-N.
GUESTS=()

closing_line() {
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
}

# A build step failed: no lane can run.
build_failed() {
	log "FAIL: $1"
	total_fail=$((total_fail + 1))
	closing_line
	exit 1
}

# Count the TAP of a lane's record (the guest's ttyS1): "PASS FAIL SKIP",
# then the reasons for failures that are not "not ok" lines, one a line.
count_tap() {
	awk '
	function endprog(code) {
		if (code != 0 && code != 4 && !notok) {
			fail++; print "FAIL: " prog " exited " code " without a not ok line" >"/dev/stderr"
		} else if (plan >= 0 && results != plan && !notok) {
			fail++; print "FAIL: " prog " planned " plan " tests, reported " results >"/dev/stderr"
		}
		prog = ""
	}
	/^# selfconn-lane: (insmod|rmmod) exit=/ { next }
	/^# selfconn-lane: run / { prog = $4; notok = 0; plan = -1; results = 0; next }
	/^# selfconn-lane: [^ ]+ exit=[0-9]+$/ {
		code = $4; sub(/^exit=/, "", code); endprog(code + 0); next
	}
	/^1\.\.[0-9]+/ {
		p = $0; sub(/^1\.\./, "", p); sub(/[^0-9].*/, "", p); plan = p + 0
		if (plan == 0 && $0 ~ /# [Ss][Kk][Ii][Pp]/) skip++
		next
	}
	/^not ok / { fail++; notok = 1; results++; next }
	/^ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) skip++; else pass++; results++; next }
	END { print pass + 0, fail + 0, skip + 0 }
	' "$1"
}

# Count the TAP of kselftest's runner (the kselftest lane): a program that
# exits 0 passes, 4 skips, anything else fails. A skipped program must say
# why: a "# SKIP reason" in its own (nested, "# "-prefixed) output.
count_runner_tap() {
	awk '
	/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }
	/^# selftests: / { reason = 0; next }
	/^# .*# [Ss][Kk][Ii][Pp] *[^ ]/ { reason = 1; next }
	/^not ok [0-9]+ / { fail++; results++; print "FAIL: " $0 >"/dev/stderr"; next }
	/^ok [0-9]+ .* # SKIP$/ {
		skip++; results++
		if (!reason) { fail++; print "FAIL: " $0 ": no reason given" >"/dev/stderr" }
		next
	}
	/^ok [0-9]+ / { pass++; results++; next }
	END {
		if (plan < 1 || results != plan) {
			fail++; print "FAIL: the runner planned " plan + 0 " programs, reported " results + 0 >"/dev/stderr"
		}
		print pass + 0, fail + 0, skip + 0
	}
	' "$1"
}

# Test output shaped like a kernel address or a hashed pointer: 16 or more
# hex digits, with or without 0x, or 0x and 8 or more (IPv6 groups have 4
# at most). The lane's own lines (the module's load address) and the
# kmemleak report are not test output.
kernel_addresses() {
	sed '/^# selfconn-lane: kmemleak begin/,/^# selfconn-lane: kmemleak end/d' "$1" |
		grep -v '^# selfconn-lane:' |
		grep -Ei '(^|[^0-9a-z])(0x[0-9a-f]{8,}|(0x)?[0-9a-f]{16,})([^0-9a-z]|$)' || true
}

# Problems of the lane as a whole: prints one reason a line.
lane_problems() {
	local record=$1 console=$2 rc=$3
	local during cpus
	during=$(sed -n 's/^# selfconn-lane: run //p' "$record" | tail -n 1)
	grep -qx 'selfconn-lane: done' "$record" ||
		echo "guest did not finish${during:+ (last program started: $during)}: qemu exit $rc$( [ "$rc" = 124 ] && echo ", killed after $GUEST_TIMEOUT s")"
	# run-guest.sh asks for 2 CPUs; on one, the races the tests provoke
	# would not happen.
	cpus=$(sed -n 's/^# selfconn-lane: cpus //p' "$record")
	[ "${cpus:-0}" -ge 2 ] || echo "guest saw ${cpus:-no} CPUs, not 2"
	grep -E '^# selfconn-lane: (insmod|rmmod) exit=' "$record" | grep -v 'exit=0$' |
		sed 's/^# selfconn-lane: /module /' || true
	if sed -n '/^# selfconn-lane: kmemleak begin/,/^# selfconn-lane: kmemleak end/p' "$record" |
		grep -qv '^# selfconn-lane: kmemleak'; then
		echo "kmemleak reported leaks"
	fi
	if [ -n "$(splats "$console")" ]; then
		echo "kernel splat in the console log"
	fi
	kernel_addresses "$record" | sed -n '1,3s/^/kernel address in the test output: /p'
	true
}

# The console lines matching $SPLAT, numbered, less the leaks that the
# guest's kmemleak baseline (boot-time objects) reported. While the fault
# tests inject allocation failures, the kernel reports some of them with a
# bare stack dump (warn_alloc(), __register_sysctl_table()): there a
# "Call Trace:" alone is not a splat; a WARNING, BUG, KASAN... still is.
splats() {
	SPLAT=$SPLAT awk '
	/^# selfconn-lane: kmemleak baseline/ { based = 1 }
	!based && /kmemleak: [0-9]+ new suspected/ { next }
	/selfconn_fault: injected allocation failures begin/ { injecting = 1 }
	/selfconn_fault: injected allocation failures end/ { injecting = 0 }
	injecting && /Call Trace:$/ { next }
	$0 ~ ENVIRON["SPLAT"] { print NR ": " $0 }
	' "$1"
}

show_splat() {
	local console=$1 first
	first=$(splats "$console" | sed -n "1s/:.*//p")
	[ -n "$first" ] || return 0
	echo "--- console from line $first:"
	sed -n "$((first > 5 ? first - 5 : 1)),$((first + 60))p" "$console"
	echo "---"
}

# Boot one lane's guest in the background (its QEMU status and run time
# go to files); lane_report reads them once the guests have ended.
lane_boot() {
	local lane=$1 kernel=$2 initrd=$3 dir=$CACHE/lanes/$1
	guest_slot
	log "lane $lane: booting $(basename "$kernel") under QEMU ($QEMU_ACCEL), up to $GUEST_TIMEOUT s"
	rm -f "$dir/qemu.rc" "$dir/seconds"
	(
		start=$(date +%s) rc=0
		lane/run-guest.sh "$kernel" "$initrd" "$dir/console.raw" "$dir/verdict.raw" \
			"$GUEST_TIMEOUT" || rc=$?
		echo "$(($(date +%s) - start))" >"$dir/seconds"
		echo "$rc" >"$dir/qemu.rc"
	) &
	GUEST_PIDS+=($!)
}

# Wait until fewer than MAX_GUESTS guests run: each is one TCG thread, and
# more threads than CPUs slow every guest's timing-sensitive tests.
MAX_GUESTS=${MAX_GUESTS:-2}
GUEST_PIDS=()

guest_slot() {
	local pid alive
	while :; do
		alive=()
		for pid in "${GUEST_PIDS[@]}"; do
			! kill -0 "$pid" 2>/dev/null || alive+=("$pid")
		done
		GUEST_PIDS=("${alive[@]}")
		[ "${#GUEST_PIDS[@]}" -ge "$MAX_GUESTS" ] || return 0
		sleep 1
	done
}

# Print a lane's TAP and verdict, add to the totals.
lane_report() {
	local lane=$1 dir=$CACHE/lanes/$1 rc secs
	local pass fail skip problems
	rc=$(cat "$dir/qemu.rc" 2>/dev/null || echo "none")
	secs=$(cat "$dir/seconds" 2>/dev/null || echo "?")
	tr -d '\r' <"$dir/console.raw" >"$dir/console.log"
	tr -d '\r' <"$dir/verdict.raw" >"$dir/verdict"
	rm -f "$dir/console.raw" "$dir/verdict.raw"
	# A distro lane is named after its kernel's release.
	[ ! -f "$dir/release" ] || lane="$(cat "$dir/release")"
	log "lane $lane: guest ran $secs s; TAP follows"
	cat "$dir/verdict"
	local counter=count_tap
	[ "$1" != kselftest ] || counter=count_runner_tap
	read -r pass fail skip < <("$counter" "$dir/verdict" 2>"$dir/reasons")
	cat "$dir/reasons"
	problems=$(lane_problems "$dir/verdict" "$dir/console.log" "$rc")
	if [ -n "$problems" ]; then
		echo "$problems" | sed "s|^|FAIL: lane $lane: |"
		fail=$((fail + 1))
		if [ -n "$(splats "$dir/console.log")" ]; then
			show_splat "$dir/console.log"
		elif ! grep -qx 'selfconn-lane: done' "$dir/verdict"; then
			echo "--- last 40 console lines:"
			tail -n 40 "$dir/console.log"
			echo "---"
		fi
	fi
	add_summary "lane $lane" "$pass" "$fail" "$skip" "guest $secs s; logs in ${dir#"$ROOT"/}"
}

# add_summary NAME PASS FAIL SKIP DETAIL: its summary line, and the totals.
add_summary() {
	local verdict=PASS
	[ "$3" = 0 ] || verdict=FAIL
	summaries+=("$1: $verdict: $2 passed, $3 failed, $4 skipped ($5)")
	log "${summaries[-1]}"
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	total_skip=$((total_skip + $4))
}

# Print a host-side record's TAP (NAME, DIR/record, START time), count it
# like a lane's.
host_record() {
	local name=$1 dir=$2 start=$3 pass fail skip
	log "$name: TAP follows"
	cat "$dir/record"
	read -r pass fail skip < <(count_tap "$dir/record" 2>"$dir/reasons")
	cat "$dir/reasons"
	add_summary "$name" "$pass" "$fail" "$skip" \
		"$(($(date +%s) - start)) s; record in ${dir#"$ROOT"/}"
}

# The companion's host unit tests (parser, JSON writer; ASan/UBSan): no
# guest needed. Counted like a lane, from the same kind of record.
unit_tests() {
	local dir=$CACHE/unit t rc start
	start=$(date +%s)
	mkdir -p "$dir"
	make -s -C "$ROOT/user" tests || build_failed "host unit tests build (make -C user tests)"
	: >"$dir/record"
	for t in $(make -s --no-print-directory -C "$ROOT/user" list-tests); do
		echo "# selfconn-lane: run $t" >>"$dir/record"
		rc=0
		(cd "$ROOT/user" && "./$t") >>"$dir/record" 2>&1 || rc=$?
		echo "# selfconn-lane: $t exit=$rc" >>"$dir/record"
	done
	host_record "host unit tests" "$dir" "$start"
}

# Debian's promtool and node_exporter (lane/prom-fetch.sh): promtool checks
# the monitoring files on the host (lane/monitoring-test.sh); both go into
# the distro guests for selfconn_metrics.sh.
prom_fetch() {
	lane/prom-fetch.sh >"$1/tools.env" 2>"$1/fetch.log"
}

monitoring_test() {
	local dir=$CACHE/monitoring rc=0 start
	start=$(date +%s)
	mkdir -p "$dir"
	timed "promtool and node_exporter (lane/prom-fetch.sh)" prom_fetch "$dir" ||
		{ cat "$dir/fetch.log"; build_failed "lane/prom-fetch.sh"; }
	# shellcheck disable=SC1091 # written by prom-fetch.sh just above
	. "$dir/tools.env"
	{
		echo "# selfconn-lane: run monitoring-test.sh"
		lane/monitoring-test.sh "$PROMTOOL" "$(user_binary)" 2>&1 || rc=$?
		echo "# selfconn-lane: monitoring-test.sh exit=$rc"
	} >"$dir/record"
	host_record "monitoring files (promtool)" "$dir" "$start"
}

# The Debian packages: make deb (lintian-clean), then lane/pkg-test.sh
# installs them in a bookworm chroot, where DKMS builds the module that
# the 6.1 lane boots (packages.ko), and purges them.
packages_test() {
	local dir=$CACHE/packages rc=0 start
	start=$(date +%s)
	mkdir -p "$dir"
	rm -f "$dir/packages.ko"
	timed "Debian packages (make deb)" make -s -C "$ROOT" deb >"$dir/deb.log" 2>&1 ||
		{ cat "$dir/deb.log"; build_failed "make deb"; }
	{
		echo "# selfconn-lane: run pkg-test.sh"
		lane/pkg-test.sh "$dir/packages.ko" 2>&1 || rc=$?
		echo "# selfconn-lane: pkg-test.sh exit=$rc"
	} >"$dir/record"
	host_record "Debian packages" "$dir" "$start"
}

# initramfs OUT [PROGRAMS] [mkinitramfs options]: PROGRAMS (a space
# separated list; empty: LANE_TESTS, else all) are the tests it runs.
initramfs() {
	local out=$1 only=${2:-${LANE_TESTS:-}}
	shift 2
	lane/mkinitramfs.sh --user "$(user_binary)" --tests "$ROOT/selftests" \
		--ksft-dir "$KSFT_DIR" --test-timeout "$TEST_TIMEOUT" \
		${only:+--only "$only"} \
		${STRESS_SECONDS:+--stress-seconds "$STRESS_SECONDS"} "$@" "$out"
}

# The distro lanes: a guest for each Debian kernel of KERNELS, fetched
# into the machine-wide cache by lane/kernel-fetch.sh. Each lane's files
# are in .cache/lanes/SERIES; its summary names the kernel's release.
KERNELS=${KERNELS:-5.10 6.1 6.12 7}
# The series whose lane boots the module that Debian's dkms built, signed
# and installed from dkms.conf (lane/dkms.sh); the others', kbuild's.
DKMS_KERNELS=${DKMS_KERNELS-6.1 7}
# Non-empty: build the Debian packages and test them (lane/pkg-test.sh);
# the 6.1 lane then boots the module their DKMS built.
PACKAGES=${PACKAGES-1}

lane_kernel_prepare() {
	local series=$1 dir=$CACHE/lanes/$1
	mkdir -p "$dir"
	timed "kernel $series (lane/kernel-fetch.sh)" kernel_env "$series" "$dir/kernel.env" ||
		build_failed "Debian kernel $series (lane/kernel-fetch.sh)"
	echo "$KERNEL_RELEASE" >"$dir/release"
	echo "$KERNEL_VMLINUZ" >"$dir/vmlinuz"
	# (packages_test made it in this run; a stale one stays unused.)
	if [ "$series" = 6.1 ] && [ -n "$PACKAGES" ] && [ -f "$CACHE/packages/packages.ko" ]; then
		# The module the packages' DKMS built in the bookworm chroot.
		cp "$CACHE/packages/packages.ko" "$dir/selfconn.ko"
		[ "$(modinfo -F vermagic "$dir/selfconn.ko" | cut -d' ' -f1)" = "$KERNEL_RELEASE" ] ||
			build_failed "the packages' module is not for $KERNEL_RELEASE"
		log "module for $KERNEL_RELEASE: the one the packages' DKMS built"
	elif [[ " $DKMS_KERNELS " == *" $series "* ]]; then
		# shellcheck disable=SC2086 # KERNEL_WRAP: a command and its argument
		timed "module for $KERNEL_RELEASE through DKMS (lane/dkms.sh)" \
			$KERNEL_WRAP lane/dkms.sh "$dir/dkms" "$KERNEL_RELEASE" "$KERNEL_KDIR" \
			"$dir/selfconn.ko" >"$dir/build.log" 2>&1 ||
			{ cat "$dir/build.log"; build_failed "DKMS for $KERNEL_RELEASE"; }
		grep '^dkms: ' "$dir/build.log"
	else
		timed "module for $KERNEL_RELEASE" build_module "$KERNEL_KDIR" "$dir/selfconn.ko" \
			"$KERNEL_WRAP" "$KERNEL_MAKE_ARGS" >"$dir/build.log" 2>&1 ||
			{ cat "$dir/build.log"; build_failed "module build for $KERNEL_RELEASE"; }
	fi
	initramfs "$dir/initramfs.cpio.gz" "" --ko "$dir/selfconn.ko" --kver "$KERNEL_RELEASE" \
		--modules-root "${KERNEL_MODULES%/lib/modules/*}" \
		--bin "$PROMTOOL" --bin "$NODE_EXPORTER" ||
		build_failed "initramfs for $KERNEL_RELEASE"
}

lane_kernel_boot() {
	# Debian's kernels patch jump labels (the nf_hooks_needed static key
	# flips with every refuse=0/1); multi-threaded TCG was seen once to
	# leave a vCPU spinning on such a site in ip6_xmit() for minutes, the
	# same RIP and registers at every soft-lockup report. One TCG thread
	# for both vCPUs has no cross-vCPU code patching race. The debug
	# kernel has no jump labels.
	TCG_THREAD=single lane_boot "$1" "$(cat "$CACHE/lanes/$1/vmlinuz")" \
		"$CACHE/lanes/$1/initramfs.cpio.gz"
	GUESTS+=("$1")
}

# The debug kernel is built (once; then found in the cache) in the
# background, niced, while the rest of deps.sh, the builds for the distro
# kernel and the host unit tests run: on a fresh clone its build is most
# of make check's time.
DEBUG_KERNEL=${DEBUG_KERNEL:-6.12}
debug_kernel_pid=
debug_kernel_start=

debug_kernel_begin() {
	log "debug kernel: building it in the background unless cached" \
		"(about 10 minutes on 2 cores, once; log in ${CACHE#"$ROOT"/}/lanes/debug/kernel.log)"
	debug_kernel_start=$(date +%s)
	mkdir -p "$CACHE/lanes/debug"
	# Its own session, so that debug_kernel_end stops make and every
	# compiler under it.
	setsid nice -n 19 lane/debug-kernel.sh "$DEBUG_TARBALL" </dev/null \
		>"$CACHE/lanes/debug/kernel.path" 2>"$CACHE/lanes/debug/kernel.log" &
	debug_kernel_pid=$!
}

debug_kernel_end() {
	[ -n "$debug_kernel_pid" ] || return 0
	kill -TERM -- "-$debug_kernel_pid" 2>/dev/null || true
}

# Not in a subshell: only this shell can wait for its child.
debug_kernel_wait() {
	local rc=0
	log "debug kernel: waiting for it ($(($(date +%s) - debug_kernel_start)) s since it started)"
	wait "$debug_kernel_pid" || rc=$?
	debug_kernel_pid=
	cat "$CACHE/lanes/debug/kernel.log"
	log "debug kernel: ready $(($(date +%s) - debug_kernel_start)) s after it started"
	return "$rc"
}

lane_debug_prepare() {
	local dir=$CACHE/lanes/debug kdir
	mkdir -p "$dir"
	debug_kernel_wait || build_failed "debug kernel build (lane/debug-kernel.sh)"
	kdir=$(cat "$CACHE/lanes/debug/kernel.path")
	timed "module for the debug kernel" build_module "$kdir" "$dir/selfconn.ko" ||
		build_failed "module build for the debug kernel"
	local i=0 part
	rm -rf "$dir"/guest-*
	while IFS= read -r part; do
		i=$((i + 1))
		initramfs "$dir/guest-$i/initramfs.cpio" "$part" --ko "$dir/selfconn.ko" ||
			build_failed "debug initramfs"
	done < <(debug_guest_programs)
	echo "$kdir/arch/x86/boot/bzImage" >"$dir/bzImage.path"
}

# The debug lane's programs, one line per guest, each in make -C selftests
# list-tests order. KASAN, lockdep and kmemleak under TCG make them several
# times slower than on the distro kernel. Two guests, one with DEBUG_GUEST1's
# programs and one with the rest, boot side by side, each as one TCG thread
# with 256 MiB; DEBUG_GUEST1 is chosen so that their run times are close
# (make check, 2 cores). kmemleak scans every memblock allocation, the KASAN
# shadow (1/8 of the RAM) among them, and the memory map: with 512 MiB each
# guest spent about 45 s in its scans, with 256 MiB about 36 s (120 MiB stay
# available after each program). Two guests with a thread per vCPU each,
# four threads on two CPUs, were slower than one guest: a vCPU spins on a
# guest lock whose holder's thread is not running. One guest (a thread per
# vCPU, 1 GiB) with LANE_TESTS (make stress), or with DEBUG_GUEST1 empty.
DEBUG_GUEST1=${DEBUG_GUEST1-selfconn_refuse selfconn_port selfconn_bad_input selfconn_boundary selfconn_ncat.sh selfconn_fault_netns}

debug_guest_programs() {
	local all p first='' rest=''
	if [ -n "${LANE_TESTS:-}" ] || [ -z "$DEBUG_GUEST1" ]; then
		echo "${LANE_TESTS:-}"
		return
	fi
	all=$(make -s --no-print-directory -C "$ROOT/selftests" list-tests KSFT_DIR="$KSFT_DIR") ||
		return 1
	for p in $all; do
		if [[ " $DEBUG_GUEST1 " == *" $p "* ]]; then
			first+=${first:+ }$p
		else
			rest+=${rest:+ }$p
		fi
	done
	if [ -z "$first" ] || [ -z "$rest" ]; then
		echo "$first$rest"
		return
	fi
	echo "$first"
	echo "$rest"
}

# Under the load of selfconn_stress a grace period took 10-16 s in a debug
# guest (two vCPUs on one TCG thread, KASAN): the module's unload, one or
# two synchronize_rcu() in unregister_pernet_subsys() and free_module(),
# took 45-60 s, and the stress ran that long to see a reload. Expedited
# grace periods (rcupdate.rcu_expedited) are as valid a mode of RCU and
# end within a few seconds there. make stress keeps normal ones.
lane_debug_boot() {
	local g guests thread=multi mem=1024 append=
	guests=("$CACHE"/lanes/debug/guest-*)
	[ ${#guests[@]} = 1 ] || thread=single mem=256 append=rcupdate.rcu_expedited=1
	# 4-level paging: QEMU's -cpu max offers LA57 under TCG, and one debug
	# guest with 5-level paging took a KASAN wild-memory-access report in
	# its early boot (do_raw_spin_lock() at a direct-map address, before any
	# module), once in several boots.
	append+=" no5lvl"
	# The debug kernel has neither ACPI nor PCI (lane/debug.config).
	for g in "${guests[@]}"; do
		TCG_THREAD=$thread GUEST_MEM=$mem GUEST_MACHINE=microvm \
			GUEST_APPEND="$append ${GUEST_APPEND:-}" lane_boot "debug/${g##*/}" \
			"$(cat "$CACHE/lanes/debug/bzImage.path")" "$g/initramfs.cpio"
		GUESTS+=("debug/${g##*/}")
	done
}

# The kselftest lane: the selftests as kernel CI runs them. Installed with
# the kernel's own `make -C tools/testing/selftests TARGETS=selfconn
# install` from the host's linux-source-6.1 (lane/ksft-install.sh), run by
# that install's run_kselftest.sh -c selfconn, with its timeouts from
# settings, in a guest of Debian's 6.1 kernel whose root file system puts
# busybox first (mkinitramfs.sh --kselftest).
ksft_install() {
	lane/ksft-install.sh "${KSFT_DIR%/tools/testing/selftests}" "$1/tree" \
		>"$1/install.path" 2>"$1/install.log"
}

lane_kselftest_prepare() {
	local dir=$CACHE/lanes/kselftest install
	mkdir -p "$dir"
	timed "kernel 6.1 (lane/kernel-fetch.sh)" kernel_env 6.1 "$dir/kernel.env" ||
		build_failed "Debian kernel 6.1 (lane/kernel-fetch.sh)"
	echo "$KERNEL_VMLINUZ" >"$dir/vmlinuz"
	timed "module for $KERNEL_RELEASE" build_module "$KERNEL_KDIR" "$dir/selfconn.ko" \
		"$KERNEL_WRAP" "$KERNEL_MAKE_ARGS" >"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log"; build_failed "module build for $KERNEL_RELEASE"; }
	timed "kselftest install (lane/ksft-install.sh)" ksft_install "$dir" ||
		{ cat "$dir/install.log"; build_failed "kselftest install (lane/ksft-install.sh)"; }
	install=$(cat "$dir/install.path")
	lane/mkinitramfs.sh --user "$(user_binary)" --ko "$dir/selfconn.ko" \
		--kver "$KERNEL_RELEASE" --modules-root "${KERNEL_MODULES%/lib/modules/*}" \
		--kselftest "$install" "$dir/initramfs.cpio.gz" ||
		build_failed "initramfs of the kselftest lane"
}

lane_kselftest_boot() {
	# One TCG thread, as for the distro lanes (lane_kernel_boot).
	TCG_THREAD=single lane_boot kselftest "$(cat "$CACHE/lanes/kselftest/vmlinuz")" \
		"$CACHE/lanes/kselftest/initramfs.cpio.gz"
	GUESTS+=(kselftest)
}

main() {
	local start lane
	start=$(date +%s)
	cd "$ROOT"
	if [[ " $LANES " == *" debug "* ]]; then
		timed "dependencies of the debug kernel build (lane/deps.sh kernel)" \
			lane/deps.sh kernel || build_failed "lane/deps.sh kernel"
		DEBUG_TARBALL=$(source_tarball "$DEBUG_KERNEL") ||
			build_failed "linux-source-$DEBUG_KERNEL (lane/kernel-fetch.sh --source)"
		trap debug_kernel_end EXIT
		trap 'exit 130' INT TERM
		debug_kernel_begin
	fi
	timed "dependencies (lane/deps.sh)" lane/deps.sh || build_failed "lane/deps.sh"
	KSFT_DIR=${KSFT_DIR:-$(ksft_dir)} || build_failed "the kselftest harness (lane/source-tree.sh)"
	timed "companion and selftests" build_userspace || build_failed "user/selftests build"
	unit_tests
	monitoring_test
	[ -z "$PACKAGES" ] || packages_test
	local series first=''
	if [[ " $LANES " == *" distro "* ]]; then
		for series in $KERNELS; do
			lane_kernel_prepare "$series"
			first=${first:-$series}
		done
	fi
	[[ " $LANES " != *" kselftest "* ]] || lane_kselftest_prepare
	# KVM is tried on the first distro kernel; without a distro lane, TCG.
	QEMU_ACCEL=$(lane/run-guest.sh --probe "$(cat "$CACHE/lanes/$first/vmlinuz" 2>/dev/null || echo none)")
	export QEMU_ACCEL
	# The guests boot as soon as they are ready and a CPU is free
	# (MAX_GUESTS): the distro guests beside the debug kernel's build
	# (niced, so it yields a CPU), the debug guests once it is built.
	for lane in $LANES; do
		case "$lane" in
		distro) for series in $KERNELS; do lane_kernel_boot "$series"; done ;;
		debug) lane_debug_prepare && lane_debug_boot ;;
		kselftest) lane_kselftest_boot ;;
		*) build_failed "unknown lane $lane (LANES=\"distro debug kselftest\")" ;;
		esac
	done
	wait
	for lane in "${GUESTS[@]}"; do
		lane_report "$lane"
	done
	echo
	printf '%s\n' "${summaries[@]}"
	log "make check took $(($(date +%s) - start)) s"
	closing_line
	[ "$total_fail" = 0 ]
}

main "$@"
