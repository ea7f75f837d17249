#!/bin/bash
# Fetch Debian's promtool (package prometheus) and node_exporter (package
# prometheus-node-exporter) of the host's own release into the machine-wide
# cache, unpacked once per version with dpkg -x: nothing is installed, no
# daemon starts. Prints PROMTOOL=PATH and NODE_EXPORTER=PATH.
# Env: XDG_CACHE_HOME (the cache is $XDG_CACHE_HOME/selfconn/tools).
set -euo pipefail
cache=${XDG_CACHE_HOME:-$HOME/.cache}/selfconn/tools

die() { echo "prom-fetch: $*" >&2; exit 1; }

# fetch PACKAGE: its unpacked root on stdout.
fetch() {
	local pkg=$1 ver dir
	ver=$(apt-cache policy "$pkg" | sed -n 's/^  Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no $pkg in the host's apt sources"
	dir=$cache/${pkg}_${ver//:/%3a}
	if [ ! -f "$dir/.done" ]; then
		echo ">>> prom-fetch: $pkg $ver" >&2
		rm -rf "$dir"
		mkdir -p "$dir"
		(cd "$dir" && apt-get download -qq "$pkg=$ver") 2>/dev/null ||
			die "apt-get download $pkg=$ver failed"
		dpkg -x "$dir"/*.deb "$dir/root"
		rm -f "$dir"/*.deb
		touch "$dir/.done"
	fi
	echo "$dir/root"
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
prom=$(fetch prometheus)
node=$(fetch prometheus-node-exporter)
[ -x "$prom/usr/bin/promtool" ] || die "no usr/bin/promtool in $prom"
[ -x "$node/usr/bin/prometheus-node-exporter" ] || die "no usr/bin/prometheus-node-exporter in $node"
echo "PROMTOOL=$prom/usr/bin/promtool"
echo "NODE_EXPORTER=$node/usr/bin/prometheus-node-exporter"
