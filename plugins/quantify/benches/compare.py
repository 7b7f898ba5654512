#!/usr/bin/env python3
"""Whole-process speed comparison of the segment/quantify operators with
their Python peers, on the same input files, in the same run, with peak RSS.

    ./plexus.sh build   # the plexus binary and its built-in plugins
    CARGO_TARGET_DIR=/var/tmp/plexus-target python3 plugins/quantify/benches/compare.py [--repeat 3] [--jobs otsu-label,edt,surface-area,tortuosity]

Needs: numpy scipy scikit-image porespy openpnm connected-components-3d edt
(pip). Writes the inputs once into $CARGO_TARGET_DIR/volume-bench/
(seeded), then for every job runs each side as its own process `repeat`
times: plexus is the real binary, `plexus run --json --threads N` on a
one-stage-per-operator pipeline reading the same .npy (one chunk: the whole
volume); its compute time is the operators' busy time from the run report,
its wall time and peak RSS the whole process's (reading the input, the
host, the plugins). Reports the medians of compute and wall time and the
peak RSS (GNU time), with ratios plexus / peer (below 1: plexus faster).

Jobs (sizes of the issue):
- otsu-label: Otsu + 26-connected labels of a 512^3 u8 volume (smoothed
  noise); peers skimage.threshold_otsu + scipy.ndimage.label, and + cc3d
  (binary_image=True).
- edt: Euclidean distance transform of a 512^3 mask; peers
  scipy.ndimage.distance_transform_edt and edt.edt (parallel = threads).
- surface-area: marching cubes (Lewiner) + mesh area of a 256^3 mask; peer
  skimage.measure.marching_cubes + mesh_surface_area.
- tortuosity: diffusive tortuosity of a 128^3 PoreSpy blobs volume along
  z; peer porespy.simulations.tortuosity_fd.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/plexus-target")
DATA = os.path.join(TARGET, "volume-bench")
PLEXUS = os.path.join(TARGET, "release", "plexus")

# The plexus side of each job: the stages after the input (whole volume).
PIPELINES = {
    "otsu-label": [("pores", "segment.threshold", ""), ("label", "segment.label", "connectivity = 26")],
    "edt": [("edt", "segment.distance_transform", "")],
    "surface-area": [("area", "quantify.surface_area", "")],
    "tortuosity": [("tau", "quantify.tortuosity", "")],
}


def pipeline(job, path):
    """Writes the job's pipeline beside its input (a cube whose side ends
    its name, `vol512.npy`); returns its path."""
    z = int("".join(c for c in os.path.basename(path) if c.isdigit()))
    text = f'[pipeline]\nname = "{job}"\n\n[input]\npath = "{path}"\nchunk = {z}\n'
    for sid, use, params in PIPELINES[job]:
        text += f'\n[[stage]]\nid = "{sid}"\nuse = "{use}"\n'
        if params:
            text += f"params = {{ {params} }}\n"
    out = os.path.join(DATA, f"{job}.toml")
    with open(out, "w") as f:
        f.write(text)
    return out


def plexus_result(report, job):
    """compute_s and the result of a `plexus run --json` report."""
    busy = sum(s["busy_s"] for s in report["stages"])
    r = report["results"]
    result = {
        "otsu-label": lambda: {"threshold": r["pores"]["threshold"], "components": r["label"]["count"]},
        "edt": lambda: {},
        "surface-area": lambda: {"area_um2": r["area"]["area_um2"]},
        "tortuosity": lambda: {"tortuosity": r["tau"]["tortuosity"]},
    }[job]()
    return {"compute_s": busy, "result": result}


def make_inputs():
    import numpy as np
    import porespy as ps
    import scipy.ndimage as ndi

    os.makedirs(DATA, exist_ok=True)
    paths = {k: os.path.join(DATA, f"{k}.npy") for k in ("vol512", "mask512", "blobs256", "blobs128")}
    if not os.path.exists(paths["vol512"]):
        rng = np.random.default_rng(512)
        v = ndi.gaussian_filter(rng.random((512, 512, 512), dtype=np.float32), 3.0)
        v = (v - v.min()) / (v.max() - v.min()) * 255
        np.save(paths["vol512"], v.astype(np.uint8))
    if not os.path.exists(paths["mask512"]):
        from skimage.filters import threshold_otsu
        v = np.load(paths["vol512"])
        np.save(paths["mask512"], (v > threshold_otsu(v)).astype(np.uint8))
    if not os.path.exists(paths["blobs256"]):
        np.save(paths["blobs256"], ps.generators.blobs([256] * 3, porosity=0.5, blobiness=1, seed=256).astype(np.uint8))
    if not os.path.exists(paths["blobs128"]):
        np.save(paths["blobs128"], ps.generators.blobs([128] * 3, porosity=0.65, blobiness=1, seed=128).astype(np.uint8))
    return paths


# Each peer: a Python snippet that loads `path` (untimed), then times the
# job and prints {"compute_s": ..., "result": ...}.
PEERS = {
    "otsu-label": {
        "scipy.ndimage.label (1 thread)": """
import numpy as np, scipy.ndimage as ndi, time, json
from skimage.filters import threshold_otsu
v = np.load(PATH); t = time.perf_counter()
th = threshold_otsu(v); lab, n = ndi.label(v > th, structure=np.ones((3, 3, 3)))
print(json.dumps({"compute_s": time.perf_counter() - t, "result": {"threshold": int(th), "components": int(n)}}))
""",
        "cc3d (1 thread)": """
import numpy as np, cc3d, time, json
from skimage.filters import threshold_otsu
v = np.load(PATH); t = time.perf_counter()
th = threshold_otsu(v); lab, n = cc3d.connected_components(v > th, connectivity=26, binary_image=True, return_N=True)
print(json.dumps({"compute_s": time.perf_counter() - t, "result": {"threshold": int(th), "components": int(n)}}))
""",
    },
    "edt": {
        "scipy distance_transform_edt (1 thread, f64)": """
import numpy as np, scipy.ndimage as ndi, time, json
m = np.load(PATH); t = time.perf_counter()
d = ndi.distance_transform_edt(m)
print(json.dumps({"compute_s": time.perf_counter() - t, "result": {"max_distance": float(d.max())}}))
""",
        "edt.edt (parallel=THREADS, f32)": """
import numpy as np, edt, time, json
m = np.load(PATH); t = time.perf_counter()
d = edt.edt(m, parallel=THREADS)
print(json.dumps({"compute_s": time.perf_counter() - t, "result": {"max_distance": float(d.max())}}))
""",
    },
    "surface-area": {
        "skimage marching_cubes + mesh_surface_area (1 thread)": """
import numpy as np, time, json
from skimage.measure import marching_cubes, mesh_surface_area
m = np.load(PATH); t = time.perf_counter()
verts, faces, _, _ = marching_cubes(m.astype(np.float32), level=0.5, method="lewiner")
a = mesh_surface_area(verts, faces)
print(json.dumps({"compute_s": time.perf_counter() - t, "result": {"area_um2": float(a)}}))
""",
    },
    "tortuosity": {
        "porespy tortuosity_fd (pyamg)": """
import numpy as np, time, json, logging
logging.disable(logging.WARNING)
import porespy as ps
m = np.load(PATH).astype(bool); t = time.perf_counter()
r = ps.simulations.tortuosity_fd(m, axis=0)
print(json.dumps({"compute_s": time.perf_counter() - t, "result": {"tortuosity": float(r.tortuosity)}}))
""",
    },
}

INPUT = {"otsu-label": "vol512", "edt": "mask512", "surface-area": "blobs256", "tortuosity": "blobs128"}


def run(cmd, env=None, job=None):
    """Runs `cmd` under GNU time; returns (its JSON: the last line, or for
    plexus the whole report, wall s, peak RSS MiB). GNU time forks from a
    small process: a child forked from this Python would inherit its
    high-water RSS mark."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "RSS_KB=%M"] + cmd, capture_output=True, env=env)
    wall = time.perf_counter() - t
    err = p.stderr.decode()
    if p.returncode != 0:
        sys.exit(f"{cmd[:2]} failed: {err[-2000:]}")
    rss = int(err.rsplit("RSS_KB=", 1)[1].split()[0]) / 1024.0
    out = p.stdout.decode().strip()
    if job is not None:
        return plexus_result(json.loads(out), job), wall, rss
    return json.loads(out.splitlines()[-1]), wall, rss


def median_of(cmd, repeat, env=None, job=None):
    runs = [run(cmd, env, job) for _ in range(repeat)]
    return (
        statistics.median(r[0]["compute_s"] for r in runs),
        statistics.median(r[1] for r in runs),
        max(r[2] for r in runs),
        runs[0][0]["result"],
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", default="otsu-label,edt,surface-area,tortuosity")
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    if not os.path.exists(PLEXUS):
        sys.exit(f"{PLEXUS} is missing: run ./plexus.sh build first")
    # Inputs are made in a child so that this process stays small.
    subprocess.run([sys.executable, __file__, "--make-inputs"], check=True)
    paths = {k: os.path.join(DATA, f"{k}.npy") for k in ("vol512", "mask512", "blobs256", "blobs128")}
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="2")
    rows = []
    for job in args.jobs.split(","):
        path = paths[INPUT[job]]
        for threads in [int(t) for t in args.threads.split(",")]:
            cmd = [PLEXUS, "run", "--json", "--threads", str(threads), pipeline(job, path)]
            ours = median_of(cmd, args.repeat, dict(os.environ, PLEXUS_HOME=os.path.join(DATA, ".plexus")), job)
            rows.append((job, f"plexus ({threads} thread{'s' if threads > 1 else ''})", *ours, None))
            for name, code in PEERS[job].items():
                if "THREADS" not in name and threads > 1:
                    continue
                src = code.replace("PATH", repr(path)).replace("THREADS", str(threads))
                peer = median_of([sys.executable, "-c", src], args.repeat, env)
                rows.append((job, name.replace("THREADS", str(threads)), *peer, ours))
    print(f"{'job':13s} {'side':52s} {'compute s':>9s} {'wall s':>7s} {'RSS MiB':>8s} {'ratio c':>7s} {'ratio w':>7s}  result")
    for job, name, c, w, rss, res, ours in rows:
        rc = f"{ours[0] / c:7.3f}" if ours else ""
        rw = f"{ours[1] / w:7.3f}" if ours else ""
        print(f"{job:13s} {name:52s} {c:9.3f} {w:7.2f} {rss:8.0f} {rc:>7s} {rw:>7s}  {json.dumps(res)}")
    print("load average:", os.getloadavg())


if __name__ == "__main__":
    if sys.argv[1:] == ["--make-inputs"]:
        make_inputs()
    else:
        main()
