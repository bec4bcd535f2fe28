#!/usr/bin/env bash
# Builds the C libraries the Windows cross-build links and Debian does not
# ship for mingw-w64, into a cache outside the repository keyed by version,
# and prints the prefix to use as PKG_CONFIG_LIBDIR=<prefix>/lib/pkgconfig.
#
#   scripts/cross-libs.sh      → ~/.cache/switchboard-cross/mingw64-opus-<debian version>
#
# libopus comes from Debian's own source package (the same version and
# patches as the Linux build's libopus-dev), configured for
# x86_64-w64-mingw32 as a static library. It needs a deb-src line; one for
# the running Debian release is added under /etc/apt/sources.list.d when
# missing. A second run with the cache present does nothing (< 1 s).
#
# spandsp (G.722) is deliberately not built: its configure needs a mingw
# libtiff (fax support) and Debian has none, so the Windows build uses the
# nog722 tag and offers Opus, PCMU and PCMA (see README, "Windows").
set -euo pipefail

cache=${SWITCHBOARD_CROSS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard-cross}
host=x86_64-w64-mingw32
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)

# The version of the host's libopus-dev, else the candidate from apt.
ver=$(dpkg-query -W -f='${Version}' libopus-dev 2>/dev/null || true)
[ -n "$ver" ] || ver=$(apt-cache policy libopus-dev | sed -n 's/ *Candidate: //p')
prefix="$cache/mingw64-opus-$ver"
if [ -f "$prefix/lib/pkgconfig/opus.pc" ] && [ -f "$prefix/lib/libopus.a" ]; then
	echo "$prefix"
	exit 0
fi
command -v "$host-gcc" >/dev/null || { echo "cross-libs.sh: $host-gcc missing (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 1; }

if ! apt-cache showsrc opus 2>/dev/null | grep -q "^Version: $ver\$"; then
	. /etc/os-release
	echo "cross-libs.sh: adding a deb-src line for $VERSION_CODENAME (opus source package)" >&2
	"${sudo[@]}" tee /etc/apt/sources.list.d/switchboard-deb-src.sources >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $VERSION_CODENAME $VERSION_CODENAME-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	"${sudo[@]}" apt-get update -q >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
	cd "$work"
	# --download-only + dpkg-source: no build-dependencies needed.
	apt-get source --download-only "opus=$ver" >&2
	dpkg-source --no-check -x opus_*.dsc src >&2
	cd src
	# FORTIFY off and no stack protector: otherwise the link needs
	# libssp-0.dll next to the exe (builds.md, "opus").
	./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
		--disable-doc --disable-extra-programs --disable-stack-protector \
		CPPFLAGS=-D_FORTIFY_SOURCE=0 >&2
	make -j"$(nproc)" >&2
	make install >&2
)
echo "$prefix"
