#!/bin/bash
# make demo: build selfconn, boot the Debian kernel in QEMU, make
# self-connects in the guest and show /proc/selfconn.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

main() {
	local dir=$CACHE/lanes/demo start
	cd "$ROOT"
	lane/deps.sh
	mkdir -p "$dir"
	timed "building the module and the companion" build_demo "$dir" || exit 1
	lane/mkinitramfs.sh --ko "$dir/selfconn.ko" --user "$(user_binary)" \
		--kver "$(distro_kver)" --demo lane/guest-demo "$dir/initramfs.cpio.gz"
	start=$(date +%s)
	log "booting $(distro_kernel) in QEMU (about 10 s)"
	GUEST_APPEND=selfconn_lane=demo lane/run-guest.sh "$(distro_kernel)" \
		"$dir/initramfs.cpio.gz" "$dir/console.raw" "$dir/verdict.raw" \
		"${GUEST_TIMEOUT:-300}" || true
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
	{ build_module "$(distro_kdir)" "$1/selfconn.ko" && make -C "$ROOT" user; } >"$1/build.log" 2>&1 || {
		cat "$1/build.log"
		return 1
	}
}

main "$@"
