#!/usr/bin/env bash
# Configure (once) and build synfront into build/. Extra arguments go to meson setup.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -f build/build.ninja ]; then
	meson setup build -Dwerror=true "$@"
fi
ninja -C build
