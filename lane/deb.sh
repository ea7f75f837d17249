#!/bin/bash
# make deb: build selfconn-dkms_VERSION_all.deb and selfconn_VERSION_ARCH.deb
# from debian/ with dpkg-buildpackage, in a copy of the tree under .cache/deb
# (the files git tracks or would track, as they are in the work tree), so
# the work tree stays clean; move the two .debs into dist/ and check them
# with lintian, which must report no error and no warning.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$root/VERSION")
arch=$(dpkg --print-architecture)
build=$root/.cache/deb
src=$build/selfconn-$version
dist=$root/dist

"$root/lane/deps.sh" deb

rm -rf "$build"
mkdir -p "$src" "$dist"
(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
while IFS= read -r -d '' f; do
	# A tracked file deleted in the work tree is not part of it.
	[ -e "$root/$f" ] || continue
	mkdir -p "$src/$(dirname "$f")"
	cp -a "$root/$f" "$src/$f"
done

(cd "$src" && dpkg-buildpackage -us -uc -b)

debs=("selfconn-dkms_${version}_all.deb" "selfconn_${version}_${arch}.deb")
for d in "${debs[@]}"; do
	rm -f "$dist/$d"
	mv "$build/$d" "$dist/"
done
echo ">>> deb: ${debs[*]/#/dist/}"
echo ">>> deb: lintian --fail-on error,warning --info"
(cd "$dist" && lintian --fail-on error,warning --info "${debs[@]}")
echo ">>> deb: lintian reports no error and no warning"
