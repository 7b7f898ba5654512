"""The Python `requests` examples of docs/API.md, run as they are written
against a live `plexus serve --http` on 127.0.0.1.

Every ```python NAME block is taken from the doc and run, in the doc's
order, in one namespace (a reader's one session), in a folder holding
`sample.png` and the doc's own `histogram.toml` pipeline; after each block
what it left (the response, the parsed JSON) is checked against what the
sample holds. A block without its check, or a check whose block is gone,
is a failure, so the doc and this script cannot drift apart. The curl
blocks are run by tests/e2e/service_docs.rs.

    .ci/api-examples.sh            (makes the venv, then runs this)
    python api_examples.py PLEXUS_BINARY

Exit status 0 when every example ran and checked, 1 otherwise.
"""

import contextlib
import io
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTH, HEIGHT = 64, 48


def sample():
    """Rows of (r, g, b): every pixel moves along (1, 2, 2) with t, plus a
    little of three unrelated patterns (tests/e2e/service_docs.rs makes the
    same image)."""
    rows = []
    for y in range(HEIGHT):
        row = []
        for x in range(WIDTH):
            t = (3 * x + y) % 60
            noise = ((7 * x + 13 * y) % 5, (11 * x + 3 * y) % 5, (5 * x + 17 * y) % 5)
            base = (20 + t, 40 + 2 * t, 30 + 2 * t)
            row.append(tuple(b + n for b, n in zip(base, noise)))
        rows.append(row)
    return rows


def png(rows):
    """An 8-bit RGB PNG of `rows` (no filter), without a library."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + bytes(v for px in row for v in px) for row in rows)
    head = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def blocks(text, lang):
    """The fenced blocks of `lang`, by the name after the language."""
    out = {}
    for m in re.finditer(r"^```(\S+)([^\n]*)\n(.*?)^```", text, re.M | re.S):
        if m.group(1) != lang:
            continue
        name = m.group(2).strip()
        if not name:
            raise SystemExit(f"a ```{lang} block of docs/API.md has no name:\n{m.group(3)}")
        if name in out:
            raise SystemExit(f"two ```{lang} {name} blocks in docs/API.md")
        out[name] = m.group(3)
    return out


def doc_pipeline(text):
    for m in re.finditer(r"^```toml\n(.*?)^```", text, re.M | re.S):
        if re.search(r'^name = "histogram"$', m.group(1), re.M):
            return m.group(1)
    raise SystemExit("docs/API.md has no ```toml block of the `histogram` pipeline")


def start(binary, home):
    """`plexus serve --http 127.0.0.1:0` in `home`'s parent; (process, url, token)."""
    root = os.path.dirname(home)
    for d in ("pipelines", "incoming", "results", "plugins"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    env = dict(os.environ, PLEXUS_HOME=home, PLEXUS_PLUGIN_PATH=os.path.join(root, "plugins"),
               PLEXUS_CONFIG=os.path.join(root, "config.toml"))
    log = open(os.path.join(root, "serve.log"), "wb")
    args = [binary, "serve", "--pipelines", "pipelines", "--input", "incoming", "--output", "results",
            "--http", "127.0.0.1:0"]
    proc = subprocess.Popen(args, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    addr_file = os.path.join(home, "http.addr")
    deadline = time.monotonic() + 60
    while True:
        try:
            with open(addr_file) as f:
                addr = f.read()
            if addr.endswith("\n"):
                break
        except FileNotFoundError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"plexus serve exited ({proc.returncode}) before it listened; log: {root}/serve.log")
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("plexus serve did not listen within 60 s")
        time.sleep(0.05)
    with open(os.path.join(home, "token")) as f:
        token = f.read().strip()
    return proc, "http://" + addr.strip(), token


def checks(rows):
    """What each block must leave in the namespace."""
    band = lambda b: [px[b] for row in rows for px in row]  # noqa: E731

    def upload(ns):
        assert ns["r"].status_code == 201, ns["r"].text
        assert ns["r"].json()["shape"] == [HEIGHT, WIDTH, 3], ns["r"].json()
        assert isinstance(ns["dataset"], str)

    def metadata(ns):
        m = ns["meta"]
        assert (m["id"], m["shape"], m["dtype"]) == (ns["dataset"], [HEIGHT, WIDTH, 3], "u8"), m
        assert [a["name"] for a in m["axes"]] == ["y", "x", "band"], m["axes"]

    def slice_(ns):
        p = ns["plane"]
        assert (p["shape"], p["dtype"]) == ([HEIGHT, WIDTH], "u8"), {k: p[k] for k in ("shape", "dtype")}
        assert [v for row in p["data"] for v in row] == band(1), "the plane is not channel 1 of the sample"

    def statistics(ns):
        chans = ns["stats"]["channels"]
        assert len(chans) == 3, ns["stats"]
        for b, c in enumerate(chans):
            v = band(b)
            assert c["count"] == WIDTH * HEIGHT, c
            assert abs(c["mean"] - sum(v) / len(v)) < 1e-9, (c, sum(v) / len(v))
            assert (c["min"], c["max"]) == (min(v), max(v)), c

    def queued(ns):
        assert ns["r"].status_code == 202, ns["r"].text
        assert ns["r"].json()["state"] == "queued" and ns["job"] == ns["r"].json()["id"], ns["r"].json()

    polled = []

    def poll(ns):
        st = ns["status"]
        assert (st["id"], st["state"]) == (ns["job"], "done"), st
        results = st["results"]["results"]
        if not polled:
            h = results["histogram"]
            assert len(h["counts"]) == 16 and sum(h["counts"]) == WIDTH * HEIGHT * 3, h
        else:
            p = results["pca"]
            ratio, first = p["explained_variance_ratio"], p["components"][0]
            assert (len(ratio), len(first)) == (2, 3), p
            assert ratio[0] > 0.95, p
            assert (first[0] + 2 * first[1] + 2 * first[2]) / 3 > 0.99, first
        polled.append(True)

    def setup(ns):
        assert ns["url"].startswith("http://127.0.0.1:") and ns["s"].headers["Authorization"].startswith("Bearer ")

    return [("setup", setup), ("upload", upload), ("metadata", metadata), ("slice", slice_),
            ("statistics", statistics), ("submit", queued), ("poll", poll), ("pca", queued), ("poll", poll)]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "release", "plexus")
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"api-examples: `{binary}` is missing: run `./plexus.sh build` first")
    with open(os.path.join(REPO, "docs", "API.md")) as f:
        doc = f.read()
    code = blocks(doc, "python")
    rows = sample()
    order = checks(rows)
    if set(code) != {n for n, _ in order}:
        raise SystemExit(f"the ```python blocks of docs/API.md {sorted(code)} and the checks "
                         f"{sorted({n for n, _ in order})} differ")
    with tempfile.TemporaryDirectory(prefix="plexus-api-examples-") as root:
        with open(os.path.join(root, "sample.png"), "wb") as f:
            f.write(png(rows))
        os.makedirs(os.path.join(root, "pipelines"))
        with open(os.path.join(root, "pipelines", "histogram.toml"), "w") as f:
            f.write(doc_pipeline(doc))
        proc, url, token = start(binary, os.path.join(root, ".plexus"))
        os.environ["PLEXUS_URL"], os.environ["PLEXUS_TOKEN"] = url, token
        here = os.getcwd()
        os.chdir(root)
        passed = failed = 0
        ns = {"__name__": "api_examples"}
        try:
            for name, check in order:
                printed = io.StringIO()
                try:
                    with contextlib.redirect_stdout(printed):
                        exec(compile(code[name], f"docs/API.md: python {name}", "exec"), ns)
                    check(ns)
                    passed += 1
                    print(f"ok   python {name}: {printed.getvalue().strip()}")
                except Exception:  # one example's failure is reported, not fatal
                    failed += 1
                    print(f"FAIL python {name}: printed {printed.getvalue().strip()!r}")
                    traceback.print_exc(file=sys.stdout)
                    if name in ("setup", "upload"):
                        break  # the rest needs them
        finally:
            os.chdir(here)
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        print(f"api-examples: {passed} passed, {failed} failed")
        return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
