#!/usr/bin/env python3
"""Generates `chunked.h5`, the fixture of the HDF5 chunk-reader tests, and
`expected_chunks.txt` (`file|dataset|shape|dtype|sha256`, as expected.txt).

    pip install numpy==2.4.6 h5py==3.16.0
    python3 io/tests/h5/make_h5_chunk_fixtures.py

- `/exchange/data`: uint16, 25 angles × 12 rows × 10 cols, chunks of
  4 × 6 × 10, gzip + shuffle: slabs along axis 0 cross chunk boundaries
  and chunks split the rows.
- `/exchange/data_white` (3 frames), `/exchange/data_dark` (2 frames):
  uint16; `/exchange/theta`: float64 radians, `units = "rad"`.
- `/entry/be_f4`: big-endian float32 13 × 7 × 5, chunks 5 × 7 × 5, gzip.
- `/entry/i1`: int8 9 × 4 in chunks of 2 × 4 (widened to int16 when read).
- `/entry/bool`: bool 7 × 3 (h5py's enum, read as u8 0/1).
- `/entry/contig`: float64 11 × 6, contiguous.

Written with `libver="earliest"` so that HDF5 1.10 reads it. Deterministic
(fixed seed, no timestamps).
"""

import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_h5_fixtures as mh  # noqa: E402  (its `expect`, `h5` and line format)


def main():
    rng = np.random.default_rng(20261201)
    mh.lines.clear()
    data = rng.integers(0, 65535, size=(25, 12, 10), endpoint=True, dtype=np.uint16)
    white = rng.integers(3000, 4000, size=(3, 12, 10), dtype=np.uint16)
    dark = rng.integers(90, 110, size=(2, 12, 10), dtype=np.uint16)
    theta = np.linspace(0, np.pi, 25, endpoint=False)
    be = (rng.standard_normal((13, 7, 5)) * 100).astype(">f4")
    i1 = rng.integers(-128, 127, size=(9, 4), endpoint=True, dtype=np.int8)
    flags = rng.integers(0, 2, size=(7, 3)).astype(bool)
    contig = rng.standard_normal((11, 6))
    with mh.h5("chunked.h5") as f:
        f.create_dataset("implements", data="exchange:measurement:process")
        ex = f.create_group("exchange")
        ex.create_dataset("data", data=data, chunks=(4, 6, 10), compression="gzip", shuffle=True)
        ex.create_dataset("data_white", data=white)
        ex.create_dataset("data_dark", data=dark)
        t = ex.create_dataset("theta", data=theta)
        t.attrs["units"] = "rad"
        e = f.create_group("entry")
        e.create_dataset("be_f4", data=be, chunks=(5, 7, 5), compression="gzip")
        e.create_dataset("i1", data=i1, chunks=(2, 4))
        e.create_dataset("bool", data=flags)
        e.create_dataset("contig", data=contig)
    with h5py.File(mh.path("chunked.h5"), "r") as f:
        for name, widen in [("/exchange/data", None), ("/exchange/data_white", None), ("/exchange/data_dark", None),
                            ("/exchange/theta", None), ("/entry/be_f4", None), ("/entry/i1", np.int16),
                            ("/entry/bool", np.uint8), ("/entry/contig", None)]:
            a = f[name][()]
            mh.expect("chunked.h5", name, a.astype(widen) if widen else a)
    with open(mh.path("expected_chunks.txt"), "w") as out:
        out.write("\n".join(mh.lines) + "\n")
    print(f"wrote {len(mh.lines)} expectations with h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version})")


if __name__ == "__main__":
    main()
