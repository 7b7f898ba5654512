#!/usr/bin/env python3
"""Whole-process benchmarks of the data plane: the real `plexus` binary
against the same job done by its Python peers, in the same run, measured
back to back (wall time of the whole process, peak RSS from GNU time).

Cases (all by default, or name them):

  pipeline4096  4096 x 4096 f32 TIFF: Gaussian 5x5 -> Sobel magnitude,
                histogram (256 bins), statistics, both images saved as NPY;
                peer: tifffile + cv2.sepFilter2D + skimage.filters.sobel +
                numpy; plexus with --threads 1, 2, ... (the thread curve)
  stats1g       statistics + histogram over a 1 GiB u16 TIFF stack
                (512 pages of 1024 x 1024) with --memory 128MiB; peer:
                tifffile page by page with numpy
  reslice       a 720 x 256 x 256 f32 scan resliced to sinograms and saved
                (plexus in memory and spilled to disk); peer: numpy load,
                transpose(1, 0, 2), ascontiguousarray, save
  rss           peak RSS of statistics + histogram against the budget, for
                u16 NPY inputs of 64 MiB to 4 GiB and budgets of 64 MiB to
                2 GiB

Needs: the release build (`./plexus.sh build`: the `plexus` binary with
its plugins, and libtest_faulty.so), GNU time (/usr/bin/time), and a venv
with numpy 2.4.6, tifffile 2026.3.3, opencv-python-headless 5.0.0,
scikit-image 0.26.0, scipy 1.17.1:

  python3 -m venv /var/tmp/venv-bench && /var/tmp/venv-bench/bin/pip install \\
      numpy==2.4.6 tifffile==2026.3.3 opencv-python-headless==5.0.0.93 scikit-image==0.26.0 scipy==1.17.1
  CARGO_TARGET_DIR=/var/tmp/plexus-target /var/tmp/venv-bench/bin/python host/benches/whole_process.py [case ...]

Options: --runs N (default 5; medians reported), --threads 1,2,4 (the
curve of pipeline4096; default 1,2 and every core), --work DIR (default a
temporary folder, removed at the end).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", "/var/tmp/plexus-target")) / "release"
PLEXUS = TARGET / "plexus"
GNU_TIME = "/usr/bin/time"


CPU = {}


def timed(cmd, cwd, env=None):
    """Runs cmd; returns (wall seconds, peak RSS MiB, stdout), and keeps
    its CPU seconds (user + system) in CPU[tuple(cmd)]."""
    full = [GNU_TIME, "-f", "@@ %M %U %S", *map(str, cmd)]
    t = time.perf_counter()
    p = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    rss, user, system = [l for l in p.stderr.splitlines() if l.startswith("@@ ")][-1].split()[1:]
    CPU.setdefault(tuple(map(str, cmd)), []).append(float(user) + float(system))
    return wall, int(rss) / 1024, p.stdout


def measure(label, cmds, cwd, runs):
    """Runs each command of `cmds` (label -> argv) `runs` times, interleaved,
    and returns label -> (median wall, median RSS)."""
    walls = {k: [] for k in cmds}
    rss = {k: [] for k in cmds}
    for _ in range(runs):
        for k, cmd in cmds.items():
            w, r, _ = timed(cmd, cwd)
            walls[k].append(w)
            rss[k].append(r)
    out = {k: (statistics.median(walls[k]), statistics.median(rss[k])) for k in cmds}
    for k, cmd in cmds.items():
        CPU[k] = statistics.median(CPU[tuple(map(str, cmd))])
    print(f"\n## {label}  (medians of {runs} interleaved runs; load average {os.getloadavg()[0]:.1f})")
    return out


def write(path, text):
    Path(path).write_text(textwrap.dedent(text))


PEER_4096 = """
import sys, numpy as np, tifffile, cv2
from skimage.filters import sobel
cv2.setNumThreads(int(sys.argv[2]))
img = tifffile.imread(sys.argv[1])
k = np.array([1, 4, 6, 4, 1], np.float32) / 16
smooth = cv2.sepFilter2D(img, -1, k, k, borderType=cv2.BORDER_REFLECT)
edges = sobel(smooth).astype(np.float32)
counts, bins = np.histogram(img, bins=256, range=(0.0, 1.0))
stats = dict(mean=float(img.mean(dtype=np.float64)), std=float(img.std(dtype=np.float64)), min=float(img.min()), max=float(img.max()))
np.save("smooth_py.npy", smooth); np.save("edges_py.npy", edges)
print(stats["mean"], counts.sum())
"""

PIPELINE_4096 = """
[pipeline]
name = "p4096"

[input]
path = "img.tif"

[[stage]]
id = "smooth"
use = "geometry.convolve"
params = { filter = "gaussian5", mode = "reflect" }

[[stage]]
id = "edges"
use = "geometry.gradient"
params = { output = "sobel_magnitude" }

[[stage]]
id = "hist"
use = "pattern.histogram"
inputs = []
params = { bins = 256, range = [0.0, 1.0] }

[[stage]]
id = "stats"
use = "trend.running_stats"
inputs = []

[[output]]
from = "smooth"
path = "smooth.npy"

[[output]]
from = "edges"
path = "edges.npy"
"""


def case_pipeline4096(work, runs, threads):
    import numpy as np
    import tifffile

    rng = np.random.default_rng(4096)
    tifffile.imwrite(work / "img.tif", rng.random((4096, 4096), dtype=np.float32))
    write(work / "p.toml", PIPELINE_4096)
    write(work / "peer.py", PEER_4096)
    cmds = {f"plexus --threads {t}": [PLEXUS, "run", "--quiet", "--threads", t, "p.toml"] for t in threads}
    cmds.update({f"python (cv2 threads {t})": [sys.executable, "peer.py", "img.tif", t] for t in (1, max(threads))})
    res = measure("4096² f32: Gaussian 5×5 → Sobel magnitude, histogram, statistics, NPY outputs", cmds, work, runs)
    py = res[f"python (cv2 threads {max(threads)})"][0]
    one = res[f"plexus --threads {threads[0]}"][0]
    py_cpu = CPU[f"python (cv2 threads {max(threads)})"]
    print("| run | wall (s) | wall / python | speed-up over --threads 1 | CPU s (user+sys) | CPU / python | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for k, (w, r) in res.items():
        speed = f"{one / w:.2f}×" if k.startswith("plexus") else ""
        print(f"| {k} | {w:.3f} | {w / py:.2f} | {speed} | {CPU[k]:.2f} | {CPU[k] / py_cpu:.2f} | {r:.0f} |")


PEER_STATS = """
import sys, numpy as np, tifffile
n = 0; s = 0.0; ss = 0.0; lo = np.inf; hi = -np.inf; counts = np.zeros(65536, np.int64)
with tifffile.TiffFile(sys.argv[1]) as tif:
    for page in tif.pages:
        a = page.asarray()
        n += a.size; s += float(a.sum(dtype=np.float64)); ss += float(np.square(a, dtype=np.float64).sum())
        lo = min(lo, int(a.min())); hi = max(hi, int(a.max()))
        counts += np.bincount(a.ravel(), minlength=65536)
print(n, s / n, lo, hi, counts.sum())
"""

PIPELINE_STATS = """
[pipeline]
name = "stats"

[input]
path = "INPUT"

[[stage]]
id = "stats"
use = "trend.running_stats"

[[stage]]
id = "hist"
use = "pattern.histogram"
inputs = []
"""


def case_stats1g(work, runs):
    import numpy as np
    import tifffile

    path = work / "stack.tif"
    with tifffile.TiffWriter(path, bigtiff=True) as tw:
        for z in range(512):
            page = ((np.arange(1024 * 1024, dtype=np.uint64) + z * 1024 * 1024) % 65521).astype(np.uint16)
            tw.write(page.reshape(1024, 1024), contiguous=True)
    write(work / "stats.toml", PIPELINE_STATS.replace("INPUT", "stack.tif"))
    write(work / "peer_stats.py", PEER_STATS)
    gib = path.stat().st_size / 2**30
    cmds = {
        "plexus --memory 128MiB": [PLEXUS, "run", "--quiet", "--memory", "128MiB", "stats.toml"],
        "python tifffile page by page": [sys.executable, "peer_stats.py", "stack.tif"],
        "cat > /dev/null": ["sh", "-c", "cat stack.tif > /dev/null"],
    }
    res = measure(f"statistics + histogram over a {gib:.2f} GiB u16 TIFF stack", cmds, work, runs)
    print("| run | wall (s) | GB/s | CPU s | peak RSS (MiB) |\n|---|---|---|---|---|")
    for k, (w, r) in res.items():
        print(f"| {k} | {w:.3f} | {path.stat().st_size / w / 1e9:.2f} | {CPU[k]:.2f} | {r:.0f} |")


PEER_RESLICE = """
import sys, numpy as np
a = np.load(sys.argv[1])
np.save("sino_py.npy", np.ascontiguousarray(a.transpose(1, 0, 2)))
"""

PIPELINE_RESLICE = """
[pipeline]
name = "sino"

[input]
path = "scan.npy"

[[stage]]
id = "proj"
use = "faulty.projections"

[[stage]]
id = "sino"
use = "faulty.sinograms"

[[output]]
from = "sino"
path = "sino.npy"
"""


def case_reslice(work, runs):
    import numpy as np

    a = np.lib.format.open_memmap(work / "scan.npy", mode="w+", dtype=np.float32, shape=(720, 256, 256))
    a[:] = np.random.default_rng(720).random((720, 256, 256), dtype=np.float32)
    a.flush()
    del a
    plugins = work / "plugins"
    subprocess.run([PLEXUS, "plugins", "pack", REPO / "tests/plugins/faulty/plugin.toml", "--artifact",
                    TARGET / "libtest_faulty.so", "--out", plugins / "faulty"], check=True, capture_output=True)
    write(work / "sino.toml", PIPELINE_RESLICE)
    write(work / "peer_reslice.py", PEER_RESLICE)
    cmds = {
        "plexus, store in memory (--memory 2GiB)": [PLEXUS, "--plugins", plugins, "run", "--quiet", "--memory", "2GiB", "sino.toml"],
        "plexus, store spilled (--memory 48MiB)": [PLEXUS, "--plugins", plugins, "run", "--quiet", "--memory", "48MiB", "sino.toml"],
        "numpy load, transpose, ascontiguousarray, save": [sys.executable, "peer_reslice.py", "scan.npy"],
    }
    res = measure("720 × 256 × 256 f32 (180 MiB) resliced to sinograms, read and written as NPY", cmds, work, runs)
    size = 720 * 256 * 256 * 4
    print("| run | wall (s) | GB/s | CPU s | peak RSS (MiB) |\n|---|---|---|---|---|")
    for k, (w, r) in res.items():
        print(f"| {k} | {w:.3f} | {size / w / 1e9:.2f} | {CPU[k]:.2f} | {r:.0f} |")


def case_rss(work, runs):
    import numpy as np

    sizes = {"64 MiB": 32, "256 MiB": 128, "1 GiB": 512, "4 GiB": 2048}
    budgets = ["64MiB", "256MiB", "1GiB", "2GiB"]
    print(f"\n## peak RSS (MiB) of statistics + histogram, u16 NPY [depth, 1024, 1024], against --memory (load average {os.getloadavg()[0]:.1f})")
    print("| input | " + " | ".join(f"--memory {b}" for b in budgets) + " |")
    print("|---|" + "---|" * len(budgets))
    for name, depth in sizes.items():
        path = work / f"in{depth}.npy"
        a = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint16, shape=(depth, 1024, 1024))
        for z in range(0, depth, 64):
            a[z:z + 64] = z % 65521
        a.flush()
        del a
        write(work / f"rss{depth}.toml", PIPELINE_STATS.replace("INPUT", path.name))
        row = []
        for b in budgets:
            peaks = [timed([PLEXUS, "run", "--quiet", "--memory", b, f"rss{depth}.toml"], work)[1] for _ in range(max(1, runs // 2))]
            row.append(f"{max(peaks):.0f}")
        print(f"| {name} | " + " | ".join(row) + " |")
        path.unlink()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=["pipeline4096", "stats1g", "reslice", "rss"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default=None)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    if not PLEXUS.exists():
        sys.exit(f"{PLEXUS} is missing: run ./plexus.sh build with CARGO_TARGET_DIR={TARGET.parent}")
    cores = os.cpu_count() or 2
    threads = [int(t) for t in args.threads.split(",")] if args.threads else sorted({1, 2, cores})
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="plexus-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env_note = f"{cores} cores, load average {os.getloadavg()[0]:.1f} at start"
    print(f"# plexus whole-process benchmarks ({env_note}); binary {PLEXUS}")
    try:
        for case in args.cases:
            {"pipeline4096": lambda: case_pipeline4096(work, args.runs, threads),
             "stats1g": lambda: case_stats1g(work, args.runs),
             "reslice": lambda: case_reslice(work, args.runs),
             "rss": lambda: case_rss(work, args.runs)}[case]()
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
