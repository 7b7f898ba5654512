"""Times numpy's peers of the `histogram` bench and prints the ratios.

One command runs both sides (from the repository root):

    CARGO_TARGET_DIR=/var/tmp/plexus-target python3 plugins/pattern/benches/peers.py

It writes the shared 4096 x 4096 u16 image (scikit-image's `camera` upscaled
bilinearly, scaled to 16 bits, plus fixed-seed Gaussian noise), times
numpy.histogram(bins=256, range=(0, 65536)), numpy.bincount over all 65,536
values and numpy.bincount(a >> 8) (a 256-bin histogram only for this range),
runs `cargo bench -p plexus-pattern --bench histogram` on the same image, reads
criterion's median estimates and prints numpy time / plexus time.
`--no-rust` times numpy only.
"""
import json
import os
import platform
import subprocess
import sys
import timeit

import numpy as np
import skimage.data
import skimage.transform

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
IMAGE = os.path.join(TARGET, "plexus-bench", "u16_4096.npy")
GROUP = "hist_u16_4096sq_256bins"


def make_image():
    cam = skimage.data.camera().astype(np.float64)
    big = skimage.transform.resize(cam, (4096, 4096), order=1, preserve_range=True, anti_aliasing=False)
    rng = np.random.default_rng(4096)
    img = np.clip(big * 257.0 + rng.normal(0.0, 200.0, big.shape), 0, 65535).round().astype(np.uint16)
    os.makedirs(os.path.dirname(IMAGE), exist_ok=True)
    np.save(IMAGE, img)
    return img


def best_ms(fn, repeat=15):
    fn()
    times = timeit.repeat(fn, number=1, repeat=repeat)
    return 1e3 * float(np.median(times)), 1e3 * min(times)


def main():
    img = make_image()
    flat = img.ravel()
    ref, _ = np.histogram(img, bins=256, range=(0, 65536))
    assert (np.bincount(flat >> 8, minlength=256) == ref).all()
    peers = {
        "numpy.histogram(bins=256, range=(0, 65536))": best_ms(lambda: np.histogram(img, bins=256, range=(0, 65536))),
        "numpy.bincount(a, minlength=65536)": best_ms(lambda: np.bincount(flat, minlength=65536)),
        "numpy.bincount(a >> 8, minlength=256)": best_ms(lambda: np.bincount(flat >> 8, minlength=256)),
    }
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.platform()}")
    print(f"numpy {np.__version__}; image 4096x4096 u16, camera upscaled + noise, {len(np.unique(flat))} distinct values")
    print("\npeers (median / best of 15, ms):")
    for k, (med, best) in peers.items():
        print(f"  {k:48s} {med:9.2f} / {best:8.2f}")
    if "--no-rust" in sys.argv:
        return
    env = dict(os.environ, PLEXUS_BENCH_IMAGE=IMAGE, CARGO_TARGET_DIR=TARGET)
    subprocess.run(["cargo", "bench", "-p", "plexus-pattern", "--bench", "histogram", "--", "--noplot"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("\nplexus (criterion median, ms) and numpy time / plexus time:")
    base = peers["numpy.histogram(bins=256, range=(0, 65536))"][0]
    strong = peers["numpy.bincount(a >> 8, minlength=256)"][0]
    for name in ["by_value_1thread", "by_value_all_threads", "via_lut_1thread", "bincount_1thread",
                 "per_element_f64_1thread"]:
        path = os.path.join(TARGET, "criterion", GROUP, name, "new", "estimates.json")
        with open(path) as f:
            ms = json.load(f)["median"]["point_estimate"] / 1e6
        print(f"  {name:26s} {ms:8.2f} ms   vs numpy.histogram x{base / ms:6.1f}   vs bincount(a>>8) x{strong / ms:5.2f}")


if __name__ == "__main__":
    main()
