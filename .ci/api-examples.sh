#!/usr/bin/env bash
# The Python `requests` examples of docs/API.md against a live
# `plexus serve --http` (.ci/api_examples.py). ./plexus.sh test runs it
# after the peer read-back; it needs the built binary (./plexus.sh build).
#
# The venv is made here, from .ci/api-requirements.txt, and cached in
# $PLEXUS_API_VENV (default /var/tmp/plexus-api-venv) until that file
# changes, as scripts/peer-check.sh does for its peers; python3-venv is
# installed with apt when we are root and it is missing
# (scripts/python-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
REQ=.ci/api-requirements.txt
VENV="${PLEXUS_API_VENV:-/var/tmp/plexus-api-venv}"
BIN="${CARGO_TARGET_DIR:-/var/tmp/plexus-target}/release/plexus"

TAG=api-examples
# shellcheck source=../scripts/python-venv.sh
. scripts/python-venv.sh

[ -x "$BIN" ] || fail "$BIN is missing: run ./plexus.sh build first"
ensure_venv "$REQ" "$VENV"

"$VENV/bin/python" .ci/api_examples.py "$BIN" || fail "an example of docs/API.md failed (FAIL lines above)"
