#!/bin/bash
# Fetch and unpack a Debian kernel (image, modules and headers) into the
# machine-wide cache, once, and say where it is.
#
# Usage: kernel-fetch.sh [--source] SERIES    SERIES: 5.10, 6.1, 6.12, 7 or newest
#   --source: the series' linux-source package instead (of the kernel's
#   own version), its tree extracted once by lane/source-tree.sh: prints
#   KERNEL_RELEASE, KERNEL_SOURCE_TARBALL and KERNEL_SOURCE (the tree) only.
#
# The packages come from the machine's own Debian mirrors (the URIs of
# /etc/apt/sources.list.d/debian.sources) with another suite, through a
# private apt configuration in the cache: nothing is installed and the
# host's apt configuration is not touched.
#
#   5.10    bullseye (and its -updates/-security, as the host has them)
#   6.1     bookworm (idem)
#   6.12    bookworm-backports: built on bookworm, its kbuild tools run here
#   7       the newest 7.x of trixie-backports and sid
#   newest  the newest kernel of trixie-backports and sid
#
# The newest version of the series is resolved at each run. Kernels whose
# kbuild tools do not run on this host (built against a newer glibc) get a
# debootstrap'd chroot of the suite they were built on, with the compiler
# their headers ask for; the module is then built in it through
# lane/kchroot.sh (KERNEL_WRAP). See lane/README.md.
#
# Output on stdout, one shell assignment a line (eval it, or parse KEY=VALUE):
#   KERNEL_RELEASE    the kernel release (uname -r of the guest)
#   KERNEL_VMLINUZ    the kernel image
#   KERNEL_KDIR       the headers tree to build a module against (make -C)
#   KERNEL_MODULES    lib/modules/RELEASE (modules decompressed, depmod run)
#   KERNEL_MAKE_ARGS  extra make arguments that module builds need here
#   KERNEL_WRAP       a command to run make under (empty: run it directly)
# With --source: KERNEL_SOURCE, the extracted linux-source-X.Y of the
# series' newest kernel (sources/linux-source-VERSION/linux-source-X.Y in
# the cache), for checkpatch.pl and kernel builds; nothing else is fetched.
#
# Env: XDG_CACHE_HOME (the cache is $XDG_CACHE_HOME/selfconn, by default
# ~/.cache/selfconn), KERNEL_FETCH_LISTS_AGE (minutes a package list is
# used before apt-get update runs again; 360).
set -eu

LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
want_source=
if [ "${1:-}" = --source ]; then
	want_source=1
	shift
fi
series=${1:-}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/selfconn
APT_ROOT=$CACHE_ROOT/apt
KERNELS=$CACHE_ROOT/kernels
CHROOTS=$CACHE_ROOT/chroot
HOST_SOURCES=/etc/apt/sources.list.d/debian.sources
LISTS_AGE=${KERNEL_FETCH_LISTS_AGE:-360}

log() { echo ">>> kernel-fetch: $*" >&2; }
die() { echo "kernel-fetch: $*" >&2; exit 1; }

case "$series" in
5.10) groups=(bullseye) ;;
6.1) groups=(bookworm) ;;
6.12) groups=(bookworm-backports) ;;
7 | newest) groups=(trixie-backports sid) ;;
*) die "usage: kernel-fetch.sh [--source] 5.10|6.1|6.12|7|newest" ;;
esac
case "$series" in
newest) series_re='[0-9]+\.' ;;
*) series_re="${series//./\\.}\\." ;;
esac

# pahole (module BTF), debootstrap, xz, depmod: installed on the host once.
"$LANE_DIR/deps.sh" kernels >&2

# One fetch at a time on the machine: the cache is shared by every clone.
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/kernel-fetch.lock"
flock 9

[ -r "$HOST_SOURCES" ] || die "no $HOST_SOURCES: the mirrors are taken from it"
# shellcheck disable=SC1091 # the host's, read at run time
host_codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$host_codename" ] || die "no VERSION_CODENAME in /etc/os-release"

# The stanzas of the host's debian.sources, one a line:
# URIS|SUITES|SIGNED_BY (Components are main here: the kernel is in main).
host_stanzas() {
	awk '
	function flush() {
		if (uris != "" && suites != "")
			print uris "|" suites "|" signed
		uris = ""; suites = ""; signed = ""
	}
	/^[ \t]*$/ { flush(); next }
	/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
	/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
	/^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); signed = $0 }
	END { flush() }' "$HOST_SOURCES"
}

# Write the private deb822 sources file of GROUP to FILE. A group named
# after a release (bullseye, bookworm) mirrors each host stanza with the
# host's codename replaced (bookworm-security -> bullseye-security); any
# other (a backports suite, sid) takes the URIs of the stanza that carries
# the host's own release.
write_sources() {
	local group=$1 file=$2 uris suites signed s out found=0
	: >"$file"
	while IFS='|' read -r uris suites signed; do
		out=
		case "$group" in
		*-* | sid)
			for s in $suites; do
				[ "$s" = "$host_codename" ] && out=$group
			done
			;;
		*)
			for s in $suites; do
				case "$s" in
				"$host_codename" | "$host_codename"-*)
					out="$out ${group}${s#"$host_codename"}" ;;
				esac
			done
			;;
		esac
		[ -n "$out" ] || continue
		found=1
		{
			echo "Types: deb"
			echo "URIs: $uris"
			echo "Suites: ${out# }"
			echo "Components: main"
			[ -z "$signed" ] || echo "Signed-By: $signed"
			echo
		} >>"$file"
	done < <(host_stanzas)
	[ "$found" = 1 ] || die "no stanza for $host_codename in $HOST_SOURCES"
}

apt_opts() {
	local d=$APT_ROOT/$1
	# No parts and no preferences of the host's; an empty dpkg status,
	# so that packages installed on the host are not listed.
	echo "-o Dir::Etc::sourcelist=$d/private.sources" \
		"-o Dir::Etc::sourceparts=$APT_ROOT/empty.d" \
		"-o Dir::Etc::preferences=$APT_ROOT/empty.d/none" \
		"-o Dir::Etc::preferencesparts=$APT_ROOT/empty.d" \
		"-o Dir::State::Lists=$d/lists -o Dir::State::status=$d/status" \
		"-o Dir::Cache=$d/cache"
}

# apt-get/apt-cache on GROUP's private configuration.
# shellcheck disable=SC2046 # apt_opts holds no spaces but between options
group_apt_get() { local g=$1; shift; apt-get $(apt_opts "$g") "$@"; }
# shellcheck disable=SC2046
group_apt_cache() { local g=$1; shift; apt-cache $(apt_opts "$g") "$@"; }

# Refresh GROUP's package lists unless they are recent.
update_group() {
	local group=$1 d=$APT_ROOT/$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$APT_ROOT/empty.d"
	[ -f "$d/status" ] || : >"$d/status"
	write_sources "$group" "$d/private.sources.new"
	if cmp -s "$d/private.sources.new" "$d/private.sources" &&
		[ -n "$(find "$d/updated" -mmin "-$LISTS_AGE" 2>/dev/null)" ]; then
		rm -f "$d/private.sources.new"
		return 0
	fi
	mv "$d/private.sources.new" "$d/private.sources"
	log "apt-get update for $group"
	if group_apt_get "$group" -q update >"$d/update.log" 2>&1; then
		touch "$d/updated"
	elif [ -f "$d/updated" ]; then
		log "apt-get update for $group failed (see $d/update.log): using the lists of $(date -r "$d/updated")"
	else
		cat "$d/update.log" >&2
		die "apt-get update for $group failed"
	fi
}

pkg_field() { # GROUP PACKAGE FIELD
	group_apt_cache "$1" show --no-all-versions "$2" 2>/dev/null |
		sed -n "s/^$3: //p" | head -n 1
}

# The first alternative of each dependency of PACKAGE, without versions.
pkg_depends() { # GROUP PACKAGE
	pkg_field "$1" "$2" Depends | tr ',' '\n' |
		sed 's/|.*//; s/(.*//; s/[[:space:]]//g' | grep -v '^$' || true
}

# Resolve the newest headers package of the series: "GROUP PACKAGE VERSION".
# Resolved again only when a package list is newer than the last answer.
resolved=$APT_ROOT/resolved-$series
best=
for g in "${groups[@]}"; do
	update_group "$g"
	[ "$resolved" -nt "$APT_ROOT/$g/updated" ] || rm -f "$resolved"
done
[ ! -s "$resolved" ] || best=$(cat "$resolved")
[ -n "$best" ] || for g in "${groups[@]}"; do
	mapfile -t cands < <(group_apt_cache "$g" pkgnames linux-headers- |
		grep -E "^linux-headers-${series_re}[^ ]*-amd64\$" |
		grep -Ev -- '-(rt|cloud)-amd64$' || true)
	[ ${#cands[@]} -gt 0 ] || continue
	# One apt-cache call for all candidates: "PACKAGE VERSION" lines.
	while read -r pkg v; do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "${best##* }"; then
			best="$g $pkg $v"
		fi
	done < <(group_apt_cache "$g" show --no-all-versions "${cands[@]}" 2>/dev/null |
		awk '/^Package:/ { p = $2 } /^Version:/ { print p, $2 }')
done
[ -n "$best" ] || die "no linux-headers-*-amd64 for series $series in ${groups[*]}"
echo "$best" >"$resolved"
read -r group headers_pkg version <<<"$best"
abi=${headers_pkg#linux-headers-}
abi=${abi%-amd64}
release=$abi-amd64
root=$KERNELS/$release
log "series $series: $release ($version, $group)"

# The packages of this kernel: the headers and the image and what they
# depend on of the same kernel (-common, linux-kbuild-*, and on 7.x
# linux-binary-* and linux-modules-*).
kernel_packages() {
	local todo=("$headers_pkg" "linux-image-$release") seen=" " p d
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		case "$seen" in *" $p "*) continue ;; esac
		seen="$seen$p "
		echo "$p"
		for d in $(pkg_depends "$group" "$p"); do
			case "$d" in
			linux-kbuild-*) todo+=("$d") ;;
			linux-headers-*"$abi"* | linux-image-*"$abi"* | \
				linux-binary-*"$abi"* | linux-modules-*"$abi"* | \
				linux-base-*"$abi"*) todo+=("$d") ;;
			esac
		done
	done
}

# The compiler the headers ask for (gcc-N, gcc-N-for-host or
# linux-compiler-gcc-N-x86), from their Depends.
compiler_package() {
	pkg_depends "$group" "$headers_pkg" |
		grep -E '^(gcc-[0-9]+(-for-host)?|linux-compiler-gcc-[0-9]+-.*)$' |
		head -n 1
}

# The suite a kernel of GROUP was built on (its chroot's suite).
build_suite() {
	case "$1" in
	*-backports) echo "${1%-backports}" ;;
	*) echo "$1" ;;
	esac
}

# Fix an unpacked headers tree so that it builds where it is: the Makefiles
# and symlinks that name /usr/src/... or /usr/lib/... absolutely.
fix_tree() {
	local r=$1 f l t
	for f in "$r"/usr/src/linux-headers-*/Makefile; do
		[ -f "$f" ] || continue
		sed -i -E "s#([ =])/usr/(src|lib)/#\\1$r/usr/\\2/#g" "$f"
	done
	while IFS= read -r l; do
		t=$(readlink "$l")
		if [ -e "$r$t" ] || [ -L "$r$t" ]; then
			ln -sfn "$r$t" "$l"
		fi
	done < <(find "$r" -type l -lname '/*')
}

unpack() {
	local tmp=$KERNELS/.$release.tmp debs=$APT_ROOT/$group/debs p
	rm -rf "$tmp" "$debs"
	mkdir -p "$tmp" "$debs"
	mapfile -t pkgs < <(kernel_packages)
	log "downloading ${pkgs[*]}"
	# apt-get download writes to the current directory; as root it warns
	# that the _apt user cannot write there, which is harmless.
	(cd "$debs" && group_apt_get "$group" -q download "${pkgs[@]}" 2>&1 |
		grep -v 'unsandboxed as root' >&2) || true
	for p in "${pkgs[@]}"; do
		ls "$debs/${p}_"*.deb >/dev/null 2>&1 || die "apt-get download $p failed"
	done
	for p in "$debs"/*.deb; do
		dpkg-deb -x "$p" "$tmp"
	done
	rm -rf "$debs"
	# usr-merged packages (7.x) put the modules in usr/lib/modules.
	[ -e "$tmp/lib" ] || ln -s usr/lib "$tmp/lib"
	log "decompressing modules"
	find "$tmp/lib/modules/" -name '*.ko.xz' -print0 | xargs -0 -r xz -d
	rm -rf "$root"
	mv "$tmp" "$root"
	fix_tree "$root"
	depmod -b "$root" "$release"
}

# A chroot of SUITE with COMPILER, make, pahole and sparse (and the kbuild
# tools' libraries), for kernels whose kbuild tools need a newer glibc.
# .done holds the package list: a chroot made with another is made again.
make_chroot() {
	local suite=$1 compiler=$2 dir=$CHROOTS/$1-$2 uris extra include
	extra=$(pkg_depends "$group" "$(pkg_depends "$group" "$headers_pkg" |
		grep '^linux-kbuild-' | head -n 1)" | grep -v '^libc6$' | tr '\n' ,)
	include="${compiler},make,${extra}dwarves,sparse,xz-utils,dkms,kmod,openssl"
	if [ "$(cat "$dir/.done" 2>/dev/null)" = "$include" ]; then
		echo "$dir"
		return 0
	fi
	command -v debootstrap >/dev/null ||
		die "debootstrap is missing: run lane/deps.sh kernels"
	[ "$(id -u)" = 0 ] || die "a chroot for $release needs root (debootstrap, chroot)"
	uris=$(host_stanzas | while IFS='|' read -r u s _; do
		for x in $s; do [ "$x" = "$host_codename" ] && echo "${u%% *}"; done
	done | head -n 1)
	log "debootstrap $suite into $dir with $compiler (about 2 minutes and 520 MB, once)"
	rm -rf "$dir"
	mkdir -p "$CHROOTS"
	nice -n 19 debootstrap --variant=minbase \
		--include="$include" \
		"$suite" "$dir" "$uris" >"$CHROOTS/$suite-$compiler.log" 2>&1 ||
		die "debootstrap failed: see $CHROOTS/$suite-$compiler.log"
	echo "$include" >"$dir/.done"
	echo "$dir"
}

# A sparse that parses __typeof_unqual__ in the chroot: from 6.14 kbuild's
# checker-valid.sh refuses a checker that does not (C=2 then stops), and
# trixie's sparse 0.6.4 does not; sid's (0.6.5~rc1) does, and needs only
# the C library, so it goes to the chroot's /usr/local/bin, first in PATH.
chroot_sparse() {
	local dir=$1 debs=$APT_ROOT/sid/debs-sparse t=/tmp/typeof-unqual.c
	echo 'static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }' >"$dir$t"
	# sparse exits 0 after an error: checker-valid.sh reads its output too.
	if ! chroot "$dir" sparse "$t" 2>&1 | grep -q error; then
		return 0
	fi
	update_group sid
	rm -rf "$debs"
	mkdir -p "$debs"
	(cd "$debs" && group_apt_get sid -q download sparse 2>&1 |
		grep -v 'unsandboxed as root' >&2) || true
	ls "$debs"/sparse_*.deb >/dev/null 2>&1 || die "apt-get download sparse (sid) failed"
	dpkg-deb -x "$debs"/sparse_*.deb "$debs/x"
	install -m 755 "$debs/x/usr/bin/sparse" "$dir/usr/local/bin/sparse"
	rm -rf "$debs"
	! chroot "$dir" sparse "$t" 2>&1 | grep -q error ||
		log "sparse in $dir cannot check this kernel (__typeof_unqual__)"
}

# Whether the headers' kbuild tools (modpost, objtool, resolve_btfids and
# the real binaries behind Debian's wrappers) load with this host's C
# library: ldd says which GLIBC_ version one lacks, without running it.
# (A missing library of another kind, such as 5.10's sign-file wanting
# libcrypto 1.1, does not matter: a module build does not run those.)
tools_run_here() {
	local f v
	while IFS= read -r f; do
		head -c 4 "$f" | grep -q 'ELF' || continue
		v=$(ldd "$f" 2>&1 | grep -o "GLIBC_[0-9.]*' not found" | head -n 1) || true
		if [ -n "$v" ]; then
			log "$(basename "$f") does not load here: ${v%\' not found} not found"
			return 1
		fi
	done < <(find -L "$1/scripts" "$1/tools" -type f -perm -u+x 2>/dev/null)
	return 0
}

# linux-source-X.Y of the same version, unpacked next to the kernel.
unpack_source() {
	local dir=$KERNELS/$release-source pkg debs=$APT_ROOT/$group/debs tarball
	pkg=linux-source-$(echo "$version" | cut -d. -f1,2)
	if [ ! -f "$dir/.done" ]; then
		rm -rf "$dir" "$debs"
		mkdir -p "$debs" "$dir"
		log "downloading $pkg=$version"
		(cd "$debs" && group_apt_get "$group" -q download "$pkg=$version" 2>&1 |
			grep -v 'unsandboxed as root' >&2) || true
		ls "$debs/${pkg}_"*.deb >/dev/null 2>&1 || die "apt-get download $pkg=$version failed"
		dpkg-deb -x "$debs/${pkg}_"*.deb "$dir"
		rm -rf "$debs"
		touch "$dir/.done"
	fi
	tarball=$(ls "$dir"/usr/src/linux-source-*.tar.xz)
	printf 'KERNEL_RELEASE=%q\n' "$release"
	printf 'KERNEL_SOURCE_TARBALL=%q\n' "$tarball"
	printf 'KERNEL_SOURCE=%q\n' "$("$LANE_DIR/source-tree.sh" "$tarball")"
}

if [ -n "$want_source" ]; then
	unpack_source
	exit 0
fi

if [ ! -f "$root/.done" ]; then
	unpack
	touch "$root/.done"
fi

kdir=$root/usr/src/linux-headers-$release
[ -d "$kdir" ] || die "no $kdir"
# The headers' Makefile runs scripts/checker-valid.sh for C=1/C=2, which
# the package leaves out: lane/checker-valid.sh stands in for it.
for common in "$root"/usr/src/linux-headers-*-common; do
	if grep -qs 'scripts/checker-valid.sh' "$common/Makefile" &&
		[ ! -e "$common/scripts/checker-valid.sh" ]; then
		install -m 755 "$LANE_DIR/checker-valid.sh" "$common/scripts/checker-valid.sh"
	fi
done
modules=$root/lib/modules/$release
[ -d "$modules" ] || die "no $modules"
# 7.x's linux-binary-* puts the image in the modules directory.
vmlinuz=$root/boot/vmlinuz-$release
[ -f "$vmlinuz" ] || vmlinuz=$modules/vmlinuz
[ -f "$vmlinuz" ] || die "no vmlinuz in $root/boot or $modules"

# Extra make arguments and wrapper.
make_args=
wrap=
# Whether the tools load here is found once per kernel.
if [ ! -f "$root/.tools" ]; then
	if tools_run_here "$kdir"; then echo host; else echo chroot; fi >"$root/.tools"
fi
if [ "$(cat "$root/.tools")" = chroot ]; then
	# make_chroot makes it again when its package list changed.
	compiler=$(compiler_package)
	[ -n "$compiler" ] || die "the headers of $release name no compiler"
	chroot_dir=$(make_chroot "$(build_suite "$group")" "${compiler%-for-host}")
	chroot_sparse "$chroot_dir"
	wrap="$LANE_DIR/kchroot.sh $chroot_dir"
else
	# The kernel's compiler, if the host lacks it: the host's gcc builds
	# the module, without the options the host's gcc does not know.
	want=$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9]\{4\}$/\1/p' "$kdir/.config")
	if [ -n "$want" ] && ! command -v "gcc-$want" >/dev/null; then
		have=$(gcc -dumpversion)
		have=${have%%.*}
		make_args="CC=gcc-$have HOSTCC=gcc-$have"
		if grep -qs '^CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=y' "$kdir/.config" &&
			! gcc -fmin-function-alignment=16 -x c -c /dev/null -o /dev/null 2>/dev/null; then
			make_args="$make_args CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT="
		fi
	fi
fi

printf 'KERNEL_RELEASE=%q\n' "$release"
printf 'KERNEL_VMLINUZ=%q\n' "$vmlinuz"
printf 'KERNEL_KDIR=%q\n' "$kdir"
printf 'KERNEL_MODULES=%q\n' "$modules"
printf 'KERNEL_MAKE_ARGS=%q\n' "$make_args"
printf 'KERNEL_WRAP=%q\n' "$wrap"
