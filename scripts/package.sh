#!/usr/bin/env bash
# Builds Switchboard's release artifacts and checks them (issue 7).
#
#   scripts/package.sh linux          dist/Switchboard-<ver>-linux-amd64.tar.xz (fyne package; .desktop
#                                     registers sip: sips: tel: callto:, checked by desktop-file-validate)
#   scripts/package.sh windows        dist/Switchboard-<ver>-windows-amd64.exe (mingw-w64 cross-build,
#                                     icon + version info + manifest) and register-links.ps1
#   scripts/package.sh wine-smoke     runs that .exe under Wine + Xvfb (+ a PulseAudio null sink):
#                                     window appears, screenshot, sound device opens
#   scripts/package.sh cross-check    android/arm64 build and darwin/arm64 vet of the packages that
#                                     need no cgo
#   scripts/package.sh dist           all of the above the machine can build, plus SHA256SUMS
#
# Caches live outside the repository, keyed by version, so CI re-runs are fast:
#   ${SWITCHBOARD_CROSS_CACHE:-~/.cache/switchboard-cross}: mingw libopus, the Windows GOCACHE (one
#   GOCACHE per target: a cached cgo package does not notice a different PKG_CONFIG_LIBDIR), the
#   Wine prefix with the bcryptprimitives.dll shim; ~/.cache/switchboard-tools: the fyne tool.
# Native builds use the default GOCACHE, so they share it with the tests.
# Screenshots and logs go to $SWITCHBOARD_ARTIFACTS (default /tmp/switchboard-artifacts).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$PATH:/usr/local/go/bin"
export LANG=C.UTF-8

dist=${DIST:-$root/dist}
cross=${SWITCHBOARD_CROSS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard-cross}
tools=${XDG_CACHE_HOME:-$HOME/.cache}/switchboard-tools
arts=${SWITCHBOARD_ARTIFACTS:-/tmp/switchboard-artifacts}
mkdir -p "$dist" "$cross" "$tools" "$arts"

# fyne.io/tools, pinned: its behaviour (rewriting FyneApp.toml, the %F Exec
# line) is what this script works around, so a new release is a deliberate
# upgrade, not whatever @latest is that day.
fyne_version=v1.7.4

# Tags for the Windows build: hraban/opus without libopusfile, no spandsp
# (G.722) and no speexdsp (echo canceller) — Debian ships neither for
# mingw; see README "Windows".
windows_tags=nolibopusfile,nog722,nospandsp,nospeexdsp

toml() { sed -n "s/^$1 *= *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" FyneApp.toml | head -1; }
version=$(toml Version)
build=$(toml Build)
app_id=$(toml ID)
name=$(toml Name)
# Cleanups run at exit (RETURN traps would fire for every nested function).
cleanups=()
on_exit() {
	local i
	for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[i]}" || true; done
}
trap on_exit EXIT
stamp() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(stamp)" 'BEGIN { printf "%.1f s", b - a }'; }
log() { echo "== package: $*" >&2; }

fyne_tool() {
	local bin="$tools/fyne-$fyne_version"
	if [ ! -x "$bin" ]; then
		log "installing fyne.io/tools $fyne_version"
		local tmp
		tmp=$(mktemp -d)
		GOBIN=$tmp go install "fyne.io/tools/cmd/fyne@$fyne_version"
		mv "$tmp/fyne" "$bin"
		rmdir "$tmp"
	fi
	echo "$bin"
}

# ---------------------------------------------------------------- Linux ---
linux() {
	local t0 work exe out
	t0=$(stamp)
	work=$(mktemp -d)
	cleanups+=("rm -rf '$work'; [ -f '$work.toml' ] && mv '$work.toml' '$root/FyneApp.toml'")
	exe="$work/switchboard"
	# A plain go build shares the tests' GOCACHE (warm: seconds). Letting
	# fyne package build would recompile all cgo code with its own CFLAGS
	# (5+ minutes cold, a second cache copy); --executable skips that.
	go build -ldflags "-s -w" -o "$exe" .
	log "linux: go build $(took "$t0")"
	local fyne
	fyne=$(fyne_tool)
	# fyne package rewrites FyneApp.toml (it bumps Build); keep ours.
	cp FyneApp.toml "$work.toml"
	(cd "$work" && "$fyne" package -os linux --src "$root" --executable "$exe" \
		--name "$name" --app-id "$app_id" --app-version "$version" --app-build "$build" \
		--icon "$root/assets/icon.png" >&2)
	mv "$work.toml" FyneApp.toml
	local tarball
	tarball=$(ls "$work"/*.tar.xz)

	# Fix up the package: the URL handler Exec line, the icon set, and our
	# own Makefile (fyne's puts "%F" into its install paths).
	mkdir "$work/pkg"
	tar -C "$work/pkg" -xJf "$tarball"
	local top="$work/pkg/switchboard"
	local desktop="$top/usr/local/share/applications/$app_id.desktop"
	[ -f "$desktop" ] || { echo "package: fyne package wrote no $desktop" >&2; return 1; }
	# fyne writes "Exec=<exe> %F" (a list of files) for [CanOpen]; a URL
	# handler takes one URL: %u.
	sed -i -e 's/^\(Exec=[^%]*[^ %]\)\( %[fFuU]\)*$/\1 %u/' "$desktop"
	for size in 16 24 32 48 64 128 256; do
		install -Dm644 "assets/icons/${size}x${size}.png" \
			"$top/usr/local/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
	done
	install -Dm644 assets/icon.svg "$top/usr/local/share/icons/hicolor/scalable/apps/$app_id.svg"
	install -m644 packaging/linux/Makefile "$top/Makefile"
	check_desktop "$desktop"
	# The archive's Makefile must install what it lists.
	make -s -C "$top" install DESTDIR="$work/staged" >/dev/null
	[ -x "$work/staged/usr/local/bin/switchboard" ] && [ -f "$work/staged/usr/local/share/applications/$app_id.desktop" ] || {
		echo "package: make install from the archive did not install the app" >&2
		return 1
	}
	out="$dist/Switchboard-$version-linux-amd64.tar.xz"
	XZ_OPT=${XZ_OPT:--T0} tar -C "$work/pkg" --owner=0 --group=0 --sort=name -cJf "$out" switchboard
	cp "$desktop" "$arts/$app_id.desktop"
	log "linux: $(basename "$out") $(du -h "$out" | cut -f1) in $(took "$t0")"
}

# check_desktop fails unless the .desktop file validates and registers the
# four link schemes with a %u Exec line.
check_desktop() {
	local f=$1
	desktop-file-validate "$f"
	local mime
	mime=$(sed -n 's/^MimeType=//p' "$f")
	for s in sip sips tel callto; do
		case ";$mime" in *";x-scheme-handler/$s;"*) ;; *)
			echo "package: $f: MimeType lacks x-scheme-handler/$s: $mime" >&2
			return 1
			;;
		esac
	done
	grep -q '^Exec=.* %u$' "$f" || {
		echo "package: $f: Exec must end in %u for URL handlers: $(grep ^Exec= "$f")" >&2
		return 1
	}
	log "linux: $(basename "$f") valid, handles sip: sips: tel: callto:"
}

# -------------------------------------------------------------- Windows ---
windows_exe() { echo "$dist/Switchboard-$version-windows-amd64.exe"; }

windows() {
	local t0 prefix out
	t0=$(stamp)
	prefix=$(./scripts/cross-libs.sh)
	log "windows: libopus for mingw in $prefix ($(took "$t0"))"
	out=$(windows_exe)
	local syso="$root/rsrc_windows_amd64.syso" # only linked into windows/amd64 builds
	cleanups+=("rm -f '$syso'")
	local major minor patch vi_json
	IFS=. read -r major minor patch <<<"$version"
	vi_json=$(mktemp)
	cleanups+=("rm -f '$vi_json'")
	echo '{}' >"$vi_json" # every field comes from the flags below
	# goversioninfo: icon, version resource and manifest as a .syso the Go
	# linker picks up; the same library fyne package uses, without fyne's
	# second full build.
	go run github.com/josephspurrier/goversioninfo/cmd/goversioninfo@v1.7.0 -64 -o "$syso" \
		-icon assets/icon.ico -manifest packaging/windows/switchboard.exe.manifest \
		-company "Switchboard" -description "$name softphone" -product-name "$name" \
		-original-name Switchboard.exe -internal-name switchboard -copyright "Switchboard contributors" \
		-file-version "$version.$build" -product-version "$version.$build" \
		-ver-major "$major" -ver-minor "$minor" -ver-patch "${patch:-0}" -ver-build "$build" \
		-product-ver-major "$major" -product-ver-minor "$minor" -product-ver-patch "${patch:-0}" \
		-product-ver-build "$build" "$vi_json"
	log "windows: resources $(took "$t0")"
	# Cold: ~13 min on 2 cores (GLFW, go-gl and miniaudio in C); warm: seconds.
	PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" GOCACHE="$cross/gocache-windows" \
		GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
		go build -tags "$windows_tags" -trimpath -ldflags "-H windowsgui -s -w" -o "$out" .
	rm -f "$syso"
	cp packaging/windows/register-links.ps1 "$dist/register-links.ps1"
	# The exe must be a GUI PE32+ with our version resource and no DLLs
	# beyond the system ones.
	file "$out" | grep -q 'PE32+ executable (GUI) x86-64' || {
		echo "package: $out is not a 64-bit GUI PE: $(file "$out")" >&2
		return 1
	}
	strings -el "$out" | grep -qx "$version.$build" || {
		echo "package: $out has no version resource $version.$build" >&2
		return 1
	}
	local dlls
	dlls=$(x86_64-w64-mingw32-objdump -p "$out" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
	for d in $dlls; do
		case $d in gdi32.dll | kernel32.dll | opengl32.dll | shell32.dll | user32.dll | msvcrt.dll | winmm.dll | ole32.dll | advapi32.dll | ws2_32.dll | crypt32.dll | bcrypt.dll | ntdll.dll | userenv.dll | dnsapi.dll | iphlpapi.dll | secur32.dll | netapi32.dll | comctl32.dll | dwmapi.dll | shcore.dll | imm32.dll | version.dll | winspool.drv | comdlg32.dll | oleaut32.dll | uxtheme.dll | powrprof.dll | setupapi.dll | hid.dll | mswsock.dll) ;;
		*)
			echo "package: $out needs $d, which Windows does not ship" >&2
			return 1
			;;
		esac
	done
	log "windows: $(basename "$out") $(du -h "$out" | cut -f1), imports: $dlls($(took "$t0"))"
}

# ----------------------------------------------------------- Wine smoke ---
wine_prefix() {
	local ver prefix
	ver=$(wine --version 2>/dev/null | tr -c 'A-Za-z0-9.\n-' _)
	prefix="$cross/wineprefix-$ver"
	if [ ! -f "$prefix/.switchboard-ready" ]; then
		log "wine: creating $prefix"
		rm -rf "$prefix"
		WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY= \
			timeout 300 wine wineboot --init >/dev/null 2>&1 || true
		WINEPREFIX=$prefix timeout 60 wineserver -w || true
		# Go >= 1.22 exes need ProcessPrng from bcryptprimitives.dll, which
		# Wine 8 lacks: a stub over RtlGenRandom (tests only; real Windows
		# has the DLL). builds.md, section 3.
		local src="$cross/bcryptprimitives.c"
		cat >"$src" <<'C'
#include <windows.h>
BOOLEAN NTAPI SystemFunction036(PVOID, ULONG); /* RtlGenRandom */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE d, SIZE_T n) {
  while (n) { ULONG k = n > 0x7fffffff ? 0x7fffffff : (ULONG)n;
    if (!SystemFunction036(d, k)) return FALSE; d += k; n -= k; } return TRUE; }
C
		x86_64-w64-mingw32-gcc -O2 -shared -o "$prefix/drive_c/windows/system32/bcryptprimitives.dll" "$src" -ladvapi32
		touch "$prefix/.switchboard-ready"
	fi
	echo "$prefix"
}

# stop_smoke stops what wine_smoke started, by process group, and this
# prefix's wineserver.
stop_smoke() {
	local p
	for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
	WINEPREFIX=$smoke_prefix timeout 20 wineserver -k 2>/dev/null || true
	rm -rf "$smoke_work"
}

wine_smoke() {
	local t0 exe prefix work
	t0=$(stamp)
	exe=$(windows_exe)
	[ -f "$exe" ] || windows
	prefix=$(wine_prefix)
	work=$(mktemp -d)
	pids=() # process groups we started (setsid: group id = pid)
	smoke_prefix=$prefix smoke_work=$work
	cleanups+=(stop_smoke)

	# A private X server and a PulseAudio with a null sink: Wine's
	# winepulse driver gives the app a real WASAPI device on it.
	setsid Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
	pids+=($!)
	local i
	for i in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.2; done
	[ -s "$work/display" ] || { echo "package: Xvfb did not start" >&2; return 1; }
	local display=":$(head -1 "$work/display")"
	local pulse="$work/pulse"
	mkdir -p "$pulse"
	if command -v pulseaudio >/dev/null; then
		HOME=$work XDG_RUNTIME_DIR=$pulse setsid pulseaudio -n --daemonize=no --exit-idle-time=-1 --disallow-exit \
			-L "module-native-protocol-unix socket=$pulse/native auth-anonymous=1" \
			-L "module-null-sink sink_name=spk" -L "module-null-sink sink_name=mic" \
			>"$work/pulse.log" 2>&1 &
		pids+=($!)
		for i in $(seq 50); do [ -S "$pulse/native" ] && break; sleep 0.2; done
	fi

	local applog="$arts/wine-smoke.log"
	# Fresh app settings each run; the prefix itself is cached.
	rm -rf "$prefix"/drive_c/users/*/AppData/Roaming/fyne "$prefix"/drive_c/users/*/AppData/Roaming/switchboard
	DISPLAY=$display WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
		PULSE_SERVER="unix:$pulse/native" SWITCHBOARD_DEBUG=1 \
		setsid wine "$exe" >"$applog" 2>&1 &
	pids+=($!)
	local wid=""
	for i in $(seq 300); do # up to 60 s: a cold Wine prefix is slow to start
		wid=$(DISPLAY=$display xdotool search --name '^Switchboard$' 2>/dev/null | head -1 || true)
		[ -n "$wid" ] && break
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.2
	done
	if [ -z "$wid" ]; then
		echo "package: wine: no Switchboard window within 60 s; log:" >&2
		tail -40 "$applog" >&2
		return 1
	fi
	# Let it render, then keep the evidence.
	local shot="$arts/wine-smoke.png"
	for i in $(seq 50); do
		grep -q 'sound device open\|no sound device' "$applog" && break
		sleep 0.2
	done
	sleep 2
	DISPLAY=$display xwd -silent -id "$wid" | xwdtopnm 2>/dev/null | pnmtopng >"$shot"
	[ -s "$shot" ] || { echo "package: wine: screenshot failed" >&2; return 1; }
	# The window must show something besides one colour (a blank or black
	# window means GL did not render).
	local colours
	colours=$(pngtopnm "$shot" | ppmhist -noheader 2>/dev/null | wc -l)
	if [ "$colours" -lt 8 ]; then
		echo "package: wine: the window looks blank ($colours colours): $shot" >&2
		return 1
	fi
	if ! grep -q 'sound device open' "$applog"; then
		echo "package: wine: the sound device did not open; log:" >&2
		grep -i 'sound\|audio\|device' "$applog" >&2 || tail -20 "$applog" >&2
		return 1
	fi
	# Wine 8 does not implement the SIO_UDP_NETRESET ioctl Go >= 1.24 sets on
	# every UDP socket, so SIP cannot listen under it (real Windows has the
	# ioctl); the app then opens its main window with accounts saying SIP is
	# unavailable. Any start error fails the test.
	if grep -q 'cannot start' "$applog"; then
		echo "package: wine: the app could not start:" >&2
		grep 'cannot start' "$applog" >&2
		return 1
	fi
	if grep -q 'SIP unavailable' "$applog"; then
		if grep 'SIP unavailable' "$applog" | grep -q 'wsaioctl'; then
			log "wine: SIP cannot listen under Wine 8 (no SIO_UDP_NETRESET); the main window opened without it"
		else
			echo "package: wine: SIP unavailable:" >&2
			grep 'SIP unavailable' "$applog" >&2
			return 1
		fi
	fi
	# The single-instance hand-off as the Windows build does it (loopback
	# TCP + key file, no flock): app/launch's tests, two real processes
	# included, as a Windows exe under the same Wine.
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$work/launch_test.exe" ./app/launch
	if ! WINEPREFIX=$prefix WINEDEBUG=-all timeout 120 wine "$work/launch_test.exe" -test.count=1 \
		>"$arts/wine-launch-test.log" 2>&1; then
		echo "package: wine: app/launch tests failed on the Windows build:" >&2
		tail -20 "$arts/wine-launch-test.log" >&2
		return 1
	fi
	log "wine: app/launch tests (single-instance hand-off) pass on the Windows build"
	if grep -q 'cannot check for a running Switchboard' "$applog"; then
		echo "package: wine: the app could not set up its single-instance socket:" >&2
		grep 'cannot check for a running' "$applog" >&2
		return 1
	fi
	log "wine: window $wid, $colours colours, $(grep -o 'sound device open.*' "$applog" | head -1); screenshot $shot ($(took "$t0"))"
}

# -------------------------------------------------- Android and macOS ---
# Packages that need cgo on Android and macOS (Fyne and its GL driver,
# miniaudio) are left out; everything else must build there.
nocgo_packages() {
	go list -f '{{.ImportPath}} {{join .Deps " "}}' ./... |
		awk '$0 !~ / fyne\.io\/fyne\/v2 / && $0 !~ / github\.com\/gen2brain\/malgo( |$)/ && $1 !~ /^switchboard\/(e2e|internal\/testpeer|internal\/bench)$/ { print $1 }'
}

cross_check() {
	local t0 pkgs
	t0=$(stamp)
	mapfile -t pkgs < <(nocgo_packages)
	log "cross-check: ${#pkgs[@]} packages without cgo: ${pkgs[*]#switchboard/}"
	# -checklinkname=0: pion's dependency wlynxg/anet uses a go:linkname Go
	# 1.23+ blocks (only matters when linking; see builds.md, Android).
	GOOS=android GOARCH=arm64 CGO_ENABLED=0 go build -ldflags=-checklinkname=0 "${pkgs[@]}"
	log "cross-check: android/arm64 build OK ($(took "$t0"))"
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go vet "${pkgs[@]}"
	log "cross-check: darwin/arm64 vet OK ($(took "$t0"))"
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go vet ./app/launch ./app/keyring
	log "cross-check: windows vet of app/launch, app/keyring OK ($(took "$t0"))"
}

# ----------------------------------------------------------------- dist ---
dist() {
	rm -f "$dist"/Switchboard-* "$dist/SHA256SUMS"
	linux
	if command -v x86_64-w64-mingw32-gcc >/dev/null; then
		windows
	else
		log "dist: no mingw-w64 (apt-get install gcc-mingw-w64-x86-64): no Windows exe"
	fi
	cross_check
	log "dist: macOS and Android packages need a Mac / the Android NDK: see README, Packaging"
	(cd "$dist" && sha256sum -- * | grep -v ' SHA256SUMS$' >SHA256SUMS)
	log "dist: $(ls "$dist" | tr '\n' ' ')"
}

case "${1:-}" in
linux) linux ;;
windows) windows ;;
wine-smoke) wine_smoke ;;
cross-check) cross_check ;;
dist) dist ;;
*)
	sed -n '2,19p' "$0" >&2
	exit 2
	;;
esac
