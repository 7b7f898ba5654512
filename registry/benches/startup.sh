#!/usr/bin/env bash
# Whole-process start-up of a trivial `plexus run` (a 64x64 f32 NPY through
# geometry.convolve gaussian5 into an NPY) and of `plexus plugins list`, with
# every built-in plugin packaged beside the binary (`./plexus.sh build`).
# Binaries given as arguments are run interleaved, N times each (default 20):
# wall time from bash's EPOCHREALTIME around the call (GNU time's own
# resolution is 10 ms), peak RSS from GNU time; prints median and min.
#
#   registry/benches/startup.sh BEFORE_BIN AFTER_BIN
#
# A binary that is not the one beside the plugins is symlinked into a copy of
# its folder layout so both find the same plugins/ (the search path is the
# binary's folder's plugins/).
set -euo pipefail
N=${N:-20}
R=${CARGO_TARGET_DIR:?set CARGO_TARGET_DIR}/release
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export HOME="$W/home" PLEXUS_HOME="$W/home/.plexus" XDG_CONFIG_HOME="$W/home/.config"
mkdir -p "$HOME"
# 64x64 f32 NPY, header padded to 128 bytes as numpy writes it.
python3 - "$W/in.npy" <<'PY'
import struct, sys
h = "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 64), }"
h = h + " " * (128 - 10 - len(h) - 1) + "\n"
data = b"".join(struct.pack("<f", ((i * 37) % 101) / 100.0) for i in range(64 * 64))
open(sys.argv[1], "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data)
PY
cat > "$W/p.toml" <<'TOML'
[pipeline]
name = "trivial"

[input]
path = "in.npy"

[[stage]]
id = "smooth"
use = "geometry.convolve"
params = { filter = "gaussian5" }

[[output]]
from = "smooth"
path = "out.npy"
TOML
bins=()
for b in "$@"; do
    d="$W/bin$((${#bins[@]}))"
    mkdir -p "$d"
    cp "$b" "$d/plexus"
    ln -s "$R/plugins" "$d/plugins"
    bins+=("$d/plexus")
done
cd "$W"
for kind in run list; do
    for b in "${bins[@]}"; do : > "$b.$kind"; done
    for i in $(seq "$N"); do
        for b in "${bins[@]}"; do
            rm -f out.npy out.npy.json
            if [ "$kind" = run ]; then args=(run p.toml); else args=(plugins list); fi
            t0=$EPOCHREALTIME
            /usr/bin/time -f "%M" -o "$W/rss" "$b" "${args[@]}" >/dev/null 2>&1
            t1=$EPOCHREALTIME
            echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $(cat "$W/rss")" >> "$b.$kind"
        done
    done
    for j in "${!bins[@]}"; do
        rss=$(cut -d' ' -f2 "${bins[$j]}.$kind" | sort -n | awk '{m[NR]=$1} END {print m[int((NR+1)/2)]}')
        sort -n "${bins[$j]}.$kind" | awk -v name="$kind ${@:$((j+1)):1}" -v rss="$rss" '{t[NR]=$1} END {
            printf "%-60s median %5.1f ms  min %5.1f ms  peak RSS median %d KiB  (%d runs)\n", name, t[int((NR+1)/2)] * 1000, t[1] * 1000, rss, NR }'
    done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
