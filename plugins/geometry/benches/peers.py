#!/usr/bin/env python3
"""Times the peers on the cases of benches/geometry.rs and prints JSON
(seconds, best of `--repeat` runs after a warm-up):

- cv2.filter2D, 4096² f32, 5x5 kernel, BORDER_REFLECT_101 (= mode mirror),
  with cv2.setNumThreads(1) and (2);
- scipy.ndimage.correlate / convolve on the same (single-threaded);
- scipy.fft.rfft2 on 2048² f64 and f32 with workers=1 and 2.

    python3 plugins/geometry/benches/peers.py [--repeat 7]
"""
import argparse
import json
import time

import cv2
import numpy as np
import scipy
import scipy.fft
import scipy.ndimage as ndi


def best(f, repeat):
    f()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    r = args.repeat
    rng = np.random.default_rng(0)
    img = rng.random((4096, 4096), dtype=np.float32)
    k = (rng.random((5, 5)) - 0.5).astype(np.float32)
    b = np.array([1, 4, 6, 4, 1], np.float32) / 16
    out = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "cv2": cv2.__version__}}
    for threads in (1, 2):
        cv2.setNumThreads(threads)
        out[f"cv2_filter2d_5x5_{threads}t"] = best(
            lambda: cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT_101), r
        )
        out[f"cv2_sepfilter2d_5x5_{threads}t"] = best(
            lambda: cv2.sepFilter2D(img, -1, b, b, borderType=cv2.BORDER_REFLECT_101), r
        )
    cv2.setNumThreads(-1)
    out["scipy_correlate_5x5_1t"] = best(lambda: ndi.correlate(img, k, mode="mirror"), max(1, r // 3))
    out["scipy_convolve_5x5_1t"] = best(lambda: ndi.convolve(img, k, mode="mirror"), max(1, r // 3))
    x64 = rng.random((2048, 2048))
    x32 = x64.astype(np.float32)
    for threads in (1, 2):
        out[f"scipy_rfft2_f64_{threads}t"] = best(lambda: scipy.fft.rfft2(x64, workers=threads), r)
        out[f"scipy_rfft2_f32_{threads}t"] = best(lambda: scipy.fft.rfft2(x32, workers=threads), r)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
