"""Python onnxruntime over the same slabs as examples/denoise_npy.rs.

    python plugins/onnx/benches/peer.py MODEL IN.npy OUT.npy --threads N --slab Z --batch B

Reads the volume slab by slab (np.load mmap), runs each slab's slices
through onnxruntime in batches of B full slices ([B, 1, y, x], the tensors
the Rust side builds with tile = 512), writes the output slab by slab to an
.npy memmap, prints time, voxels/s and peak RSS (ru_maxrss).
"""

import argparse
import resource
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--slab", type=int, default=8)
    ap.add_argument("--batch", type=int, default=4)
    a = ap.parse_args()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(a.model, opts, providers=["CPUExecutionProvider"])
    src = np.load(a.input, mmap_mode="r")
    dst = np.lib.format.open_memmap(a.output, mode="w+", dtype=np.float32, shape=src.shape)
    t0 = time.perf_counter()
    for z0 in range(0, src.shape[0], a.slab):
        slab = np.ascontiguousarray(src[z0 : z0 + a.slab])
        out = np.empty_like(slab)
        for b in range(0, len(slab), a.batch):
            out[b : b + a.batch] = sess.run(None, {"image": slab[b : b + a.batch, None]})[0][:, 0]
        dst[z0 : z0 + a.slab] = out
    dst.flush()
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"onnxruntime-python threads={a.threads} slab={a.slab} batch={a.batch}: {secs:.3f} s, {src.size / secs / 1e6:.3f} Mvoxel/s, peak RSS {rss} MiB")


if __name__ == "__main__":
    main()
