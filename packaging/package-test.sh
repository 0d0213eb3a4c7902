#!/usr/bin/env bash
# Builds the .deb, checks it (lintian, desktop-file-validate, appstreamcli), installs it into a clean Debian 12
# root made with debootstrap (its dependencies from apt), and runs the installed programs there:
# outlierlab-cli --version / eval (the bundled model's golden perplexity) / methods, and the workbench under
# Xvfb, saving a screenshot. Too slow for every CI run (a Debian root and ~1 GB of packages): run it by hand.
# Output: build/pkgtest/out/ (logs, results.txt, workbench.png). Needs root and Debian's apt mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
work=$here/build/pkgtest
out=$work/out
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rm -rf "$out" && mkdir -p "$out"
log() { printf '%s\n' "$*" | tee -a "$out/results.txt"; }

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  debootstrap lintian desktop-file-utils appstream dpkg-dev fakeroot >/dev/null

# 1. The package.
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)" >/dev/null
rm -f build/release/outlierlab_*.deb
(cd build/release && cpack --config CPackConfig.cmake) >"$out/cpack.log"
deb=$(ls build/release/outlierlab_*.deb)
log "package: $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb -I "$deb" >"$out/control.txt"
log "$(grep '^ Depends' "$out/control.txt")"

# 2. Static checks: lintian with no error or warning (info tags are listed in the log).
lintian --tag-display-limit 0 -I "$deb" >"$out/lintian.txt" 2>&1 || true
if grep -E '^(E|W):' "$out/lintian.txt"; then log "lintian: errors or warnings"; exit 1; fi
log "lintian: no errors, no warnings ($(grep -c '^I:' "$out/lintian.txt") info tags, lintian.txt)"
desktop-file-validate packaging/org.outlierlab.OutlierLab.desktop && log "desktop-file-validate: clean"
appstreamcli validate --no-net packaging/org.outlierlab.OutlierLab.metainfo.xml >"$out/appstream.txt" 2>&1
log "appstreamcli validate: $(tail -1 "$out/appstream.txt")"

# 3. A clean Debian 12 root (made once, copied fresh for every run).
base=$work/base root=$work/root
if [ ! -x "$base/usr/bin/apt-get" ]; then
  rm -rf "$base"
  debootstrap --variant=minbase bookworm "$base" "$mirror" >"$out/debootstrap.log" 2>&1
fi
umount -R "$root" 2>/dev/null || true
rm -rf "$root" && cp -a "$base" "$root"
cleanup() { umount -R "$root/proc" "$root/dev" 2>/dev/null || true; }
trap cleanup EXIT
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/outlierlab.deb"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
in_root apt-get update -qq >"$out/apt.log" 2>&1
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  /tmp/outlierlab.deb xvfb xauth libglib2.0-bin >>"$out/apt.log" 2>&1
log "installed in a clean bookworm root with apt: $(in_root dpkg-query -W outlierlab)"

# 4. The installed programs.
log "$(in_root outlierlab-cli --version)"
ppl=$(in_root outlierlab-cli eval --seqlen 256 --quiet | tee "$out/eval.txt" | awk '{print $2}')
log "outlierlab-cli eval --seqlen 256: perplexity $ppl (golden 3.123063)"
[ "$ppl" = "3.123063" ] || { log "wrong perplexity"; exit 1; }
in_root outlierlab-cli methods >"$out/methods.txt"
log "outlierlab-cli methods: $(grep -c '^[a-z]' "$out/methods.txt") methods ($(grep '^[a-z]' "$out/methods.txt" | cut -d' ' -f1 | tr '\n' ' '))"
in_root man -w outlierlab-cli >/dev/null 2>&1 || test -f "$root/usr/share/man/man1/outlierlab-cli.1.gz"
log "man pages: $(cd "$root/usr/share/man/man1" && ls outlierlab*)"
test -f "$root/usr/share/mime/application/x-outlierlab-session.xml" && log "MIME database: application/x-outlierlab-session registered"
# A session the installed CLI writes has that type (GIO reads the shared MIME database); a run store's layer
# file, HDF5 without OutlierLab's user block, does not.
in_root outlierlab-cli calibrate --nsamples 2 --seqlen 32 --out /tmp/s.h5 --quiet >/dev/null
in_root outlierlab-cli quantize --method rtn --nsamples 2 --seqlen 32 --save_dir /tmp/run --quiet >/dev/null
session_type=$(in_root gio info -a standard::content-type /tmp/s.h5 | awk '/content-type/ {print $2}')
layer_type=$(in_root gio info -a standard::content-type /tmp/run/layers/layer-00000.h5 2>/dev/null | awk '/content-type/ {print $2}')
log "content type of a session: $session_type; of a run's layer file: ${layer_type:-?}"
if [ "$session_type" != application/x-outlierlab-session ] || [ "$layer_type" = application/x-outlierlab-session ]; then
  log "wrong content types"
  exit 1
fi
in_root xvfb-run -a -s "-screen 0 1920x1080x24" outlierlab --screenshot /tmp/workbench.png >"$out/gui.log" 2>&1
cp "$root/tmp/workbench.png" "$out/workbench.png"
log "outlierlab under Xvfb: $(cat "$out/gui.log" | tail -1)"
log "package test passed"
