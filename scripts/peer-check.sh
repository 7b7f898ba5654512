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

fail() {
    echo "peer-check: error: $*" >&2
    exit 1
}

as_root_apt() {
    # Installs Debian packages when we can; otherwise says what to run.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> peer-check: installing $*" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
            || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } \
            || fail "apt-get install $* failed"
    else
        fail "needs $*: run \`sudo apt-get install -y $*\`"
    fi
}

command -v python3 >/dev/null 2>&1 || as_root_apt python3
# Debian splits venv (and ensurepip, which venv needs) into python3-venv.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || as_root_apt python3-venv
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 \
    || fail "python3 cannot make a venv even after installing python3-venv ($(python3 --version 2>&1))"

want=$(sha256sum "$REQ" | cut -d' ' -f1)
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9 # one venv build at a time
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    echo "==> peer-check: creating the Python venv $VENV from $REQ" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" || fail "\`python3 -m venv $VENV\` failed"
    if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ" >"$VENV.log" 2>&1; then
        tail -n 20 "$VENV.log" >&2
        rm -rf "$VENV"
        fail "\`pip install -r $REQ\` failed (PyPI unreachable, or no wheel for this Python); full log: $VENV.log"
    fi
    echo "$want" >"$VENV/.requirements.sha256"
fi
flock -u 9

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
