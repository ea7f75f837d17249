#!/bin/bash
# Boot a lane guest in QEMU and wait for it to end.
# Usage: run-guest.sh KERNEL INITRD LOGFILE VERDICTFILE [TIMEOUT]
#        run-guest.sh --probe     prints the accelerator it would use
# The console (ttyS0) goes to LOGFILE, the guest's record (ttyS1) to
# VERDICTFILE. Exits with QEMU's status, 124 on timeout (default 600 s).
# Env: QEMU_ACCEL=kvm|tcg skips the probe; TCG_THREAD=single|multi (default
# multi) is QEMU's TCG threading; GUEST_APPEND adds to the
# kernel command line; GUEST_MEM (MiB, default 1024).
set -euo pipefail

# KVM can be present yet broken (QEMU aborts setting an MSR): try it.
kvm_works() {
	[ -w /dev/kvm ] || return 1
	(echo quit | timeout 20 qemu-system-x86_64 -enable-kvm -cpu host -S \
		-display none -nodefaults -monitor stdio) >/dev/null 2>&1
}

accel() {
	case "${QEMU_ACCEL:-}" in
	kvm | tcg) echo "$QEMU_ACCEL" ;;
	*) if kvm_works; then echo kvm; else echo tcg; fi ;;
	esac
}

accel_args() {
	case "$1" in
	kvm) echo "-enable-kvm -cpu host" ;;
	tcg) echo "-accel tcg,thread=${TCG_THREAD:-multi} -cpu max" ;;
	esac
}

main() {
	if [ "${1:-}" = --probe ]; then
		accel
		exit 0
	fi
	[ $# -ge 4 ] || { echo "usage: run-guest.sh KERNEL INITRD LOGFILE VERDICTFILE [TIMEOUT]" >&2; exit 2; }
	local kernel=$1 initrd=$2 log=$3 verdict=$4 limit=${5:-600} a rc=0
	a=$(accel)
	: >"$verdict"
	# shellcheck disable=SC2046
	timeout -k 10 "$limit" qemu-system-x86_64 \
		$(accel_args "$a") -smp 2 -m "${GUEST_MEM:-1024}" \
		-nographic -monitor none -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" \
		-serial stdio -serial file:"$verdict" \
		-append "console=ttyS0 panic=-1 oops=panic ${GUEST_APPEND:-}" \
		</dev/null >"$log" 2>&1 || rc=$?
	[ "$rc" = 124 ] && echo "run-guest: guest killed after $limit s" >>"$log"
	return "$rc"
}

main "$@"
