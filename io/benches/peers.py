#!/usr/bin/env python3
"""The Python peers of the `readers` bench: the same cached files read by
numpy, tifffile and zarr-python, in 64-slice slabs like the bench (and
whole, the way those libraries are usually called).

    PLEXUS_BENCH_KEEP=/var/tmp/plexus-bench cargo bench -p plexus-io --bench readers
    /var/tmp/plexus-peer-venv/bin/python io/benches/peers.py /var/tmp/plexus-bench

(the venv of scripts/peer-check.sh: numpy 2.4.6, tifffile 2026.3.3,
zarr 3.1.6). Prints the median of 7 runs after a warm-up, in GiB/s.
"""

import os
import statistics
import sys
import time

import numpy as np
import tifffile
import zarr

SLAB = 64


def timed(f, nbytes, runs=7):
    f()  # warm-up (and the page cache)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return med, nbytes / med / 2**30


def main(d):
    npy = os.path.join(d, "stack.npy")
    tif = os.path.join(d, "stack.tif")
    a = np.load(npy, mmap_mode="r")
    shape, nbytes = a.shape, a.nbytes
    offset = os.path.getsize(npy) - nbytes
    buf = np.empty((SLAB,) + shape[1:], a.dtype)
    del a

    def npy_readinto():
        with open(npy, "rb", buffering=0) as f:
            f.seek(offset)
            for _ in range(shape[0] // SLAB):
                f.readinto(memoryview(buf).cast("B"))

    def tiff_slabs():
        with tifffile.TiffFile(tif) as t:
            for k in range(0, shape[0], SLAB):
                t.asarray(key=range(k, k + SLAB), out=buf)

    raw = zarr.open_array(os.path.join(d, "raw.zarr", "0"), mode="r")
    lz4 = zarr.open_array(os.path.join(d, "lz4.zarr", "0"), mode="r")

    def zarr_slabs(z):
        def run():
            for k in range(0, shape[0], SLAB):
                buf[...] = z[k:k + SLAB]
        return run

    cases = [
        ("numpy: file.readinto, 64-slice slabs into a reused array", npy_readinto),
        ("numpy: np.load, whole (fresh array)", lambda: np.load(npy)),
        ("tifffile: TiffFile.asarray(key=64 pages, out=reused array)", tiff_slabs),
        ("tifffile: imread, whole (fresh array)", lambda: tifffile.imread(tif)),
        ("zarr-python: uncompressed, 64-slice slabs", zarr_slabs(raw)),
        ("zarr-python: blosc-LZ4 sharded, 64-slice slabs", zarr_slabs(lz4)),
    ]
    print(f"{nbytes / 2**20:.0f} MiB u16 stack {shape}, numpy {np.__version__}, tifffile {tifffile.__version__}, "
          f"zarr {zarr.__version__}")
    for name, f in cases:
        med, gibs = timed(f, nbytes)
        print(f"{name:62} {med * 1000:8.1f} ms  {gibs:6.2f} GiB/s")


if __name__ == "__main__":
    main(sys.argv[1])
