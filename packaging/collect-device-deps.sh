#!/bin/bash
# Run HERE (Debian 12, with apt), before lending a GPU machine (issue 15): downloads the Debian packages the
# headless build needs and a machine with only CUDA, CMake, ninja and PyTorch lacks (Qt 6 Core/Concurrent/Test
# with moc, HDF5, nlohmann-json) into packaging/device-deps/ (ignored by git; carry it to the device). Their
# library dependencies come along, except what every Linux machine with PyTorch has (glibc, libstdc++, zlib,
# OpenSSL, ...). packaging/device-check.sh unpacks them into a private prefix there.
set -euo pipefail
cd "$(dirname "$0")"
dest=device-deps
rm -rf "$dest" && mkdir -p "$dest"
wanted=(qt6-base-dev qt6-base-dev-tools libqt6core6 libqt6concurrent6 libqt6test6 libhdf5-dev libhdf5-103-1
        nlohmann-json3-dev)
# Libraries the runtime packages above need, by recursion over Depends, minus the base system.
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
          --no-enhances libqt6core6 libqt6concurrent6 libqt6test6 libhdf5-103-1 | grep -v '^ ' | grep -v '^<' | sort -u)
base='^(libc6|libgcc-s1|libstdc\+\+6|gcc-12-base|zlib1g|libzstd1|liblzma5|libbz2-1.0|libssl3|libcrypt1|libselinux1|libpcre2-8-0|libmount1|libblkid1|libuuid1|libffi8|libsystemd0|libcap2|libgcrypt20|libgpg-error0|liblz4-1|debconf|dpkg|perl.*|libperl.*|tar|install-info|libacl1|libmd0|libbsd0|libudev1)$'
extra=$(printf '%s\n' $closure | grep -Ev "$base" | grep -E '^lib' || true)
(cd "$dest" && apt-get download "${wanted[@]}" $extra >/dev/null)
echo "collected $(ls "$dest" | wc -l) packages, $(du -sh "$dest" | cut -f1) in packaging/$dest:"
ls "$dest" | sed 's/_.*//' | tr '\n' ' '
echo
