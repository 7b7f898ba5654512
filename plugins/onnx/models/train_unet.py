"""Train and export the shipped 3-D segmentation model (unet_segment.onnx), then score it.

    pip install numpy==2.4.6 scipy==1.17.1 scikit-image==0.26.0 torch==2.15.0 onnx==1.23.2 onnxruntime==1.31.1
    python plugins/onnx/models/train_unet.py         # from the repo root; a few minutes on 2 cores

Data: phantoms.py `phase_volume` (a cylinder of matrix holding random
spherical pores and dense grains: classes 0 pore/air, 1 matrix, 2 dense),
scanned slice by slice (parallel beam, 96 angles, Poisson i0 = 1e4, FBP).
6 training volumes (seed 21), 1 held out (seed 22), 48^3 each.
Net: a two-level 3-D U-Net (Cicek et al. 2016): 2 x conv3 (8 ch), max-pool 2,
2 x conv3 (16 ch), transposed conv 2, concatenation, 2 x conv3 (8 ch), conv1 ->
3 logits. Spatial sides must be even. Cross-entropy, Adam, seed 0.
Scores (unet_scores.json): voxel accuracy on the held-out volume, against
scikit-image threshold_multiotsu (3 classes) on the same noisy volume.
"""

import json
import os
import sys
import time

import numpy as np
import torch
from skimage.filters import threshold_multiotsu

sys.path.insert(0, os.path.dirname(__file__))
from phantoms import phase_volume, scan_volume  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
N, PATCH, BATCH, STEPS = 48, 24, 4, 400


def block(cin, cout):
    return torch.nn.Sequential(
        torch.nn.Conv3d(cin, cout, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv3d(cout, cout, 3, padding=1), torch.nn.ReLU()
    )


class UNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1, self.enc2 = block(1, 8), block(8, 16)
        self.pool = torch.nn.MaxPool3d(2)
        self.up = torch.nn.ConvTranspose3d(16, 8, 2, stride=2)
        self.dec = block(16, 8)
        self.head = torch.nn.Conv3d(8, 3, 1)

    def forward(self, x):
        a = self.enc1(x)
        b = self.enc2(self.pool(a))
        return self.head(self.dec(torch.cat([a, self.up(b)], 1)))


def volumes(seed, count):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        att, labels = phase_volume(rng, N)
        out.append((scan_volume(att, rng), labels))
    return out


def main():
    torch.set_num_threads(1)
    t0 = time.time()
    train = volumes(21, 6)
    test_img, test_lab = volumes(22, 1)[0]
    print(f"data: {time.time() - t0:.0f} s", flush=True)

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = UNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    weights = torch.tensor([1.0, 1.0, 1.0])
    for step in range(STEPS):
        xs, ys = [], []
        for _ in range(BATCH):
            img, lab = train[rng.integers(len(train))]
            z, y, x = rng.integers(0, N - PATCH + 1, 3)
            xs.append(img[z : z + PATCH, y : y + PATCH, x : x + PATCH])
            ys.append(lab[z : z + PATCH, y : y + PATCH, x : x + PATCH])
        x = torch.from_numpy(np.stack(xs)[:, None])
        y = torch.from_numpy(np.stack(ys).astype(np.int64))
        loss = torch.nn.functional.cross_entropy(model(x), y, weight=weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(f"step {step} loss {loss.item():.4f} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()

    path = os.path.join(HERE, "unet_segment.onnx")
    torch.onnx.export(
        model,
        (torch.zeros(1, 1, 32, 32, 32),),
        path,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "n", 2: "z", 3: "y", 4: "x"}, "logits": {0: "n", 2: "z", 3: "y", 4: "x"}},
        opset_version=17,
        dynamo=False,
    )
    print(f"exported {path}: {os.path.getsize(path)} bytes")

    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    logits = sess.run(None, {"image": test_img[None, None]})[0][0]
    pred = logits.argmax(0)
    thresholds = threshold_multiotsu(test_img, classes=3)
    otsu = np.digitize(test_img, bins=thresholds)
    report = {
        "held_out": f"1 volume {N}^3 (seed 22), 96 angles, i0 = 1e4, FBP slice by slice",
        "unet_voxel_accuracy": float((pred == test_lab).mean()),
        "multiotsu_voxel_accuracy": float((otsu == test_lab).mean()),
        "multiotsu_thresholds": [float(t) for t in thresholds],
        "training": f"{STEPS} Adam steps, batch {BATCH} of {PATCH}^3 crops from 6 volumes (seed 21), torch seed 0",
    }
    with open(os.path.join(HERE, "unet_scores.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    print(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
