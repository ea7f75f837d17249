#!/bin/bash
# make demo: build selfconn, boot the Debian kernel in QEMU, make
# self-connects in the guest and show /proc/selfconn.
# make bench: the same guest runs lane/guest-bench instead (bench/selfconn_bench,
# with BENCH_ARGS passed to it), with GUEST_MEM (MiB) 4096 by default.
# DEMO_KERNEL: the Debian kernel series the guest boots (6.1).
# Usage: demo.sh [GUEST_SCRIPT]   (default lane/guest-demo)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

main() {
	local script=${1:-lane/guest-demo} dir start extra=() mem timeout
	dir=$CACHE/lanes/$(basename "$script" | sed 's/^guest-//')
	case "${BENCH_ARGS:-}" in *[!-0-9a-z\ ]*) echo "BENCH_ARGS: options and numbers only" >&2; exit 64 ;; esac
	cd "$ROOT"
	lane/deps.sh
	mkdir -p "$dir"
	kernel_env "${DEMO_KERNEL:-6.1}" "$dir/kernel.env"
	timed "building the module and the companion" build_demo "$dir" || exit 1
	if [ "$script" = lane/guest-bench ]; then
		timed "building the benchmark" make -C "$ROOT/bench" >"$dir/build-bench.log" 2>&1 ||
			{ cat "$dir/build-bench.log"; exit 1; }
		extra=(--bin "$ROOT/bench/selfconn_bench")
	fi
	BENCH_ARGS=${BENCH_ARGS:-} lane/mkinitramfs.sh --ko "$dir/selfconn.ko" --user "$(user_binary)" \
		--kver "$KERNEL_RELEASE" --modules-root "${KERNEL_MODULES%/lib/modules/*}" "${extra[@]}" --demo "$script" "$dir/initramfs.cpio.gz"
	mem=1024 timeout=300
	[ "$script" = lane/guest-bench ] && mem=4096 timeout=1800
	start=$(date +%s)
	log "booting $KERNEL_RELEASE in QEMU (about 10 s)"
	GUEST_APPEND=selfconn_lane=demo GUEST_MEM=${GUEST_MEM:-$mem} lane/run-guest.sh "$KERNEL_VMLINUZ" \
		"$dir/initramfs.cpio.gz" "$dir/console.raw" "$dir/verdict.raw" \
		"${GUEST_TIMEOUT:-$timeout}" || true
	tr -d '\r' <"$dir/console.raw" >"$dir/console.log"
	tr -d '\r' <"$dir/verdict.raw" >"$dir/verdict"
	log "guest ran $(($(date +%s) - start)) s; its output:"
	echo
	sed -n '/^# selfconn-lane: demo begin/,/^# selfconn-lane: demo end/p' "$dir/verdict" |
		grep -v '^# selfconn-lane:'
	echo
	if ! grep -q '^# selfconn-lane: demo end' "$dir/verdict"; then
		log "the demo did not finish; console log:"
		tail -n 40 "$dir/console.log"
		exit 1
	fi
	log "full console log: ${dir#"$ROOT"/}/console.log"
}

build_demo() {
	{ build_module "$KERNEL_KDIR" "$1/selfconn.ko" "$KERNEL_WRAP" "$KERNEL_MAKE_ARGS" &&
		make -C "$ROOT" user; } >"$1/build.log" 2>&1 || {
		cat "$1/build.log"
		return 1
	}
}

main "$@"
