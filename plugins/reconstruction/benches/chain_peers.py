#!/usr/bin/env python3
"""The whole `examples/tomo.toml` chain through the real `plexus` binary
against the same chain as a TomoPy-style numpy/scipy/algotom/ASTRA script,
in the same run, on the same dxchange HDF5 scan: seconds, GB/s of
projections, peak RSS (against plexus' --memory budget), the centre found
and PSNR against the phantom.

pip install numpy==2.4.6 scipy==1.17.1 scikit-image==0.26.0 astra-toolbox==2.5.0 algotom==1.7.0 h5py==3.16.0 zarr==3.1.6
./plexus.sh build       # the binary (with HDF5) and its plugins
CARGO_TARGET_DIR=/var/tmp/plexus-target python3 plugins/reconstruction/benches/chain_peers.py \
    [--cols 1024] [--angles 750] [--rows 32] [--memory 256MiB] [--threads 2]   # from the repo root

The scan: `examples/tomo-scan.toml` scaled to cols x angles x rows (3-D
modified Shepp-Logan, 5000 photons, zingers, 1 % stripes, axis 2.7 columns
right of the middle), written by plexus as /exchange/data (f32, angle row
col) with data_white, data_dark and theta. Not timed.

plexus: `plexus run --memory M --threads T examples/tomo.toml --input
scan.h5` -> volume.zarr (OME-Zarr, the host's chunked writer): normalize
(mean flats/darks) -> remove_zingers (3 x 3 median, threshold 0.1) ->
minus_log -> host reslice -> remove_stripes (sorting, 21) -> find_center
(Vo) -> fbp (Shepp-Logan filter, zero padding).

peer (one process): h5py reads the whole scan; normalize as
tomopy.prep.normalize.normalize (mean flats/darks, f32); zingers with
scipy.ndimage.median_filter (1, 3, 3), 'reflect', replaced where above the
median by 0.1; -log with the same floor (1e-6); np.transpose to sinograms;
algotom remove_stripe_based_sorting(size=21, dim=1) per sinogram; algotom
find_center_vo on the middle sinogram; ASTRA CPU FBP (shepp-logan,
`linear` projector) per slice at the found centre
(the sinogram shifted by scipy.ndimage.shift, linear: ASTRA's FBP takes
no shifted geometry); np.save of the volume (cheaper than
OME-Zarr, in the peer's favour). OMP_NUM_THREADS = T (ASTRA's CPU FBP and
these numpy/scipy paths use one core).

Reported: wall time of each process, GB/s = bytes of /exchange/data (f32)
/ wall, peak RSS from os.wait4, the centre found against the truth, PSNR of
the volume against the phantom (peak 1, all voxels; slices divided by the
pixel size 2/(cols-1)).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

PEER = r"""
import sys, json, numpy as np, h5py, scipy.ndimage as ndi, astra
from algotom.prep.removal import remove_stripe_based_sorting
from algotom.prep.calculation import find_center_vo
scan, out_path = sys.argv[1:3]
with h5py.File(scan, 'r') as f:
    proj = f['/exchange/data'][...].astype(np.float32)
    flat = f['/exchange/data_white'][...].astype(np.float32).mean(axis=0)
    dark = f['/exchange/data_dark'][...].astype(np.float32).mean(axis=0)
    theta = np.deg2rad(f['/exchange/theta'][...])
den = flat - dark
ok = den > 0
proj = np.where(ok, (proj - dark) / np.where(ok, den, 1.0), 1.0).astype(np.float32)
med = ndi.median_filter(proj, size=(1, 3, 3), mode='reflect')
proj = np.where(proj - med > 0.1, med, proj)
del med
proj = -np.log(np.maximum(proj, 1e-6))
sinos = np.ascontiguousarray(np.transpose(proj, (1, 0, 2)))
del proj
rows, na, n = sinos.shape
clean = np.stack([remove_stripe_based_sorting(s, size=21, dim=1) for s in sinos]).astype(np.float32)
del sinos
center = float(find_center_vo(clean[rows // 2]))
vg = astra.create_vol_geom(n, n)
pg = astra.create_proj_geom('parallel', 1.0, n, theta)
# ASTRA's FBP puts the axis at (n - 1)/2 and takes only 'parallel'
# geometries (geom_postalignment makes a parallel_vec one): shift the
# sinograms instead, linear interpolation, as TomoPy-style scripts do.
shift = (n - 1) / 2 - center
pid = astra.create_projector('linear', pg, vg)
out = np.empty((rows, n, n), np.float32)
for r in range(rows):
    sid = astra.data2d.create('-sino', pg, ndi.shift(clean[r], (0, shift), order=1, mode='nearest'))
    rid = astra.data2d.create('-vol', vg, 0.0)
    cfg = astra.astra_dict('FBP')
    cfg.update(ProjectorId=pid, ProjectionDataId=sid, ReconstructionDataId=rid, option={'FilterType': 'shepp-logan'})
    aid = astra.algorithm.create(cfg)
    astra.algorithm.run(aid)
    out[r] = astra.data2d.get(rid)
    astra.algorithm.delete(aid); astra.data2d.delete([sid, rid])
np.save(out_path, out)
print(json.dumps({'center_col': center}), file=sys.stderr)
"""


def run_measured(cmd, threads, cwd=None):
    """Wall time (s), peak RSS (MiB) and stderr of one process."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True, cwd=cwd)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{cmd}: exit {code}\n{err}")
    return wall, usage.ru_maxrss / 1024.0, err


def psnr(vol, phantom, pixel):
    mse = float(np.mean((vol.astype(np.float64) / pixel - phantom) ** 2))
    return 10 * np.log10(1.0 / mse)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, default=1024)
    ap.add_argument("--angles", type=int, default=750)
    ap.add_argument("--rows", type=int, default=32)
    ap.add_argument("--memory", default="256MiB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/plexus-target")
    plexus = os.path.join(target, "release", "plexus")
    work = tempfile.mkdtemp(prefix="plexus-chain-")
    env = dict(os.environ, PLEXUS_PLUGIN_PATH=os.path.join(target, "release", "plugins"))

    scan_toml = open(os.path.join(ROOT, "examples", "tomo-scan.toml")).read()
    scan_toml = re.sub(r"size = 128, depth = 16, n_angles = 180", f"size = {args.cols}, depth = {args.rows}, n_angles = {args.angles}", scan_toml)
    assert f"size = {args.cols}" in scan_toml
    open(os.path.join(work, "scan.toml"), "w").write(scan_toml)
    phantom_toml = open(os.path.join(ROOT, "examples", "tomo-phantom.toml")).read()
    phantom_toml = phantom_toml.replace("size = 128, depth = 16", f"size = {args.cols}, depth = {args.rows}")
    open(os.path.join(work, "phantom.toml"), "w").write(phantom_toml)
    tomo = open(os.path.join(ROOT, "examples", "tomo.toml")).read()
    open(os.path.join(work, "tomo.toml"), "w").write(tomo)
    for f in ["scan.toml", "phantom.toml"]:
        subprocess.run([plexus, "run", "--quiet", f], cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
    scan = os.path.join(work, "out", "scan.h5")
    truth = json.load(open(scan + ".json"))["results"]["scan"]["center_col"]
    phantom = np.load(os.path.join(work, "out", "phantom.npy")).astype(np.float64)
    pixel = 2.0 / (args.cols - 1)
    raw_bytes = args.cols * args.angles * args.rows * 4

    rows = []
    for _ in range(args.repeat):
        cmd = [plexus, "run", "--quiet", "--memory", args.memory, "--threads", str(args.threads), "tomo.toml"]
        env_cmd = ["env", f"PLEXUS_PLUGIN_PATH={env['PLEXUS_PLUGIN_PATH']}"] + cmd
        wall, rss, _ = run_measured(env_cmd, args.threads, cwd=work)
        side = json.load(open(os.path.join(work, "out", "volume.zarr.json")))
        center = side["results"]["center"]["center_col"]
        vol = read_ome_zarr(os.path.join(work, "out", "volume.zarr"))
        rows.append(("plexus (examples/tomo.toml)", wall, rss, center, psnr(vol, phantom, pixel)))

        peer_py = os.path.join(work, "peer.py")
        open(peer_py, "w").write(PEER)
        out_npy = os.path.join(work, "peer.npy")
        wall, rss, err = run_measured([sys.executable, peer_py, scan, out_npy], args.threads)
        center = json.loads(err.strip().splitlines()[-1])["center_col"]
        rows.append(("numpy/scipy/algotom/ASTRA", wall, rss, center, psnr(np.load(out_npy), phantom, pixel)))

    print(f"scan {args.cols} cols x {args.angles} angles x {args.rows} rows: {raw_bytes / 2**20:.0f} MiB of f32 projections; "
          f"plexus --memory {args.memory} --threads {args.threads}; true centre {truth}")
    print("| job | wall (s) | GB/s of projections | peak RSS (MiB) | centre (true %.2f) | PSNR (dB) |" % truth)
    print("|---|---|---|---|---|---|")
    for name, wall, rss, center, db in rows:
        print(f"| {name} | {wall:.2f} | {raw_bytes / wall / 1e9:.3f} | {rss:.0f} | {center:.2f} | {db:.2f} |")
    pl = [r for r in rows if r[0].startswith("plexus")]
    pe = [r for r in rows if not r[0].startswith("plexus")]
    print(f"peer wall / plexus wall: {np.median([r[1] for r in pe]) / np.median([r[1] for r in pl]):.1f}x")


def read_ome_zarr(path):
    """Level 0 of the OME-Zarr image (zarr-python: an independent reader)."""
    import zarr

    group = zarr.open_group(path, mode="r")
    level0 = group.attrs["ome"]["multiscales"][0]["datasets"][0]["path"] if "ome" in group.attrs else \
        group.attrs["multiscales"][0]["datasets"][0]["path"]
    return np.asarray(group[level0])


if __name__ == "__main__":
    main()
