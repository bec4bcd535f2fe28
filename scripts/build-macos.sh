#!/usr/bin/env bash
# Builds Switchboard.app on a Mac (macOS cannot be cross-built from Linux
# without Apple's SDK; see README, "Packaging"). Needs Xcode Command Line
# Tools, Go >= 1.26 and Homebrew.
#
#   scripts/build-macos.sh            dist/Switchboard-<ver>-macos-<arch>.zip (unsigned .app)
#   SIGN_IDENTITY="Developer ID Application: …" scripts/build-macos.sh   signed, hardened runtime
#
# The .app's Info.plist gets NSMicrophoneUsageDescription from FyneApp.toml
# ([Capabilities] MicrophoneUsage). It does not register sip:/tel: links:
# macOS delivers a clicked link as an Apple Event (kAEGetURL), not as an
# argument, and Fyne 2.7/GLFW have no hook for it, so a registered app
# would open without dialling. `open -a Switchboard --args sip:…` works.
# Passwords go to the login keychain through /usr/bin/security (go-keyring,
# no cgo).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -s)" = Darwin ] || { echo "build-macos.sh runs on macOS only" >&2; exit 1; }
command -v brew >/dev/null || { echo "install Homebrew first: https://brew.sh" >&2; exit 1; }
for f in pkg-config opus opusfile spandsp; do brew list --versions "$f" >/dev/null || brew install "$f"; done
export PATH="$PATH:$(go env GOPATH)/bin"
command -v fyne >/dev/null || go install fyne.io/tools/cmd/fyne@v1.7.4

version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
arch=$(go env GOARCH)
mkdir -p dist
cp FyneApp.toml /tmp/FyneApp.toml.$$ # fyne package bumps Build; keep ours
trap 'mv /tmp/FyneApp.toml.$$ FyneApp.toml' EXIT
fyne package -os darwin --release=false
app=Switchboard.app
plist="$app/Contents/Info.plist"
/usr/libexec/PlistBuddy -c 'Print :NSMicrophoneUsageDescription' "$plist" >/dev/null
if [ -n "${SIGN_IDENTITY:-}" ]; then
	# fyne's release entitlements lack network.client; ours add it (SIP, RTP).
	cat >/tmp/switchboard.entitlements.$$ <<'PL'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>com.apple.security.device.audio-input</key><true/>
  <key>com.apple.security.network.client</key><true/>
  <key>com.apple.security.network.server</key><true/>
</dict></plist>
PL
	codesign --force --deep --options runtime --entitlements /tmp/switchboard.entitlements.$$ \
		--sign "$SIGN_IDENTITY" "$app"
	rm -f /tmp/switchboard.entitlements.$$
fi
out="dist/Switchboard-$version-macos-$arch.zip"
ditto -c -k --keepParent "$app" "$out"
rm -rf "$app"
echo "$out"
