#!/usr/bin/env python3
"""Generates the HDF5 fixtures of plexus-io (feature `hdf5`) with h5py.

Run from anywhere: `python3 io/tests/h5/make_h5_fixtures.py`. Needs numpy,
h5py, tifffile and Pillow. Output is deterministic (fixed seeds, no
timestamps); the Rust tests only read the committed files and never run
Python. Files are written with `libver="earliest"` so that HDF5 1.10 (Debian
12) reads them whatever HDF5 h5py bundles.

- `scan.h5`: a dxchange scan of a tiny phantom: `/exchange/data` float32
  (6 angles × 8 rows × 10 cols, analytic projections of two spheres),
  `/exchange/data_white` and `/exchange/data_dark` uint16 (2 × 8 × 10),
  `/exchange/theta` float32 degrees with `units="degrees"`, `/implements`.
- `images.h5`: an image set of 5 crops of the real test images: 3 from
  `grains.tif` (32 × 40 uint8) and 2 from `ihc.png` (24 × 24 × 3 uint8), each
  with attributes of every kind h5py writes (str, int, float, bool, int
  array, fixed-length bytes). `images_attrs.json` holds those attributes as
  JSON, as plexus should read them.
- `types.h5`: `np.arange(12).reshape(3, 4)` in every element type (and
  big-endian, gzip-chunked, nested in groups), plus types plexus refuses.
- `gap.h5`: an image set with `/0` and `/2` but no `/1`.
- `bad_scan.h5`: dxchange with integer angles.
- `not_hdf5.h5`: a text file.

`expected.txt`: `file|dataset|shape|dtype|sha256` per array, sha256 of the
elements in C order, little-endian, as plexus returns them.

What h5py reads of the files plexus writes is checked by
`scripts/peer-check.sh` (run by `./plexus.sh test`).
"""

import hashlib
import json
import os

import h5py
import numpy as np
import tifffile
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
PLEXUS = {
    np.dtype("uint8"): "u8",
    np.dtype("uint16"): "u16",
    np.dtype("uint32"): "u32",
    np.dtype("int16"): "i16",
    np.dtype("int32"): "i32",
    np.dtype("float32"): "f32",
    np.dtype("float64"): "f64",
}
lines = []


def path(name):
    return os.path.join(HERE, name)


def h5(name):
    return h5py.File(path(name), "w", libver="earliest", track_order=False)


def expect(name, dataset, a):
    a = np.asarray(a)
    a = a.astype(a.dtype.newbyteorder("="))
    le = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))
    digest = hashlib.sha256(le.tobytes()).hexdigest()
    shape = ",".join(str(d) for d in a.shape)
    lines.append("|".join([name, dataset, shape, PLEXUS[a.dtype], digest]))


def phantom_projections(angles_deg, rows, cols):
    """Parallel-beam projections of two spheres (centre, radius in pixels)."""
    spheres = [((0.0, 0.0, 0.0), 3.5), ((1.5, -1.0, 1.0), 1.5)]
    out = np.zeros((len(angles_deg), rows, cols), np.float64)
    s = np.arange(cols) - (cols - 1) / 2
    z = np.arange(rows) - (rows - 1) / 2
    for k, deg in enumerate(np.deg2rad(angles_deg)):
        for (cx, cy, cz), r in spheres:
            centre = cx * np.cos(deg) + cy * np.sin(deg)
            d2 = (s[None, :] - centre) ** 2 + (z[:, None] - cz) ** 2
            out[k] += 2 * np.sqrt(np.clip(r * r - d2, 0, None))
    return out


def scan():
    rng = np.random.default_rng(7)
    theta = np.linspace(0, 180, 6, endpoint=False).astype(np.float32)
    data = phantom_projections(theta.astype(np.float64), 8, 10).astype(np.float32)
    white = (1000 + rng.integers(0, 50, size=(2, 8, 10))).astype(np.uint16)
    dark = (100 + rng.integers(0, 5, size=(2, 8, 10))).astype(np.uint16)
    with h5("scan.h5") as f:
        f.create_dataset("implements", data="exchange:measurement:process")
        ex = f.create_group("exchange")
        ex.create_dataset("data", data=data)
        ex.create_dataset("data_white", data=white)
        ex.create_dataset("data_dark", data=dark)
        t = ex.create_dataset("theta", data=theta)
        t.attrs["units"] = "degrees"
    for ds, a in [("/exchange/data", data), ("/exchange/data_white", white), ("/exchange/data_dark", dark),
                  ("/exchange/theta", theta)]:
        expect("scan.h5", ds, a)

    with h5("bad_scan.h5") as f:
        ex = f.create_group("exchange")
        ex.create_dataset("data", data=data)
        ex.create_dataset("theta", data=np.arange(6, dtype=np.int32) * 30)


def images():
    grains = tifffile.imread(os.path.join(DATA, "grains.tif"))
    ihc = np.asarray(Image.open(os.path.join(DATA, "ihc.png")).convert("RGB"))
    crops = [
        ("grains.tif", grains, 10, 20, 32, 40, "grain"),
        ("grains.tif", grains, 100, 60, 32, 40, "background"),
        ("grains.tif", grains, 200, 180, 32, 40, "grain"),
        ("ihc.png", ihc, 50, 70, 24, 24, "gland"),
        ("ihc.png", ihc, 300, 400, 24, 24, "stroma"),
    ]
    all_attrs = []
    with h5("images.h5") as f:
        for i, (src, img, y0, x0, h, w, label) in enumerate(crops):
            crop = np.ascontiguousarray(img[y0:y0 + h, x0:x0 + w])
            d = f.create_dataset(str(i), data=crop)
            attrs = {
                "source": src,
                "label": label,
                "y0": y0,
                "x0": x0,
                "scale": 0.5 * (i + 1),
                "bbox": [y0, x0, h, w],
                "flagged": bool(i % 2),
                "tag": label[:3],
            }
            for k, v in attrs.items():
                if k == "tag":
                    d.attrs[k] = np.bytes_(v.encode())  # fixed-length ASCII
                elif k == "flagged":
                    d.attrs[k] = np.bool_(v)
                elif k == "bbox":
                    d.attrs[k] = np.array(v, dtype=np.int64)
                else:
                    d.attrs[k] = v
            all_attrs.append(attrs)
            expect("images.h5", f"/{i}", crop)
    with open(path("images_attrs.json"), "w") as out:
        json.dump(all_attrs, out, indent=1, sort_keys=True)
        out.write("\n")

    with h5("gap.h5") as f:
        f.create_dataset("0", data=grains[:4, :4])
        f.create_dataset("2", data=grains[4:8, :4])


def types():
    base = np.arange(12).reshape(3, 4)
    with h5("types.h5") as f:
        for name, dt in [("u1", "u1"), ("u2", "u2"), ("u4", "u4"), ("i1", "i1"), ("i2", "i2"), ("i4", "i4"),
                         ("f4", "f4"), ("f8", "f8"), ("be_u2", ">u2"), ("be_i4", ">i4"), ("be_f8", ">f8")]:
            f.create_dataset(name, data=base.astype(dt))
        f.create_dataset("bool", data=(base % 2).astype(bool))
        f.create_dataset("gzip_u2", data=base.astype("u2"), chunks=(2, 2), compression="gzip", shuffle=True)
        f.create_dataset("g/h/deep", data=base.astype("u1"))
        f.create_dataset("scalar_f8", data=np.float64(2.5))
        f.create_dataset("i8", data=base.astype("i8"))
        f.create_dataset("text", data="hello")
        f.create_dataset("pairs", data=np.zeros(3, dtype=[("a", "i4"), ("b", "f4")]))
    expect("types.h5", "/u1", base.astype("u1"))

    with open(path("not_hdf5.h5"), "w") as out:
        out.write("this is not an HDF5 file\n")


def main():
    scan()
    images()
    types()
    with open(path("expected.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} expectations with h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version})")


if __name__ == "__main__":
    main()
