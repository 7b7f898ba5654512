#!/usr/bin/env bash
# Runs the Rust benchmarks and the Python peers on the same cases and prints
# the medians side by side with ratios (ours / peer; below 1 = we are faster).
#
#   bash plugins/geometry/benches/compare.sh            # from the repo root
#
# Needs python3 with numpy, scipy, opencv-python-headless. Uses
# CARGO_TARGET_DIR (default /var/tmp/plexus-target) to find criterion's output.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/plexus-target}"
cargo bench -p plexus-geometry --bench geometry -- --warm-up-time 1 --measurement-time 5 >/dev/null
python3 plugins/geometry/benches/peers.py --repeat "${REPEAT:-9}" > "$CARGO_TARGET_DIR/geometry-peers.json"
python3 - "$CARGO_TARGET_DIR" <<'PY'
import json, os, sys
target = sys.argv[1]
peers = json.load(open(os.path.join(target, "geometry-peers.json")))
def ours(path):
    est = json.load(open(os.path.join(target, "criterion", path, "new", "estimates.json")))
    return est["median"]["point_estimate"] / 1e9
rows = []
for t in (1, 2):
    rows += [
        (f"correlate 4096² f32 5x5 general, {t} thread(s)", f"correlate_5x5_f32_4096/general/{t}t", f"cv2_filter2d_5x5_{t}t", "cv2.filter2D"),
        (f"correlate 4096² f32 5x5 general, {t} thread(s)", f"correlate_5x5_f32_4096/general/{t}t", "scipy_correlate_5x5_1t", "scipy.ndimage.correlate (1 thread)"),
        (f"correlate 4096² f32 5x5 separable, {t} thread(s)", f"correlate_5x5_f32_4096/separable/{t}t", f"cv2_sepfilter2d_5x5_{t}t", "cv2.sepFilter2D"),
        (f"rfft2 2048² f64, {t} thread(s)", f"rfft2_2048/f64/{t}t", f"scipy_rfft2_f64_{t}t", f"scipy.fft.rfft2 workers={t}"),
        (f"rfft2 2048² f32, {t} thread(s)", f"rfft2_2048/f32/{t}t", f"scipy_rfft2_f32_{t}t", f"scipy.fft.rfft2 workers={t}"),
    ]
print(f"{'case':48s} {'ours ms':>8s} {'peer':36s} {'peer ms':>8s} {'ratio':>6s}")
for case, mine, peer, pname in rows:
    a, b = ours(mine) * 1e3, peers[peer] * 1e3
    print(f"{case:48s} {a:8.2f} {pname:36s} {b:8.2f} {a / b:6.2f}")
print(f"{'power_spectrum 2048² (rfft2 + radial mean), 1 thread':48s} {ours('power_spectrum_2048/1t') * 1e3:8.2f}")
print("peer versions:", peers["versions"])
PY
