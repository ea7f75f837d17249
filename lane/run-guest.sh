#!/bin/bash
# Boot a lane guest in QEMU and wait for it to end.
# Usage: run-guest.sh KERNEL INITRD LOGFILE VERDICTFILE [TIMEOUT]
#        run-guest.sh --probe KERNEL   prints the accelerator it would use
# The console (ttyS0) goes to LOGFILE, the guest's record (ttyS1) to
# VERDICTFILE. Exits with QEMU's status, 124 on timeout (default 600 s).
# Env: QEMU_ACCEL=kvm|tcg skips the probe; TCG_THREAD=single|multi (default
# multi) is QEMU's TCG threading; GUEST_APPEND adds to the
# kernel command line; GUEST_MEM (MiB, default 1024); GUEST_MACHINE=pc|microvm
# (default pc): microvm needs neither ACPI nor PCI in the guest kernel.
set -euo pipefail

# KVM can be present yet broken: QEMU aborts setting an MSR on some hosts,
# on others the guest hangs in its early boot. Boot KERNEL with it, without
# a root file system: a working KVM reaches the kernel's panic over the
# missing root within seconds.
kvm_works() {
	local kernel=$1
	[ -w /dev/kvm ] && [ -f "$kernel" ] || return 1
	timeout -k 5 30 qemu-system-x86_64 -enable-kvm -cpu host -M pc -m 256 \
		-nographic -monitor none -no-reboot -nic none -kernel "$kernel" \
		-append "console=ttyS0 panic=-1" </dev/null 2>&1 |
		grep -q 'Kernel panic - not syncing'
}

accel() {
	case "${QEMU_ACCEL:-}" in
	kvm | tcg) echo "$QEMU_ACCEL" ;;
	*) if kvm_works "$1"; then echo kvm; else echo tcg; fi ;;
	esac
}

accel_args() {
	case "$1" in
	kvm) echo "-enable-kvm -cpu host" ;;
	tcg) echo "-accel tcg,thread=${TCG_THREAD:-multi} -cpu max" ;;
	esac
}

# tsc_early_khz= for the guest: the host's TSC rate, as its kernel logged
# it, else its CPU's nominal MHz; nothing if neither is known.
host_tsc_khz() {
	local mhz
	mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -n 1)
	[ -n "$mhz" ] || mhz=$(awk -F': ' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
	[ -n "$mhz" ] && awk -v m="$mhz" 'BEGIN { printf "tsc_early_khz=%d", m * 1000 }'
	true
}

main() {
	if [ "${1:-}" = --probe ]; then
		accel "${2:?usage: run-guest.sh --probe KERNEL}"
		exit 0
	fi
	[ $# -ge 4 ] || { echo "usage: run-guest.sh KERNEL INITRD LOGFILE VERDICTFILE [TIMEOUT]" >&2; exit 2; }
	local kernel=$1 initrd=$2 log=$3 verdict=$4 limit=${5:-600} a rc=0
	local -a machine
	local append
	a=$(accel "$kernel")
	# The console is ttyS0, the record ttyS1. SeaBIOS's MP table on pc
	# lists only the boot CPU under TCG, so a kernel without ACPI sees one
	# CPU there; microvm's lists them all, and its one serial port of its
	# own gets a second one at the legacy ttyS1 address.
	# microvm has no HPET, and TCG's TSCs fail the kernel's warp check
	# (check_tsc_sync_source()), which would leave jiffies as the clock:
	# every vCPU's TSC comes from the one host clock, so trust it. Under
	# load, calibrating it against the PIT fails too (native_calibrate_tsc
	# has no reference): TCG's TSC is the host's, so give its frequency.
	# Without ACPI, native_machine_emergency_restart() tries the keyboard
	# controller (microvm has none), then machine_real_restart() into the
	# firmware, which was seen to hang the guest until the timeout; reboot=t
	# goes straight to the triple fault, which -no-reboot turns into an exit.
	case "${GUEST_MACHINE:-pc}" in
	pc) machine=(-M pc -serial stdio -serial "file:$verdict") append= ;;
	microvm) machine=(-M microvm,acpi=off -serial stdio
		-chardev "file,id=record,path=$verdict"
		-device isa-serial,chardev=record,iobase=0x2f8,irq=3)
		append="tsc=reliable $(host_tsc_khz) reboot=t" ;;
	*) echo "run-guest: GUEST_MACHINE must be pc or microvm" >&2; exit 2 ;;
	esac
	: >"$verdict"
	# shellcheck disable=SC2046
	timeout -k 10 "$limit" qemu-system-x86_64 \
		$(accel_args "$a") "${machine[@]}" -smp 2 -m "${GUEST_MEM:-1024}" \
		-nographic -monitor none -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 oops=panic $append ${GUEST_APPEND:-}" \
		</dev/null >"$log" 2>&1 || rc=$?
	[ "$rc" = 124 ] && echo "run-guest: guest killed after $limit s" >>"$log"
	return "$rc"
}

main "$@"
