#!/usr/bin/env bash
# Installs the npm packages the WebRTC browser tests use (jssip,
# playwright-core, esbuild) into a directory outside the repository:
# $SWITCHBOARD_JS_DIR, default ~/.cache/switchboard/webrtc-js. Idempotent.
# playwright-core drives Debian's /usr/bin/chromium (scripts/deps.sh test):
# no browser is ever downloaded (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
set -euo pipefail
dir="${SWITCHBOARD_JS_DIR:-$HOME/.cache/switchboard/webrtc-js}"
pkgs=(jssip@3 playwright-core@1 esbuild@0)
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"switchboard-webrtc-js","private":true}' >package.json
if [ -d node_modules/jssip ] && [ -d node_modules/playwright-core ] && [ -d node_modules/esbuild ]; then
	echo "webrtc-js: already installed in $dir"
	exit 0
fi
command -v npm >/dev/null || {
	echo "webrtc-js: npm not found (apt-get install npm)" >&2
	exit 1
}
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund "${pkgs[@]}"
echo "webrtc-js: installed in $dir"
