"""Load benchmark of `plexus serve --http` against the FastAPI peer
(peer_fastapi.py), back to back on the same machine, loopback only,
bounded in time.

Phases, each DURATION seconds with CLIENTS threads fetching PNG slices at
random z over keep-alive connections:
  1. plexus, slices only;
  2. FastAPI + numpy + Pillow, slices only (the same volume, the same window);
  3. plexus, slices while one large job runs and one more client submits a
     small job every 0.5 s (429s from the bounded queue counted apart).
Reported: p50/p99 slice latency, slices/s, errors other than 429, and the
server's peak RSS (VmHWM).

pip: fastapi==0.115.6 uvicorn==0.34.0 numpy==2.2.1 pillow==11.1.0
run: python host/benches/service/load.py [CLIENTS] [DURATION]
     (needs $CARGO_TARGET_DIR/release/plexus and its built-in plugins, from
     ./plexus.sh build or cargo build --release -p plexus-host -p plexus-geometry
     plus `plexus plugins pack` of plugins/geometry)
"""

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
DURATION = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
Z, Y, X = 128, 512, 512
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "plexus")


def hwm(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def wait_port(port, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def hammer(port, path_of, headers, stop, lat, errors):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            conn.request("GET", path_of(random.randrange(Z)), headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200 or body[:4] != b"\x89PNG":
                errors.append(r.status)
            else:
                lat.append(time.perf_counter() - t0)
        except (OSError, http.client.HTTPException) as e:
            errors.append(repr(e))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def phase(name, port, pid, path_of, headers, extra=None):
    stop, lat, errors = threading.Event(), [], []
    threads = [threading.Thread(target=hammer, args=(port, path_of, headers, stop, lat, errors)) for _ in range(CLIENTS)]
    if extra:
        threads.append(threading.Thread(target=extra, args=(stop,)))
    peak = [0]

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], hwm(pid))
            time.sleep(0.05)

    threads.append(threading.Thread(target=sample))
    for t in threads:
        t.start()
    time.sleep(DURATION)
    stop.set()
    for t in threads:
        t.join()
    peak[0] = max(peak[0], hwm(pid))
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1e3 if lat else float("nan")
    other = [e for e in errors if e != 429]
    row = {
        "phase": name,
        "slices": len(lat),
        "per_s": len(lat) / DURATION,
        "p50_ms": q(0.50),
        "p99_ms": q(0.99),
        "errors_not_429": len(other),
        "peak_rss_mib": peak[0] / 2**20,
    }
    print(json.dumps(row), flush=True)
    return row


def main():
    work = tempfile.mkdtemp(prefix="plexus-load-")
    vol = os.path.join(work, "vol.npy")
    rng = np.random.default_rng(7)
    np.save(vol, rng.random((Z, Y, X), dtype=np.float32) * 1000)
    for d in ("pipelines", "incoming", "results"):
        os.makedirs(os.path.join(work, d))
    big = (Z * 2, Y, X)
    np.save(os.path.join(work, "big.npy"), rng.random(big, dtype=np.float32))
    with open(os.path.join(work, "pipelines", "smooth.toml"), "w") as f:
        f.write('[pipeline]\nname = "smooth"\n\n[input]\npath = "unused"\nchunk = 4\n\n[[stage]]\nid = "work"\n'
                'use = "geometry.correlate"\nparams = { filter = "gaussian5", mode = "nearest" }\n\n'
                '[[output]]\nfrom = "work"\npath = "out.npy"\n')
    env = dict(os.environ, PLEXUS_HOME=os.path.join(work, ".plexus"), PLEXUS_CONFIG=os.path.join(work, "c.toml"))
    memory = "512MiB"
    server = subprocess.Popen(
        [BIN, "serve", "--pipelines", "pipelines", "--input", "incoming", "--output", "results",
         "--http", "127.0.0.1:8761", "--allow-root", work, "--memory", memory, "--threads", "2"],
        cwd=work, env=env, stdout=subprocess.DEVNULL)
    wait_port(8761)
    token = open(os.path.join(work, ".plexus", "token")).read().strip()
    auth = {"Authorization": f"Bearer {token}"}

    def post(path, body):
        c = http.client.HTTPConnection("127.0.0.1", 8761, timeout=60)
        c.request("POST", path, json.dumps(body), headers={**auth, "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")

    _, d = post("/v1/datasets", {"path": vol})
    _, b = post("/v1/datasets", {"path": os.path.join(work, "big.npy")})
    rows = [phase("plexus", 8761, server.pid, lambda z: f"/v1/datasets/{d['id']}/slice?z={z}&lo=0&hi=1000", auth)]

    peer = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "peer_fastapi.py"), vol, "8762"])
    wait_port(8762)
    rows.append(phase("fastapi", 8762, peer.pid, lambda z: f"/slice?z={z}&lo=0&hi=1000", {}))
    peer.terminate()
    peer.wait()

    status, large = post("/v1/jobs", {"pipeline": "smooth", "dataset": b["id"]})
    assert status == 202, large
    small = {"accepted": 0, "429": 0, "other": 0}

    def submitter(stop):
        while not stop.is_set():
            s, _ = post("/v1/jobs", {"pipeline": "smooth", "dataset": d["id"]})
            small["accepted" if s == 202 else "429" if s == 429 else "other"] += 1
            time.sleep(0.5)

    row = phase("plexus+jobs", 8761, server.pid, lambda z: f"/v1/datasets/{d['id']}/slice?z={z}&lo=0&hi=1000", auth,
                submitter)
    row["small_jobs"] = small
    row["memory_budget"] = memory
    print(json.dumps({"small_jobs": small, "memory_budget": memory}), flush=True)
    rows.append(row)
    server.terminate()
    server.wait(timeout=60)
    p, f = rows[0], rows[1]
    print(f"ratio slices/s plexus/fastapi {p['per_s'] / f['per_s']:.2f}x, p50 {f['p50_ms'] / p['p50_ms']:.2f}x lower")


if __name__ == "__main__":
    main()
