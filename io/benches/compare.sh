#!/usr/bin/env bash
# Reader throughput against the Python peers on the same cached files,
# interleaved (criterion reads, peers, criterion reads, peers) so that both
# see the same machine load; then the writers once.
#
#   io/benches/compare.sh [MIB]      (default 256; the issue's case is 1024)
#
# Needs the venv of scripts/peer-check.sh (run it once) and writes the
# files under /var/tmp/plexus-bench-io (removed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/plexus-target}"
export PLEXUS_BENCH_MIB="${1:-256}"
export PLEXUS_BENCH_KEEP=/var/tmp/plexus-bench-io
PY="${PLEXUS_PEER_VENV:-/var/tmp/plexus-peer-venv}/bin/python"
trap 'rm -rf "$PLEXUS_BENCH_KEEP"' EXIT
rm -rf "$PLEXUS_BENCH_KEEP"
summary() { grep -E "^(read|write) a|time:|thrpt:" | grep -v "%" | paste - - - | sed 's/  */ /g'; }
for round in 1 2; do
    echo "== round $round: plexus (criterion medians), load $(cut -d' ' -f1 /proc/loadavg)"
    cargo bench -p plexus-io --bench readers -- "read a" 2>&1 | summary
    echo "== round $round: python peers, load $(cut -d' ' -f1 /proc/loadavg)"
    "$PY" io/benches/peers.py "$PLEXUS_BENCH_KEEP"
done
echo "== writers, load $(cut -d' ' -f1 /proc/loadavg)"
cargo bench -p plexus-io --bench readers -- "write a" 2>&1 | summary
