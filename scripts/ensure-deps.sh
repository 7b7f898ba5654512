#!/usr/bin/env bash
# Installs the system libraries that optional Cargo features of Plexus need.
#
#   scripts/ensure-deps.sh           install what is missing (root on Debian/Ubuntu),
#                                    or print the command to run
#   scripts/ensure-deps.sh --check   only say whether everything is present
#
# Today one feature needs one: plexus-io's `hdf5` (HDF5 read/write through the
# hdf5-metno crate) links the system HDF5 library (1.10 or newer), found with
# pkg-config. On Debian/Ubuntu that is `libhdf5-dev pkg-config`.
#
# Exit status: 0 when everything is present (already, or after installing);
# 1 when something is missing and this script cannot install it (not root, no
# apt-get, or --check); 2 on a bad argument. Nothing is installed when the
# library is already there, so running it on every build is cheap.

set -euo pipefail

PACKAGES=(libhdf5-dev pkg-config)
check_only=0
case "${1:-}" in
    "") ;;
    --check) check_only=1 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ensure-deps: unknown argument \`$1\` (expected --check or nothing)" >&2; exit 2 ;;
esac

have_hdf5() {
    command -v pkg-config >/dev/null 2>&1 && pkg-config --exists hdf5
}

if have_hdf5; then
    echo "ensure-deps: hdf5 $(pkg-config --modversion hdf5) found by pkg-config; nothing to install"
    exit 0
fi

command_line="apt-get update && apt-get install -y ${PACKAGES[*]}"
if [ "$check_only" = 1 ]; then
    echo "ensure-deps: hdf5 not found by pkg-config (needed by \`cargo ... -p plexus-io --features hdf5\`)" >&2
    echo "ensure-deps: install it with: sudo sh -c '$command_line'" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: hdf5 not found by pkg-config (needed by \`cargo ... -p plexus-io --features hdf5\`)" >&2
    if command -v apt-get >/dev/null 2>&1; then
        echo "ensure-deps: not root; run: sudo sh -c '$command_line'" >&2
    else
        echo "ensure-deps: no apt-get here; install the HDF5 development files (1.10 or newer) and pkg-config," >&2
        echo "ensure-deps: e.g. \`dnf install hdf5-devel pkgconf\` or \`brew install hdf5 pkg-config\`" >&2
    fi
    exit 1
fi

echo "ensure-deps: installing ${PACKAGES[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
if ! have_hdf5; then
    echo "ensure-deps: installed ${PACKAGES[*]} but pkg-config still finds no hdf5" >&2
    exit 1
fi
echo "ensure-deps: hdf5 $(pkg-config --modversion hdf5) installed"
