#!/usr/bin/env python3
"""Generates the Zarr read fixtures of plexus-io with zarr-python, and
`expected.txt`: `store|array|shape|dtype|sha256` per array, the sha256 of
its elements in C order, little-endian, as plexus returns them (int8
widened to int16, bool to uint8).

    pip install numpy==2.4.6 zarr==3.1.6
    python3 io/tests/zarr/make_zarr_fixtures.py

Stores (each small; slabs along axis 0 cross their chunk boundaries):

- `v3_u16_zstd.zarr`: uint16 23 × 17 × 13 in chunks of 5 × 8 × 13, zstd.
- `v3_f32_sharded.zarr`: float32 20 × 16 × 16 in shards of 10 × 16 × 16
  holding inner chunks of 5 × 8 × 8, blosc (zstd, shuffle).
- `v3_i8_blosc.zarr`: int8 7 × 9, blosc lz4 with shuffle, dimension names.
- `v3_bool.zarr`: bool 6 × 5.
- `v3_missing.zarr`: int32 10 × 4 in chunks of 3 × 4, fill value 7, only
  chunks 0 and 2 written: the rest reads as 7.
- `v2_u8_blosc.zarr`: Zarr v2, uint8 19 × 11 in chunks of 4 × 11, blosc lz4.
- `v2_be_f8_zlib.zarr`: Zarr v2, big-endian float64 9 × 5, chunks 2 × 5, zlib.
- `ome_v05.zarr`: an OME-Zarr 0.5 image (Zarr v3 group, `ome` attribute),
  z y x in micrometres, levels `0` (12 × 10 × 8 uint16) and `1`.
- `ome_v04.zarr`: an OME-Zarr 0.4 image (Zarr v2 group, `multiscales` in
  `.zattrs`), y x, levels `s0` and `s1`.

Deterministic (fixed seed); the Rust tests never run Python.
"""

import hashlib
import os
import shutil

import numpy as np
import zarr
from zarr.codecs import BloscCodec, BloscShuffle, BytesCodec, ZstdCodec

HERE = os.path.dirname(os.path.abspath(__file__))
PLEXUS = {"uint8": "u8", "uint16": "u16", "uint32": "u32", "int16": "i16", "int32": "i32", "float32": "f32",
          "float64": "f64"}
lines = []


def path(name):
    return os.path.join(HERE, name)


def fresh(name):
    shutil.rmtree(path(name), ignore_errors=True)
    return path(name)


def expect(store, array, a):
    a = np.asarray(a)
    if a.dtype == np.int8:
        a = a.astype(np.int16)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    a = a.astype(a.dtype.newbyteorder("="))
    le = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))
    digest = hashlib.sha256(le.tobytes()).hexdigest()
    lines.append("|".join([store, array, ",".join(str(d) for d in a.shape), PLEXUS[a.dtype.name], digest]))


def main():
    rng = np.random.default_rng(20261201)

    a = rng.integers(0, 65535, size=(23, 17, 13), endpoint=True, dtype=np.uint16)
    z = zarr.create_array(fresh("v3_u16_zstd.zarr"), shape=a.shape, chunks=(5, 8, 13), dtype=a.dtype,
                          compressors=ZstdCodec(level=3))
    z[:] = a
    expect("v3_u16_zstd.zarr", "/", zarr.open_array(path("v3_u16_zstd.zarr"), mode="r")[:])

    a = (rng.standard_normal((20, 16, 16)) * 100).astype(np.float32)
    z = zarr.create_array(fresh("v3_f32_sharded.zarr"), shape=a.shape, shards=(10, 16, 16), chunks=(5, 8, 8),
                          dtype=a.dtype, compressors=BloscCodec(cname="zstd", clevel=5, shuffle=BloscShuffle.shuffle))
    z[:] = a
    expect("v3_f32_sharded.zarr", "/", zarr.open_array(path("v3_f32_sharded.zarr"), mode="r")[:])

    a = rng.integers(-128, 127, size=(7, 9), endpoint=True, dtype=np.int8)
    z = zarr.create_array(fresh("v3_i8_blosc.zarr"), shape=a.shape, chunks=(3, 9), dtype=a.dtype,
                          compressors=BloscCodec(cname="lz4", clevel=5, shuffle=BloscShuffle.shuffle),
                          dimension_names=("row", "col"))
    z[:] = a
    expect("v3_i8_blosc.zarr", "/", zarr.open_array(path("v3_i8_blosc.zarr"), mode="r")[:])

    a = rng.integers(0, 2, size=(6, 5)).astype(bool)
    z = zarr.create_array(fresh("v3_bool.zarr"), shape=a.shape, chunks=(4, 5), dtype=a.dtype)
    z[:] = a
    expect("v3_bool.zarr", "/", zarr.open_array(path("v3_bool.zarr"), mode="r")[:])

    z = zarr.create_array(fresh("v3_missing.zarr"), shape=(10, 4), chunks=(3, 4), dtype=np.int32, fill_value=7)
    z[0:3] = rng.integers(-1000, 1000, size=(3, 4), dtype=np.int32)
    z[6:9] = rng.integers(-1000, 1000, size=(3, 4), dtype=np.int32)
    expect("v3_missing.zarr", "/", zarr.open_array(path("v3_missing.zarr"), mode="r")[:])

    from numcodecs import Blosc, Zlib

    a = rng.integers(0, 255, size=(19, 11), endpoint=True, dtype=np.uint8)
    z = zarr.create_array(fresh("v2_u8_blosc.zarr"), shape=a.shape, chunks=(4, 11), dtype=a.dtype, zarr_format=2,
                          compressors=Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE))
    z[:] = a
    expect("v2_u8_blosc.zarr", "/", zarr.open_array(path("v2_u8_blosc.zarr"), mode="r")[:])

    a = rng.standard_normal((9, 5)).astype(">f8")
    z = zarr.create_array(fresh("v2_be_f8_zlib.zarr"), shape=a.shape, chunks=(2, 5), dtype=a.dtype, zarr_format=2,
                          compressors=Zlib(level=6))
    z[:] = a
    expect("v2_be_f8_zlib.zarr", "/", zarr.open_array(path("v2_be_f8_zlib.zarr"), mode="r")[:])

    # OME-Zarr 0.5: level 0 and a 2x mean level 1.
    vol = rng.integers(0, 4000, size=(12, 10, 8), dtype=np.uint16)
    g = zarr.open_group(fresh("ome_v05.zarr"), mode="w", zarr_format=3)
    g.create_array("0", shape=vol.shape, chunks=(4, 10, 8), dtype=vol.dtype)[:] = vol
    half = vol.reshape(6, 2, 5, 2, 4, 2).mean(axis=(1, 3, 5)).round().astype(np.uint16)
    g.create_array("1", shape=half.shape, chunks=(6, 5, 4), dtype=half.dtype)[:] = half
    axes = [{"name": n, "type": "space", "unit": "micrometer"} for n in "zyx"]
    g.attrs["ome"] = {"version": "0.5", "multiscales": [{
        "axes": axes,
        "datasets": [
            {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [2.0, 0.5, 0.5]}]},
            {"path": "1", "coordinateTransformations": [{"type": "scale", "scale": [4.0, 1.0, 1.0]}]},
        ]}]}
    expect("ome_v05.zarr", "/0", vol)
    expect("ome_v05.zarr", "/1", half)

    # OME-Zarr 0.4 on Zarr v2.
    img = rng.integers(0, 255, size=(16, 14), endpoint=True, dtype=np.uint8)
    g = zarr.open_group(fresh("ome_v04.zarr"), mode="w", zarr_format=2)
    g.create_array("s0", shape=img.shape, chunks=(5, 14), dtype=img.dtype)[:] = img
    g.create_array("s1", shape=(8, 7), chunks=(8, 7), dtype=img.dtype)[:] = img[::2, ::2]
    g.attrs["multiscales"] = [{"version": "0.4", "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                               "datasets": [{"path": "s0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]},
                                            {"path": "s1", "coordinateTransformations": [{"type": "scale", "scale": [2, 2]}]}]}]
    expect("ome_v04.zarr", "/s0", img)

    with open(path("expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(HERE) for f in fs)
    print(f"{len(lines)} arrays, {size} bytes with zarr {zarr.__version__}")


if __name__ == "__main__":
    main()
