#!/usr/bin/env python3
"""Whole-process `plexus run` of the reconstruction plugin against the same
jobs done in Python by ASTRA (CPU), scikit-image and algotom, in the same
run, with peak RSS and PSNR against the phantom.

pip install numpy==2.4.6 scipy==1.17.1 scikit-image==0.26.0 astra-toolbox==2.5.0 algotom==1.7.0
./plexus.sh build       # the binary and its plugins
CARGO_TARGET_DIR=/var/tmp/plexus-target python3 plugins/reconstruction/benches/pipeline_peers.py \
    [--rows 16] [--repeat 2]       # from the repo root

Jobs (every one a fresh process reading its input file and writing its
slices, so start-up, imports and I/O count for everyone):

- `fbp`: the 512 x 512 modified Shepp-Logan phantom's exact sinogram (720
  angles over [0, 180), 512 columns, axis at 255.5), one row, as NPY ->
  one 512 x 512 slice (ramp filter). plexus: `plexus run` with
  `reconstruction.fbp`; peers: ASTRA `FBP` (ram-lak) and scikit-image
  `iradon` (ramp).
- `chain`: `--rows` such sinograms (each row scaled by 1 + 0.01 r) with
  2 % column gain errors (stripes) and the axis at 258.8 (3.3 px off the
  middle) -> remove_stripes (sorting, size 21) -> find_center (Vo, the
  middle row) -> FBP (Shepp-Logan filter) at the found centre. plexus:
  `plexus run` with the three stages and `${center.center_col}`; peer:
  algotom's `remove_stripe_based_sorting` per sinogram,
  `find_center_vo` on the middle row, ASTRA `FBP` (shepp-logan) per
  slice on a geometry moved to the found centre
  (`astra.functions.geom_postalignment`).

Threads: plexus `--threads 1` and `2`; the peers with OMP_NUM_THREADS=1
(ASTRA's CPU algorithms and these numpy/scipy paths are single-threaded).
Reported: wall time of the process, peak RSS (os.wait4), PSNR of the
middle slice against the phantom inside the reconstruction circle (data
range 1, slices divided by the row's scale), the centre found.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = open(os.path.join(HERE, "..", "fixtures", "make_fixtures.py")).read().split("peers = {}")[0]
exec(compile(FIX, "make_fixtures.py", "exec"))  # phantom(), sinogram(), half_turn()

FBP_PEER = r"""
import sys, numpy as np
method, sino_path, out_path = sys.argv[1:4]
sino = np.load(sino_path)[0]
na, n = sino.shape
theta = 180.0 * np.arange(na) / na
if method == 'skimage':
    from skimage.transform import iradon
    rec = iradon(sino.T, theta=theta, filter_name='ramp', circle=True)
else:
    import astra
    vg = astra.create_vol_geom(n, n)
    pg = astra.create_proj_geom('parallel', 1.0, n, np.deg2rad(theta))
    pid = astra.create_projector('linear', pg, vg)
    sid = astra.data2d.create('-sino', pg, sino)
    rid = astra.data2d.create('-vol', vg, 0.0)
    cfg = astra.astra_dict('FBP')
    cfg.update(ProjectorId=pid, ProjectionDataId=sid, ReconstructionDataId=rid, option={'FilterType': 'ram-lak'})
    aid = astra.algorithm.create(cfg)
    astra.algorithm.run(aid)
    rec = astra.data2d.get(rid)
np.save(out_path, rec[None].astype(np.float32))
"""

CHAIN_PEER = r"""
import sys, json, numpy as np
import astra
from algotom.prep.removal import remove_stripe_based_sorting
from algotom.prep.calculation import find_center_vo
sino_path, out_path = sys.argv[1:3]
stack = np.load(sino_path)
rows, na, n = stack.shape
theta = np.deg2rad(180.0 * np.arange(na) / na)
clean = np.stack([remove_stripe_based_sorting(s, size=21, dim=1) for s in stack]).astype(np.float32)
center = float(find_center_vo(clean[rows // 2]))
vg = astra.create_vol_geom(n, n)
pg = astra.create_proj_geom('parallel', 1.0, n, theta)
# ASTRA puts the axis at (n - 1)/2; move the detector by the offset.
pg = astra.functions.geom_postalignment(pg, center - (n - 1) / 2)
pid = astra.create_projector('linear', pg, vg)
out = np.empty((rows, n, n), np.float32)
for r in range(rows):
    sid = astra.data2d.create('-sino', pg, clean[r])
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

FBP_PIPELINE = """[pipeline]
name = "bench-fbp"

[input]
path = "{sino}"

[[stage]]
id = "recon"
use = "reconstruction.fbp"
params = {{ filter = "ramp" }}

[[output]]
from = "recon"
path = "{out}"
"""

CHAIN_PIPELINE = """[pipeline]
name = "bench-chain"

[input]
path = "{sino}"
chunk = {chunk}

[[stage]]
id = "stripes"
use = "reconstruction.remove_stripes"

[[stage]]
id = "center"
use = "reconstruction.find_center"

[[stage]]
id = "recon"
use = "reconstruction.fbp"
params = {{ center_col = "${{center.center_col}}" }}

[[output]]
from = "recon"
path = "{out}"
"""


def run_measured(cmd, threads, cwd=None):
    """Wall time and peak RSS (MB) of one process."""
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each job; the fastest is reported")
    args = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/plexus-target")
    plexus = os.path.join(target, "release", "plexus")
    if not os.path.exists(os.path.join(target, "release", "plugins", "reconstruction", "plugin.toml")):
        raise SystemExit(f"no packaged reconstruction plugin beside {plexus}: run ./plexus.sh build first")
    n, na = 512, 720
    ph = phantom(n)
    yy, xx = np.mgrid[:n, :n] - (n - 1) / 2
    inside = xx ** 2 + yy ** 2 <= ((n - 1) / 2) ** 2
    tmp = tempfile.mkdtemp(prefix="plexus-recon-pipeline-")

    def psnr_of(path, row=0, scale=1.0):
        rec = np.load(path)[row] / scale
        return float(10 * np.log10(1.0 / np.mean((rec[inside] - ph[inside]) ** 2)))

    one = os.path.join(tmp, "one.npy")
    np.save(one, sinogram(n, n, half_turn(na), (n - 1) / 2).astype(np.float32)[None])
    rows, truth = args.rows, 258.8
    base = sinogram(n, n, half_turn(na), truth)
    gain = 1 + 0.02 * np.random.default_rng(5).standard_normal(n)
    stack = np.stack([base * (1 + 0.01 * r) * gain[None, :] for r in range(rows)]).astype(np.float32)
    many = os.path.join(tmp, "many.npy")
    np.save(many, stack)
    mid = rows // 2
    mb = stack.nbytes / 1e6

    jobs = []
    for threads in (1, 2):
        jobs.append(("plexus run fbp", "fbp", threads, "plexus"))
    jobs += [("ASTRA FBP (python)", "fbp", 1, "astra"), ("skimage iradon (python)", "fbp", 1, "skimage")]
    for threads in (1, 2):
        jobs.append(("plexus run chain", "chain", threads, "plexus"))
    jobs.append(("algotom + ASTRA chain (python)", "chain", 1, "python"))

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; chain input "
          f"{rows} x {na} x {n} f32 = {mb:.1f} MB")
    print(f"{'job':32} {'thr':>3} {'wall s':>8} {'peak MB':>8} {'PSNR dB':>8} {'centre':>8}")
    best = {}
    for name, job, threads, who in jobs:
        out = os.path.join(tmp, "out.npy")
        walls = []
        for _ in range(args.repeat):
            if os.path.exists(out):
                os.remove(out)
            center = ""
            if who == "plexus":
                toml = os.path.join(tmp, f"{job}.toml")
                text = (FBP_PIPELINE.format(sino=one, out=out) if job == "fbp"
                        else CHAIN_PIPELINE.format(sino=many, out=out, chunk=max(1, rows // 4)))
                open(toml, "w").write(text)
                wall, rss, _ = run_measured([plexus, "run", "--threads", str(threads), toml], threads, cwd=tmp)
                if job == "chain":
                    side = json.load(open(out + ".json"))
                    center = f"{side['results']['center']['center_col']:.2f}"
            elif job == "fbp":
                wall, rss, _ = run_measured([sys.executable, "-c", FBP_PEER, who, one, out], threads)
            else:
                wall, rss, err = run_measured([sys.executable, "-c", CHAIN_PEER, many, out], threads)
                center = f"{json.loads(err.strip().splitlines()[-1])['center_col']:.2f}"
            walls.append((wall, rss))
        wall, rss = min(walls)
        p = psnr_of(out) if job == "fbp" else psnr_of(out, mid, 1 + 0.01 * mid)
        best[(name, threads)] = wall
        print(f"{name:32} {threads:3d} {wall:8.2f} {rss:8.1f} {p:8.2f} {center:>8}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at end; true centre of the chain {truth}")
    print("ratios (peer wall / plexus wall, whole processes):")
    for peer, mine in [("ASTRA FBP (python)", "plexus run fbp"), ("skimage iradon (python)", "plexus run fbp"),
                       ("algotom + ASTRA chain (python)", "plexus run chain")]:
        for mt in (1, 2):
            print(f"  {peer} / {mine} ({mt} thr): {best[(peer, 1)] / best[(mine, mt)]:.1f}x")
    print(f"chain throughput, plexus 2 threads: {mb / best[('plexus run chain', 2)]:.1f} MB/s of sinograms")


if __name__ == "__main__":
    main()
