#!/usr/bin/env python3
"""Whole-process speed of plexus-reconstruction against scikit-image and
ASTRA (CPU), in the same run, with peak RSS and PSNR against the phantom.

pip install numpy==2.4.6 scipy==1.17.1 scikit-image==0.26.0 astra-toolbox==2.5.0
CARGO_TARGET_DIR=/var/tmp/plexus-target-recon python3 plugins/reconstruction/benches/peers.py \
    [--iterations 20] [--skip-slow]          # from the repo root

Job: the 512 x 512 modified Shepp-Logan phantom's exact parallel-beam
sinogram (720 angles over [0, 180), 512 detector columns, axis at 255.5)
-> 512 x 512 slice: FBP (ramp filter), gridrec (ramp), SIRT and CGLS
(`--iterations`, reported per iteration). Each job runs as its own process
(`examples/recon_npy.rs` for plexus, `python3 -c ...` for the peers);
reported: the compute time the job measures itself (without reading and
writing files), the process's wall time, its peak RSS (os.wait4), and the
PSNR of its slice against the phantom (data range 1, inside the
reconstruction circle, where every method is defined). Threads: plexus
runs with 1 and 2; the peers with OMP_NUM_THREADS=1 and 2 (ASTRA's CPU
code paths are single-threaded; scikit-image's iradon is pure numpy).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
FIX = open(os.path.join(HERE, "..", "fixtures", "make_fixtures.py")).read().split("peers = {}")[0]
exec(compile(FIX, "make_fixtures.py", "exec"))  # phantom(), sinogram(), half_turn()

PEER = r"""
import sys, time, numpy as np
method, sino_path, out_path, iters = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sino = np.load(sino_path)
na, n = sino.shape
theta = 180.0 * np.arange(na) / na
if method == 'skimage-fbp':
    from skimage.transform import iradon
    t = time.perf_counter()
    rec = iradon(sino.T, theta=theta, filter_name='ramp', circle=True)
else:
    import astra
    vg = astra.create_vol_geom(n, n)
    pg = astra.create_proj_geom('parallel', 1.0, n, np.deg2rad(theta))
    pid = astra.create_projector('linear', pg, vg)
    sid = astra.data2d.create('-sino', pg, sino)
    rid = astra.data2d.create('-vol', vg, 0.0)
    alg = {'astra-fbp': 'FBP', 'astra-sirt': 'SIRT', 'astra-cgls': 'CGLS'}[method]
    cfg = astra.astra_dict(alg)
    cfg.update(ProjectorId=pid, ProjectionDataId=sid, ReconstructionDataId=rid)
    if alg == 'FBP':
        cfg['option'] = {'FilterType': 'ram-lak'}
    aid = astra.algorithm.create(cfg)
    t = time.perf_counter()
    astra.algorithm.run(aid, 1 if alg == 'FBP' else iters)
    rec = astra.data2d.get(rid)
print('compute_s', time.perf_counter() - t, file=sys.stderr)
np.save(out_path, rec.astype(np.float32))
"""


def run(cmd, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{cmd}: exit {p.returncode}\n{err}")
    compute = float([l for l in err.splitlines() if l.startswith("compute_s")][-1].split()[1])
    return compute, wall, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--skip-slow", action="store_true", help="no ASTRA SIRT/CGLS")
    args = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/plexus-target")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "plexus-reconstruction", "--example", "recon_npy"],
                   check=True)
    exe = os.path.join(target, "release", "examples", "recon_npy")
    n, na = 512, 720
    ph = phantom(n)
    yy, xx = np.mgrid[:n, :n] - (n - 1) / 2
    inside = xx ** 2 + yy ** 2 <= ((n - 1) / 2) ** 2
    tmp = tempfile.mkdtemp(prefix="plexus-recon-peers-")
    sino_path = os.path.join(tmp, "sino.npy")
    np.save(sino_path, sinogram(n, n, half_turn(na), (n - 1) / 2).astype(np.float32))
    it = args.iterations
    jobs = []
    for threads in (1, 2):
        jobs += [("plexus fbp", threads, [exe, "fbp"], 1), ("plexus gridrec", threads, [exe, "gridrec"], 1),
                 ("plexus sirt", threads, [exe, "sirt"], it), ("plexus cgls", threads, [exe, "cgls"], it)]
    peers = [("skimage iradon", "skimage-fbp", 1), ("astra fbp", "astra-fbp", 1)]
    if not args.skip_slow:
        peers += [("astra sirt", "astra-sirt", it), ("astra cgls", "astra-cgls", it)]
    for name, method, iters in peers:
        for threads in (1, 2):
            jobs.append((name, threads, [sys.executable, "-c", PEER, method], iters))
    rows = {}
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(f"{'job':16} {'thr':>3} {'compute s':>10} {'per iter s':>10} {'wall s':>8} {'peak MB':>8} {'PSNR dB':>8}")
    for name, threads, cmd, iters in jobs:
        out = os.path.join(tmp, "out.npy")
        extra = [str(iters), str(threads)] if cmd[0] == exe else [str(iters)]
        compute, wall, rss = run(cmd + [sino_path, out] + extra, threads)
        rec = np.load(out).reshape(n, n)
        p = float(10 * np.log10(1.0 / np.mean((rec[inside] - ph[inside]) ** 2)))
        per = compute / iters
        rows[(name, threads)] = per
        print(f"{name:16} {threads:3d} {compute:10.3f} {per:10.4f} {wall:8.2f} {rss:8.1f} {p:8.2f}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    print("ratios (peer time / plexus time, compute, per iteration for SIRT/CGLS):")
    for peer, mine in [("skimage iradon", "plexus fbp"), ("astra fbp", "plexus fbp"), ("astra fbp", "plexus gridrec"),
                       ("astra sirt", "plexus sirt"), ("astra cgls", "plexus cgls")]:
        for pt in (1, 2):
            for mt in (1, 2):
                if (peer, pt) in rows and (mine, mt) in rows and pt <= mt:
                    print(f"  {peer} ({pt} thr) / {mine} ({mt} thr): {rows[(peer, pt)] / rows[(mine, mt)]:.1f}x")


if __name__ == "__main__":
    main()
