#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Switchboard needs, and nothing when
# they are all there already (checked with dpkg-query; apt-get update runs
# only when something is missing).
#
#   scripts/deps.sh        build deps: C toolchain for cgo, Fyne's OpenGL/X11
#                          headers, the ALSA runtime miniaudio (malgo) dlopens
#   scripts/deps.sh test   also the integration-test peers: kamailio (+ TLS
#                          and websocket modules), rtpengine-daemon (userspace,
#                          no kernel module), chromium (browser peer; node/npm
#                          are expected, see scripts/webrtc-js.sh), baresip,
#                          sipp, openssl, and the packaging tools below
#   scripts/deps.sh package  build deps plus what scripts/package.sh needs:
#                          desktop-file-validate, xz, dpkg-source, mingw-w64,
#                          Wine, Xvfb/xdotool/xwd/netpbm, PulseAudio
#
# Runs apt-get as root, or through sudo when not root. Go itself is not
# installed here (Debian 12's golang is too old for go.mod's `go 1.26`); a
# missing or old go is reported at the end.
set -euo pipefail

# Fyne: gcc + libc headers for cgo, pkg-config, GL and the X11 extension
# headers GLFW builds against. miniaudio (github.com/gen2brain/malgo) links
# only -ldl -lpthread -lm and dlopens libasound.so.2 at run time, so it needs
# the ALSA runtime library, not libasound2-dev.
build_pkgs=(
	gcc libc6-dev pkgconf
	libopus-dev libopusfile-dev libspandsp-dev libspeexdsp-dev
	libgl-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
	libxi-dev libxxf86vm-dev
	libasound2
)
# Peers started by internal/testpeer.
test_pkgs=(kamailio kamailio-tls-modules kamailio-websocket-modules rtpengine-daemon chromium baresip-core sip-tester openssl
	xvfb xdotool x11-apps netpbm pulseaudio pulseaudio-utils gnome-keyring libsecret-tools dbus dbus-x11)

# scripts/package.sh: the Linux package check, the Windows cross-build
# (libopus is built from Debian's source package: dpkg-dev) and the Wine
# smoke test.
package_pkgs=(desktop-file-utils xz-utils dpkg-dev file binutils make gcc-mingw-w64-x86-64 wine wine64
	xvfb xdotool x11-apps netpbm pulseaudio)

want=("${build_pkgs[@]}")
case "${1:-}" in
"") ;;
test) want+=("${test_pkgs[@]}" "${package_pkgs[@]}") ;;
package) want+=("${package_pkgs[@]}") ;;
-h | --help)
	sed -n '2,17p' "$0"
	exit 0
	;;
*)
	echo "usage: $0 [test|package]" >&2
	exit 2
	;;
esac

# One dpkg-query for all packages (unknown ones just print nothing).
have=" $(dpkg-query -W -f='${Package}=${Status}\n' "${want[@]}" 2>/dev/null |
	sed -n 's/=install ok installed$//p' | tr '\n' ' ' || true) "
missing=()
for p in "${want[@]}"; do
	[[ "$have" == *" $p "* ]] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	if ! command -v apt-get >/dev/null; then
		echo "deps.sh: missing packages (${missing[*]}) and no apt-get; install them by hand" >&2
		exit 1
	fi
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null; then
			sudo=(sudo)
		else
			echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2
			exit 1
		fi
	fi
	echo "deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "deps.sh: all ${#want[@]} packages present"
fi

# Go: report only.
gobin=$(command -v go || true)
[ -z "$gobin" ] && [ -x /usr/local/go/bin/go ] && gobin=/usr/local/go/bin/go
if [ -z "$gobin" ]; then
	echo "deps.sh: warning: go not found; install Go >= 1.26 from https://go.dev/dl/ into /usr/local/go" >&2
else
	v=$("$gobin" env GOVERSION 2>/dev/null || true)
	v=${v#go}
	major=${v%%.*}
	rest=${v#*.}
	minor=${rest%%[!0-9]*}
	if [ -z "$major" ] || [ -z "$minor" ] || [ "$major" -lt 1 ] ||
		{ [ "$major" -eq 1 ] && [ "$minor" -lt 21 ]; }; then
		echo "deps.sh: warning: $gobin is go$v; go.mod needs 1.26 (go >= 1.21 can fetch it by itself via GOTOOLCHAIN=auto)" >&2
	fi
fi
exit 0
