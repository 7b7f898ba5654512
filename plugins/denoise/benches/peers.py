"""NL-means and TV Chambolle on a 512 x 512 image: scikit-image vs plexus, same run.

    pip install numpy==2.4.6 scikit-image==0.26.0
    CARGO_TARGET_DIR=/var/tmp/plexus-target python3 plugins/denoise/benches/peers.py   # from the repo root

Writes the image (skimage.data.camera() / 255 + Gaussian noise sigma 0.08,
seed 512, clipped to [0, 1], f32), times scikit-image's denoise_nl_means
(fast mode, patch 7, distance 11, h 0.064, sigma 0.08) and
denoise_tv_chambolle (weight 0.1, default eps and iterations) on it (median
of 5 after a warm-up; single-threaded, as scikit-image is), runs
`cargo bench -p plexus-denoise --bench denoise` on the same image (criterion
medians, 1 and 2 threads), and prints times, ratios, and the PSNR of each
output against the clean image (and the largest pixel difference between
the two implementations).
"""

import json
import os
import subprocess
import timeit

import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
IMAGE = os.path.join(TARGET, "plexus-bench", "camera_noisy_512.npy")


def main():
    clean = data.camera().astype(np.float32) / np.float32(255)
    rng = np.random.default_rng(512)
    noisy = np.clip(clean + rng.normal(0, 0.08, clean.shape), 0, 1).astype(np.float32)
    os.makedirs(os.path.dirname(IMAGE), exist_ok=True)
    np.save(IMAGE, noisy)
    n64 = noisy.astype(np.float64)
    peers = {
        "nl_means": lambda: denoise_nl_means(n64, patch_size=7, patch_distance=11, h=0.064, sigma=0.08, fast_mode=True),
        "tv_chambolle": lambda: denoise_tv_chambolle(n64, weight=0.1),
    }
    results = {}
    for name, fn in peers.items():
        out = fn()
        times = timeit.repeat(fn, number=1, repeat=5)
        results[name] = {"skimage_ms": 1e3 * float(np.median(times)), "skimage_psnr": peak_signal_noise_ratio(clean, out, data_range=1), "ref": out}
    env = dict(os.environ, PLEXUS_BENCH_IMAGE=IMAGE, CARGO_TARGET_DIR=TARGET)
    subprocess.run(["cargo", "bench", "-p", "plexus-denoise", "--bench", "denoise"], cwd=ROOT, env=env, check=True)
    print(f"\nnoisy input PSNR {peak_signal_noise_ratio(clean, noisy, data_range=1):.3f} dB")
    for name, r in results.items():
        ours = np.load(IMAGE.replace(".npy", f".{name}.out.npy"))
        psnr = peak_signal_noise_ratio(clean, ours, data_range=1)
        print(f"{name}: scikit-image {r['skimage_ms']:.1f} ms, PSNR {r['skimage_psnr']:.4f} dB; plexus PSNR {psnr:.4f} dB, max |diff| {np.abs(ours - r['ref']).max():.2e}")
        for threads in [1, 2]:
            est = os.path.join(TARGET, "criterion", "denoise_512", name, str(threads), "new", "estimates.json")
            with open(est) as f:
                ms = json.load(f)["median"]["point_estimate"] / 1e6
            print(f"  plexus {threads} thread(s): {ms:.1f} ms, scikit-image / plexus = {r['skimage_ms'] / ms:.1f}x")


if __name__ == "__main__":
    main()
