"""Train and export the shipped Noise2Noise denoiser (n2n_denoise.onnx), then score it.

    pip install numpy==2.4.6 scipy==1.17.1 scikit-image==0.26.0 torch==2.15.0 onnx==1.23.2 onnxruntime==1.31.1
    python plugins/onnx/models/train_n2n.py          # from the repo root; ~3 min on 2 idle cores

Data: phantoms.py (random ellipse phantoms, parallel-beam Poisson scans, FBP,
two noise realisations per phantom). Training: Noise2Noise (Lehtinen et al.
2018): the net maps one noisy FBP to the other, MSE loss, so it learns the
noise-free FBP without ever seeing it. Net: 7 convolutions 3x3 (1->24->...->1,
ReLU), residual (output = input - net(input)), no pooling, so it is shift
equivariant and its receptive field is 15 x 15 (radius 7 pixels): tiles that
overlap by >= 2 x 7 pixels and drop 7 at inner edges stitch exactly.
Seeds: phantoms 1 (train), 2 (held out); torch 0.

Scores (written to n2n_scores.json): PSNR and SSIM (skimage.metrics,
data_range = 1, the phantom's attenuation range) against the noise-free FBP,
on 12 held-out phantoms (the first is Shepp-Logan), for the noisy input, this
model, and skimage's denoise_tv_chambolle and denoise_nl_means at their best
parameters chosen per method on these same held-out images (an oracle choice
that favours the classical methods).
"""

import json
import os
import sys
import time

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle

sys.path.insert(0, os.path.dirname(__file__))
from phantoms import dataset  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("N2N_OUT", HERE)  # where the model and scores go
WIDTH, DEPTH, PATCH, BATCH = 24, 7, 48, 16
STEPS = int(os.environ.get("N2N_STEPS", 700))


class Denoiser(torch.nn.Module):
    def __init__(self):
        super().__init__()
        layers = [torch.nn.Conv2d(1, WIDTH, 3, padding=1), torch.nn.ReLU()]
        for _ in range(DEPTH - 2):
            layers += [torch.nn.Conv2d(WIDTH, WIDTH, 3, padding=1), torch.nn.ReLU()]
        layers += [torch.nn.Conv2d(WIDTH, 1, 3, padding=1)]
        self.body = torch.nn.Sequential(*layers)

    def forward(self, x):
        return x - self.body(x)


def crops(rng, a, b, n):
    idx = rng.integers(0, len(a), n)
    ys = rng.integers(0, a.shape[1] - PATCH + 1, n)
    xs = rng.integers(0, a.shape[2] - PATCH + 1, n)
    flip = rng.random(n) < 0.5
    src = np.where(flip[:, None, None], b[idx], a[idx])
    dst = np.where(flip[:, None, None], a[idx], b[idx])
    take = lambda s: np.stack([s[i, y : y + PATCH, x : x + PATCH] for i, (y, x) in enumerate(zip(ys, xs))])
    return torch.from_numpy(take(src)[:, None]), torch.from_numpy(take(dst)[:, None])


def scores(clean, out):
    return (
        float(np.mean([peak_signal_noise_ratio(c, o, data_range=1.0) for c, o in zip(clean, out)])),
        float(np.mean([structural_similarity(c, o, data_range=1.0) for c, o in zip(clean, out)])),
    )


def best(clean, noisy, fn, grid):
    results = []
    for p in grid:
        out = np.stack([fn(n, p) for n in noisy]).astype(np.float32)
        results.append((scores(clean, out), p))
    return max(results, key=lambda r: r[0][0])


def main():
    t0 = time.time()
    _, train_a, train_b = dataset(seed=1, count=160)
    test_clean, test_noisy, _ = dataset(seed=2, count=12, with_shepp_logan=True)
    print(f"data: {time.time() - t0:.0f} s; noise std {np.std(test_noisy - test_clean):.4f}")

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = Denoiser()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS)
    for step in range(STEPS):
        x, y = crops(rng, train_a, train_b, BATCH)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0:
            print(f"step {step} loss {loss.item():.6f} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()

    path = os.path.join(OUT, "n2n_denoise.onnx")
    torch.onnx.export(
        model,
        (torch.zeros(1, 1, 64, 64),),
        path,
        input_names=["image"],
        output_names=["denoised"],
        dynamic_axes={"image": {0: "n", 2: "y", 3: "x"}, "denoised": {0: "n", 2: "y", 3: "x"}},
        opset_version=17,
        dynamo=False,
    )
    print(f"exported {path}: {os.path.getsize(path)} bytes")

    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    n2n = sess.run(None, {"image": test_noisy[:, None]})[0][:, 0]
    sigma = float(np.std(test_noisy - test_clean))
    tv = best(test_clean, test_noisy, lambda n, w: denoise_tv_chambolle(n, weight=w), [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15])
    nl = best(
        test_clean,
        test_noisy,
        lambda n, h: denoise_nl_means(n, patch_size=5, patch_distance=6, h=h * sigma, sigma=sigma, fast_mode=True),
        [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2],
    )
    report = {
        "held_out": "12 phantoms (seed 2; the first is Shepp-Logan), 128 x 128, 180 angles, i0 = 4e3",
        "reference": "noise-free FBP of the same phantom",
        "metrics": "skimage.metrics peak_signal_noise_ratio / structural_similarity, data_range = 1, mean over images",
        "noise_std": sigma,
        "noisy": dict(zip(["psnr_db", "ssim"], scores(test_clean, test_noisy))),
        "n2n": dict(zip(["psnr_db", "ssim"], scores(test_clean, n2n))),
        "tv_chambolle": dict(zip(["psnr_db", "ssim"], tv[0]), weight=tv[1]),
        "nl_means": dict(zip(["psnr_db", "ssim"], nl[0]), h=nl[1] * sigma, sigma=sigma, patch_size=5, patch_distance=6),
        "training": f"{STEPS} Adam steps, batch {BATCH} of {PATCH}x{PATCH} crops, 160 phantoms (seed 1), torch seed 0",
    }
    with open(os.path.join(OUT, "n2n_scores.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    print(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
