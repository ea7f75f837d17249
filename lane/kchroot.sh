#!/bin/bash
# Run a command (make, for a module) inside a chroot made by
# lane/kernel-fetch.sh, for kernels whose kbuild tools need the C library
# and compiler of the suite they were built on.
#
# Usage: kchroot.sh CHROOT COMMAND [ARG...]
#
# The command runs in a private mount namespace (the mounts vanish with it),
# in the same directory, with these bind-mounted at their own paths: the
# current directory, the selfconn cache (the unpacked kernels), and every
# existing absolute directory named by an argument (make -C DIR, M=DIR).
# Needs root (unshare, mount, chroot).
set -eu
[ $# -ge 2 ] || { echo "usage: kchroot.sh CHROOT COMMAND [ARG...]" >&2; exit 2; }
chroot_dir=$(realpath "$1")
shift
[ -x "$chroot_dir/bin/sh" ] || { echo "kchroot: $chroot_dir is no chroot" >&2; exit 1; }

if [ -z "${KCHROOT_NS:-}" ]; then
	exec unshare --mount --propagation private \
		env KCHROOT_NS=1 "$0" "$chroot_dir" "$@"
fi
unset KCHROOT_NS

dirs=("$PWD" "${XDG_CACHE_HOME:-$HOME/.cache}/selfconn")
for a in "$@"; do
	a=${a#*=}
	case "$a" in
	/*) [ -d "$a" ] && dirs+=("$(realpath "$a")") ;;
	esac
done

# Parents before children; a directory under one already mounted is
# visible through it.
mounted=()
while IFS= read -r d; do
	for m in "${mounted[@]}"; do
		case "$d/" in "$m"/*) continue 2 ;; esac
	done
	# Not the host's root, nor the chroot or a directory inside it.
	[ "$d" != / ] || continue
	case "$d/" in "$chroot_dir"/*) continue ;; esac
	mkdir -p "$chroot_dir$d"
	mount --bind "$d" "$chroot_dir$d"
	mounted+=("$d")
done < <(printf '%s\n' "${dirs[@]}" | awk '{ print length($0) "\t" $0 }' |
	sort -n | cut -f 2- | uniq)

mount --rbind /dev "$chroot_dir/dev"
mount -t proc proc "$chroot_dir/proc"
# shellcheck disable=SC2016 # expanded by the inner sh
exec chroot "$chroot_dir" /bin/sh -c 'cd "$1" && shift && exec "$@"' \
	kchroot "$PWD" "$@"
