# Release and packaging targets (scripts/package.sh does the work; see the
# README, "Packaging"). Artifacts go to dist/ with SHA256SUMS.

.PHONY: dist linux windows wine-smoke cross-check package-test clean

# Everything this machine can build: Linux tar.xz, Windows exe, and the
# android/darwin compile checks (macOS and Android packages need a Mac or
# the Android NDK).
dist:
	./scripts/deps.sh package
	./scripts/package.sh dist

linux:
	./scripts/package.sh linux

windows:
	./scripts/package.sh windows

wine-smoke:
	./scripts/package.sh wine-smoke

cross-check:
	./scripts/package.sh cross-check

# The packaging part of ./scripts/test.sh.
package-test:
	./scripts/package-test.sh

clean:
	rm -rf dist
