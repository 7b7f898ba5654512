#!/usr/bin/env bash
# The Python `requests` examples of docs/API.md against a live
# `plexus serve --http` (.ci/api_examples.py). ./plexus.sh test runs it
# after the peer read-back; it needs the built binary (./plexus.sh build).
#
# The venv is made here, from .ci/api-requirements.txt, and cached in
# $PLEXUS_API_VENV (default /var/tmp/plexus-api-venv) until that file
# changes, as scripts/peer-check.sh does for its peers; python3-venv is
# installed with apt when we are root and it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
REQ=.ci/api-requirements.txt
VENV="${PLEXUS_API_VENV:-/var/tmp/plexus-api-venv}"
BIN="${CARGO_TARGET_DIR:-/var/tmp/plexus-target}/release/plexus"

fail() {
    echo "api-examples: error: $*" >&2
    exit 1
}

as_root_apt() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> api-examples: installing $*" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
            || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } \
            || fail "apt-get install $* failed"
    else
        fail "needs $*: run \`sudo apt-get install -y $*\`"
    fi
}

[ -x "$BIN" ] || fail "$BIN is missing: run ./plexus.sh build first"
command -v python3 >/dev/null 2>&1 || as_root_apt python3
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || as_root_apt python3-venv

want=$(sha256sum "$REQ" | cut -d' ' -f1)
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9 # one venv build at a time
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    echo "==> api-examples: creating the Python venv $VENV from $REQ" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" || fail "\`python3 -m venv $VENV\` failed"
    if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ" >"$VENV.log" 2>&1; then
        tail -n 20 "$VENV.log" >&2
        rm -rf "$VENV"
        fail "\`pip install -r $REQ\` failed (PyPI unreachable?); full log: $VENV.log"
    fi
    echo "$want" >"$VENV/.requirements.sha256"
fi
flock -u 9

"$VENV/bin/python" .ci/api_examples.py "$BIN" || fail "an example of docs/API.md failed (FAIL lines above)"
