#!/usr/bin/env bash
# ONNX denoising of a 512 x 512 x 64 volume by the real binary: `plexus run`
# on a pipeline with one `denoise.onnx` stage (the shipped Noise2Noise model,
# input chunks of 8 slices, one 512 x 512 tile per slice, 4 slices per
# inference call) under a memory budget, against Python onnxruntime over the
# same slabs and batches (peer.py), each a whole process under GNU time
# (wall seconds and peak RSS), alternating, in the same run. From the repo
# root, after ./plexus.sh build:
#
#   CARGO_TARGET_DIR=/var/tmp/plexus-target PYTHON=/path/to/venv/bin/python bash plugins/onnx/benches/whole_process.sh
#
# Needs: numpy, scikit-image, onnxruntime==1.31.1 in $PYTHON; the ONNX Runtime
# library (scripts/ensure-onnxruntime.sh). ROUNDS (default 2), THREADS
# (default "1 2"), MEMORY (the plexus budget, default 1GiB). The volume is
# compare.sh's: Shepp-Logan 512^2 (skimage) + Gaussian noise sigma 0.04,
# seed 64, 64 slices, f32 (64 MiB).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$(pwd)
PYTHON="${PYTHON:-python3}"
TARGET="${CARGO_TARGET_DIR:-target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
ROUNDS="${ROUNDS:-2}"
THREADS="${THREADS:-1 2}"
MEMORY="${MEMORY:-1GiB}"
BIN="$TARGET/release/plexus"
export PLEXUS_ORT_LIB="${PLEXUS_ORT_LIB:-$(scripts/ensure-onnxruntime.sh)}"
dir="$TARGET/plexus-bench/onnx-whole"
mkdir -p "$dir"
vol="$dir/vol_64x512x512.npy"
if [ ! -f "$vol" ]; then
    "$PYTHON" - "$vol" <<'PY'
import sys
import numpy as np
from skimage.data import shepp_logan_phantom
from skimage.transform import resize
rng = np.random.default_rng(64)
clean = resize(shepp_logan_phantom(), (512, 512)).astype(np.float32)
vol = np.stack([clean + rng.normal(0, 0.04, clean.shape).astype(np.float32) for _ in range(64)])
np.save(sys.argv[1], vol)
PY
fi
cat > "$dir/n2n.toml" <<'TOML'
[pipeline]
name = "onnx-bench"

[input]
path = "vol_64x512x512.npy"
chunk = 8

[[stage]]
id = "n2n"
use = "denoise.onnx"
params = { tile = [512], batch = 4 }

[[output]]
from = "n2n"
path = "vol_plexus.npy"
TOML
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared)"
echo "| | threads | round | wall | Mvoxel/s | peak RSS |"
echo "|---|---|---|---|---|---|"
voxels=$((64 * 512 * 512))
row() { # name threads round "wall rss_kib"
    read -r wall rss <<<"$4"
    awk -v n="$1" -v t="$2" -v r="$3" -v w="$wall" -v m="$rss" -v v="$voxels" \
        'BEGIN { printf "| %s | %s | %s | %.1f s | %.2f | %.0f MiB |\n", n, t, r, w, v / w / 1e6, m / 1024 }'
}
for round in $(seq 1 "$ROUNDS"); do
    for threads in $THREADS; do
        rm -f "$dir/vol_py.npy"
        m=$( { /usr/bin/time -f "%e %M" "$PYTHON" "$ROOT/plugins/onnx/benches/peer.py" "$ROOT/plugins/onnx/models/n2n_denoise.onnx" \
            "$vol" "$dir/vol_py.npy" --threads "$threads" --slab 8 --batch 4 >/dev/null; } 2>&1 | tail -n 1)
        row "Python onnxruntime" "$threads" "$round" "$m"
        rm -f "$dir/vol_plexus.npy" "$dir/vol_plexus.npy.json"
        m=$( { (cd "$dir" && PLEXUS_HOME="$dir/.plexus" /usr/bin/time -f "%e %M" "$BIN" run --threads "$threads" \
            --memory "$MEMORY" n2n.toml >/dev/null); } 2>&1 | tail -n 1)
        row "plexus run --memory $MEMORY" "$threads" "$round" "$m"
    done
done
"$PYTHON" -c "
import numpy as np
a, b = np.load('$dir/vol_py.npy'), np.load('$dir/vol_plexus.npy')
print(f'max |plexus - onnxruntime-python| = {np.abs(a - b).max():.2e}')
"
