#!/usr/bin/env bash
# ONNX denoising of a 512 x 512 x 64 volume: plexus (examples/denoise_npy.rs)
# against Python onnxruntime over the same slabs and batches, same run,
# 1 and 2 intra-op threads, each twice, alternating. From the repo root:
#
#   CARGO_TARGET_DIR=/var/tmp/plexus-target PYTHON=/path/to/venv/bin/python bash plugins/onnx/benches/compare.sh
#
# Needs: numpy, scikit-image, onnxruntime==1.31.1 in $PYTHON; the ONNX Runtime
# library (scripts/ensure-onnxruntime.sh). The volume: Shepp-Logan 512^2
# (skimage) + Gaussian noise sigma 0.04, seed 64, 64 slices, f32.
set -euo pipefail
cd "$(dirname "$0")/../../.."
PYTHON="${PYTHON:-python3}"
TARGET="${CARGO_TARGET_DIR:-target}"
export PLEXUS_ORT_LIB="${PLEXUS_ORT_LIB:-$(scripts/ensure-onnxruntime.sh)}"
dir="$TARGET/plexus-bench"
mkdir -p "$dir"
"$PYTHON" - "$dir/vol_64x512x512.npy" <<'PY'
import sys
import numpy as np
from skimage.data import shepp_logan_phantom
from skimage.transform import resize
rng = np.random.default_rng(64)
clean = resize(shepp_logan_phantom(), (512, 512)).astype(np.float32)
vol = np.stack([clean + rng.normal(0, 0.04, clean.shape).astype(np.float32) for _ in range(64)])
np.save(sys.argv[1], vol)
PY
cargo build --release -p plexus-onnx --example denoise_npy
model=plugins/onnx/models/n2n_denoise.onnx
for round in 1 2; do
    for threads in 1 2; do
        "$PYTHON" plugins/onnx/benches/peer.py "$model" "$dir/vol_64x512x512.npy" "$dir/vol_py.npy" --threads "$threads" --slab 8 --batch 4
        "$TARGET/release/examples/denoise_npy" "$model" "$dir/vol_64x512x512.npy" "$dir/vol_rs.npy" --threads "$threads" --slab 8 --tile 512 --batch 4
    done
done
"$PYTHON" -c "
import numpy as np, sys
a, b = np.load('$dir/vol_py.npy'), np.load('$dir/vol_rs.npy')
print(f'max |plexus - onnxruntime-python| = {np.abs(a - b).max():.2e}')
"
