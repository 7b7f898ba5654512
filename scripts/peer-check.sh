#!/usr/bin/env bash
# Peer read-back: writes files with every plexus-io writer (the example
# binary io/examples/peer_files.rs) and reads them back with numpy,
# tifffile, zarr-python (+ the OME-Zarr 0.5 schema of ome-zarr-models) and
# h5py (scripts/peer_check.py), failing on any difference.
#
#   scripts/peer-check.sh          (./plexus.sh test runs it after cargo test)
#
# The Python venv is made here, from scripts/peer-requirements.txt, and
# cached in $PLEXUS_PEER_VENV (default /var/tmp/plexus-peer-venv) until that
# file changes. On a fresh Debian machine, python3-venv is installed with
# apt when we are root. HDF5 files are written when PLEXUS_EXPECT_HDF5=1
# (./plexus.sh exports it when it builds with HDF5); then a missing HDF5
# feature is a failure. Exit status: 0 all equal, 1 otherwise, with the
# step that failed named.
set -euo pipefail
cd "$(dirname "$0")/.."
REQ=scripts/peer-requirements.txt
VENV="${PLEXUS_PEER_VENV:-/var/tmp/plexus-peer-venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/plexus-target}"

TAG=peer-check
# shellcheck source=python-venv.sh
. scripts/python-venv.sh
ensure_venv "$REQ" "$VENV"

features=()
if [ "${PLEXUS_EXPECT_HDF5:-}" = 1 ]; then
    features=(--features hdf5)
fi
echo "==> peer-check: building io/examples/peer_files ${features[*]}" >&2
cargo build --release --locked -p plexus-io "${features[@]}" --example peer_files >&2 \
    || fail "building the example io/examples/peer_files failed"
out=$(mktemp -d "${TMPDIR:-/tmp}/plexus-peer.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$CARGO_TARGET_DIR/release/examples/peer_files" "$out" >&2 || fail "io/examples/peer_files failed to write the files"
echo "==> peer-check: reading them back with numpy, tifffile, zarr-python, ome-zarr-models, h5py" >&2
"$VENV/bin/python" scripts/peer_check.py "$out" || fail "the peers read something else than plexus wrote (lines marked BAD above)"
