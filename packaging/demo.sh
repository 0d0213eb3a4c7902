#!/usr/bin/env bash
# Installs the dependencies, builds OutlierLab and runs the main job on the
# bundled demo model: the workbench when a display is present (and built),
# otherwise a headless run: the perplexity of the bundled model.
set -euo pipefail
cd "$(dirname "$0")/.."
./packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
gui=build/release/app/gui/outlierlab
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$gui" ]; then
  exec "$gui" "$@"
fi
exec build/release/app/cli/outlierlab-cli eval --seqlen 256 "$@"
