#!/usr/bin/env python3
"""Reads back what plexus-io wrote (`io/examples/peer_files.rs`) with the
libraries scientists use, and fails on any difference.

    python3 scripts/peer_check.py DIR

Run by scripts/peer-check.sh (from `./plexus.sh test`), which makes the
venv (scripts/peer-requirements.txt) and the files. For each entry of
DIR/manifest.json the expected elements are in `<file>.raw` (little-endian,
C order):

- NPY: `numpy.load`, and the header must be what numpy itself writes.
- TIFF: `tifffile.imread` (shape from the description, dtype), classic or
  BigTIFF as announced, and every page's size.
- Zarr: `zarr.open` (zarr-python, v3) for every array; for OME-Zarr images
  the metadata is validated against the NGFF 0.5 schema models of
  `ome-zarr-models`, the axes, units and scales are checked, and each
  pyramid level is compared with its own independent computation here
  (numpy: NaN-padded 2x2x2 blocks, `nanmean`, `rint` for integers) from the
  level below as stored.
- PNG: Pillow, for the kinds it reads without conversion (8-bit gray,
  gray + alpha, RGB, RGBA; 16-bit gray).
- HDF5: `h5py` for every dataset and its attributes (the image set copied
  from the h5py fixture carries every attribute kind h5py writes).

Exit status 0 when everything matches, 1 otherwise; every check prints one
line.
"""

import json
import os
import sys

import numpy as np

DTYPES = {"u8": "<u1", "u16": "<u2", "u32": "<u4", "i16": "<i2", "i32": "<i4", "f32": "<f4", "f64": "<f8"}
failures = []


def report(ok, what):
    print(f"{'ok ' if ok else 'BAD'} {what}")
    if not ok:
        failures.append(what)


def expected(d, entry):
    raw = entry.get("raw", entry["file"] + ".raw")
    a = np.fromfile(os.path.join(d, raw), DTYPES[entry["dtype"]])
    return a.reshape(entry["shape"]).astype(np.dtype(DTYPES[entry["dtype"]]).newbyteorder("="))


def same(got, want):
    got = np.asarray(got)
    return got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True)


def check_npy(d, e):
    p = os.path.join(d, e["file"])
    want = expected(d, e)
    got = np.load(p)
    report(same(got, want), f"{e['file']:22} numpy.load {got.dtype} {got.shape}")
    # Version 1.0, C order, little-endian: what numpy writes itself.
    with open(p, "rb") as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(f)
    report(version == (1, 0) and shape == want.shape and not fortran and dtype == want.dtype,
           f"{e['file']:22} header version {version}, shape {shape}, fortran {fortran}, {dtype.str}")


def check_tiff(d, e):
    import tifffile

    p = os.path.join(d, e["file"])
    want = expected(d, e)
    got = tifffile.imread(p)
    report(same(got, want), f"{e['file']:22} tifffile.imread {got.dtype} {got.shape}")
    with tifffile.TiffFile(p) as t:
        report(t.is_bigtiff == e["bigtiff"], f"{e['file']:22} {'BigTIFF' if t.is_bigtiff else 'classic'}")
        page = t.pages[0].shape
        report(all(pg.shape == page for pg in t.pages), f"{e['file']:22} {len(t.pages)} pages of {page}")


def downsample(a, space):
    """2x mean over the space axes; blocks cut by the edge average what they hold."""
    pad = [(0, n % 2 if s else 0) for n, s in zip(a.shape, space)]
    f = np.pad(a.astype(np.float64), pad, constant_values=np.nan)
    shape = []
    for n, s in zip(f.shape, space):
        shape += [n // 2, 2] if s else [n, 1]
    with np.errstate(invalid="ignore"):
        m = np.nanmean(f.reshape(shape), axis=tuple(range(1, len(shape), 2)))
    if np.issubdtype(a.dtype, np.integer):
        return np.rint(m).astype(a.dtype)
    return m.astype(a.dtype)


def check_zarr(d, e):
    import zarr

    p = os.path.join(d, e["file"])
    want = expected(d, e)
    if e["kind"] == "zarr":
        z = zarr.open_array(p, mode="r")
        report(same(z[:], want), f"{e['file']:22} zarr.open_array {z.dtype} {z.shape}")
        report(list(z.metadata.dimension_names) == e["axes"].split(), f"{e['file']:22} dimension_names {z.metadata.dimension_names}")
        return
    from ome_zarr_models.v05.image import Image

    g = zarr.open_group(p, mode="r")
    try:
        image = Image.from_zarr(g)
        report(True, f"{e['file']:22} validates as an OME-Zarr 0.5 image (ome-zarr-models)")
    except Exception as err:  # the validator's own error says what is wrong
        report(False, f"{e['file']:22} OME-Zarr 0.5 validation: {err}")
        return
    ms = image.ome_attributes.multiscales[0]
    names = [a.name for a in ms.axes]
    report(names == e["axes"].split(), f"{e['file']:22} axes {names}")
    space = [a.type == "space" for a in ms.axes]
    if "unit" in e:
        units = [a.unit for a in ms.axes if a.type == "space"]
        report(all(u == e["unit"] for u in units), f"{e['file']:22} units {units}")
    if "name" in e:
        report(ms.name == e["name"], f"{e['file']:22} name {ms.name!r}")
    report(len(ms.datasets) == e["levels"], f"{e['file']:22} {len(ms.datasets)} levels")
    below = None
    voxel = np.array(e["voxel_size_um"], dtype=float)
    for k, ds in enumerate(ms.datasets):
        arr = g[ds.path]
        level = arr[:]
        scale = np.array(ds.coordinateTransformations[0].scale)
        factor = np.where(space, 2.0 ** k, 1.0)
        report(np.allclose(scale, voxel * factor), f"{e['file']:22} level {k} scale {scale.tolist()}")
        if k == 0:
            report(same(level, want), f"{e['file']:22} level 0 zarr {level.dtype} {level.shape}")
        else:
            ref = downsample(below, space)
            if np.issubdtype(level.dtype, np.integer):
                ok = same(level, ref)
            else:
                # Means taken one axis after another round differently from
                # numpy's nanmean in the last bit: 1e-6 relative.
                ok = level.shape == ref.shape and np.allclose(level, ref, rtol=1e-6, equal_nan=True)
            report(ok, f"{e['file']:22} level {k} = 2x mean of level {k - 1}: {level.shape}")
        below = level


def check_png(d, e):
    from PIL import Image

    p = os.path.join(d, e["file"])
    want = expected(d, e)
    with Image.open(p) as im:
        got = np.asarray(im)
        mode = im.mode
    report(same(got, want), f"{e['file']:22} Pillow ({mode}) {got.dtype} {got.shape}")


def check_hdf5(d, e):
    import h5py

    p = os.path.join(d, e["file"])
    want = expected(d, e)
    with h5py.File(p, "r") as f:
        got = f[e["dataset"]][()]
        report(same(got, want), f"{e['file']:12} {e['dataset']:22} h5py {got.dtype} {got.shape}")
        for k, v in e.get("attrs", {}).items():
            a = f[e["dataset"]].attrs.get(k)
            a = a.decode() if isinstance(a, bytes) else a
            a = a.tolist() if isinstance(a, np.ndarray) else a
            a = a.item() if isinstance(a, np.generic) else a
            report(a == v, f"{e['file']:12} {e['dataset']:22} attribute {k} = {a!r}")
        if e["file"] == "scan.h5" and e["dataset"] == "/exchange/data":
            imp = f["implements"][()]
            imp = imp.decode() if isinstance(imp, bytes) else imp
            report(imp == "exchange:measurement:process", f"{e['file']:12} /implements {imp!r}")


def main(d):
    with open(os.path.join(d, "manifest.json")) as f:
        manifest = json.load(f)
    expect_hdf5 = os.environ.get("PLEXUS_EXPECT_HDF5") == "1"
    if expect_hdf5 and not manifest["hdf5"]:
        report(False, "PLEXUS_EXPECT_HDF5=1 but the files were written without plexus-io's `hdf5` feature")
    checks = {"npy": check_npy, "tiff": check_tiff, "zarr": check_zarr, "ome-zarr": check_zarr, "png": check_png,
              "hdf5": check_hdf5}
    for e in manifest["files"]:
        try:
            checks[e["kind"]](d, e)
        except Exception as err:
            report(False, f"{e['file']}: {type(err).__name__}: {err}")
    n = len(manifest["files"])
    print(f"peer check: {n} files, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
