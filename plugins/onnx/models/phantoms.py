"""Simulated parallel-beam scans for training and scoring the shipped models.

Data recipe (shared by train_n2n.py and train_unet.py):

* 2-D phantoms: random ellipse phantoms in the Shepp-Logan family (3 to 9
  ellipses, attenuation in [0, 1]) on a 128 x 128 grid; the held-out set adds
  the Shepp-Logan phantom itself (``skimage.data.shepp_logan_phantom``, resized).
* Scan: parallel beam, ``skimage.transform.radon`` over ``n_angles`` angles in
  [0, 180) degrees, line integrals scaled by ``mu_per_px`` so the densest ray
  attenuates by ~e^-2.5, Poisson counts with ``i0`` incident photons per
  detector pixel (numpy ``Generator.poisson``), ``-log`` of the normalised
  counts, then FBP (``skimage.transform.iradon``, ramp filter, circle=True).
* Each phantom gets two independent noise realisations (Noise2Noise pairs)
  and one noise-free FBP (the reference the scores are measured against:
  FBP blur and streaks are the reconstruction's, not noise).

This stands in for `generator.projections` -> `reconstruction.fbp` of the
Plexus chain, which was being written in parallel when the models were trained.
"""

import numpy as np
from skimage.data import shepp_logan_phantom
from skimage.transform import iradon, radon, resize

MU_PER_PX = 0.02  # line-integral scale: attenuation units per pixel length


def random_ellipses(rng, n=128):
    """A Shepp-Logan-like phantom: a body ellipse and random inner ellipses."""
    yy, xx = np.mgrid[-1 : 1 : n * 1j, -1 : 1 : n * 1j]
    img = np.zeros((n, n))

    def add(value, cy, cx, ay, ax, angle):
        c, s = np.cos(angle), np.sin(angle)
        u = (xx - cx) * c + (yy - cy) * s
        v = -(xx - cx) * s + (yy - cy) * c
        img[(u / ax) ** 2 + (v / ay) ** 2 <= 1] += value

    add(rng.uniform(0.3, 0.5), 0, 0, rng.uniform(0.7, 0.85), rng.uniform(0.55, 0.8), rng.uniform(-0.3, 0.3))
    for _ in range(rng.integers(3, 10)):
        r = rng.uniform(0.05, 0.3)
        add(
            rng.uniform(-0.25, 0.45),
            rng.uniform(-0.5, 0.5),
            rng.uniform(-0.45, 0.45),
            r * rng.uniform(0.4, 1.0),
            r,
            rng.uniform(0, np.pi),
        )
    return np.clip(img, 0, 1)


def shepp_logan(n=128):
    return resize(shepp_logan_phantom(), (n, n), anti_aliasing=True)


def scan(phantom, rng, n_angles=180, i0=4.0e3, realisations=2):
    """Noise-free FBP and `realisations` noisy FBPs of one 2-D phantom."""
    theta = np.linspace(0.0, 180.0, n_angles, endpoint=False)
    # radon of a disc-masked phantom: circle=True assumes nothing outside
    n = phantom.shape[0]
    yy, xx = np.mgrid[:n, :n] - (n - 1) / 2
    phantom = phantom * (yy**2 + xx**2 <= (n / 2) ** 2)
    sino = radon(phantom, theta=theta, circle=True) * MU_PER_PX
    clean = iradon(sino / MU_PER_PX, theta=theta, filter_name="ramp", circle=True)
    noisy = []
    for _ in range(realisations):
        counts = rng.poisson(i0 * np.exp(-sino))
        p = -np.log(np.maximum(counts, 1) / i0)
        noisy.append(iradon(p / MU_PER_PX, theta=theta, filter_name="ramp", circle=True))
    return clean.astype(np.float32), [r.astype(np.float32) for r in noisy]


def dataset(seed, count, n=128, with_shepp_logan=False):
    """(clean, noisy_a, noisy_b) stacks of `count` phantoms, from `seed`."""
    rng = np.random.default_rng(seed)
    phantoms = [random_ellipses(rng, n) for _ in range(count)]
    if with_shepp_logan:
        phantoms[0] = shepp_logan(n)
    clean, a, b = [], [], []
    for ph in phantoms:
        c, (ra, rb) = scan(ph, rng)
        clean.append(c)
        a.append(ra)
        b.append(rb)
    return np.stack(clean), np.stack(a), np.stack(b)


def phase_volume(rng, n=64):
    """A 3-D sample with known phases: 0 pore/air, 1 matrix, 2 dense grains.

    A cylinder of matrix (axis z) holding random spherical pores and grains;
    returns (attenuation, labels), both (z, y, x).
    """
    zz, yy, xx = np.mgrid[:n, :n, :n].astype(np.float64)
    c = (n - 1) / 2
    labels = np.zeros((n, n, n), np.uint8)
    labels[(yy - c) ** 2 + (xx - c) ** 2 <= (0.42 * n) ** 2] = 1
    for _ in range(rng.integers(10, 22)):
        r = rng.uniform(2.5, 0.14 * n)
        cz, cy, cx = rng.uniform(0, n), c + rng.uniform(-0.3, 0.3) * n, c + rng.uniform(-0.3, 0.3) * n
        ball = (zz - cz) ** 2 + (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        labels[ball & (labels > 0)] = rng.choice([0, 2])
    attenuation = np.choose(labels, [0.0, 0.5, 1.0])
    return attenuation, labels


def scan_volume(attenuation, rng, n_angles=96, i0=1.0e4):
    """Noisy FBP of each z slice (parallel beam: slices are independent)."""
    return np.stack([scan(s, rng, n_angles=n_angles, i0=i0, realisations=1)[1][0] for s in attenuation])
