//! Discrete wavelet transforms as PyWavelets computes them with
//! `mode='symmetric'`: `dwt`/`idwt` along one axis, `wavedec2`/`waverec2`
//! over a plane — the transform of the Fourier–wavelet stripe removal.
//!
//! # Method
//!
//! Decomposition keeps every second sample of the full convolution of the
//! half-sample-symmetric extension (`… x1 x0 | x0 x1 … | xn−1 xn−2 …`):
//! `c[o] = Σ_j f[j] · x[2o + 1 − j]`, `o < ⌊(N + F − 1)/2⌋`, for the
//! low-pass `f = dec_lo` and high-pass `dec_hi[k] = (−1)^(k+1) dec_lo[F−1−k]`.
//! Reconstruction is PyWavelets' "valid" up-sampling convolution:
//! `x[n] = Σ_k a[k]·rec_lo[n + F − 2 − 2k] + d[k]·rec_hi[n + F − 2 − 2k]`,
//! `n < 2·len − F + 2`, with `rec = reverse(dec)`. `wavedec2` transforms
//! axis 0 then axis 1 per level and returns `(cA, [(cH, cV, cD)…])`
//! coarsest first; `waverec2` truncates an approximation one sample longer
//! than the next level's details, as PyWavelets does. Matches
//! `pywt.wavedec2`/`waverec2` to rounding (tested through the stripe fixture).
//!
//! # References
//!
//! - I. Daubechies, "Orthonormal bases of compactly supported wavelets,"
//!   *Commun. Pure Appl. Math.*, vol. 41, no. 7, pp. 909–996, 1988.
//!   DOI: 10.1002/cpa.3160410705
//! - G. R. Lee, R. Gommers, F. Wasilewski, K. Wohlfahrt and A. O'Leary,
//!   "PyWavelets: a Python package for wavelet analysis," *J. Open Source
//!   Softw.*, vol. 4, no. 36, 1237, 2019. DOI: 10.21105/joss.01237

// Index loops here spell out the transforms' formulas term by term.
#![allow(clippy::needless_range_loop)]

use serde::Deserialize;

/// An orthogonal Daubechies wavelet (`db1` is Haar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Wavelet {
    Haar,
    Db1,
    Db2,
    Db3,
    Db4,
    Db5,
    Db6,
    Db7,
    Db8,
    Db9,
    Db10,
}

impl Wavelet {
    /// The decomposition low-pass filter.
    pub fn dec_lo(self) -> &'static [f64] {
        let n = match self {
            Wavelet::Haar | Wavelet::Db1 => 1,
            Wavelet::Db2 => 2,
            Wavelet::Db3 => 3,
            Wavelet::Db4 => 4,
            Wavelet::Db5 => 5,
            Wavelet::Db6 => 6,
            Wavelet::Db7 => 7,
            Wavelet::Db8 => 8,
            Wavelet::Db9 => 9,
            Wavelet::Db10 => 10,
        };
        DAUBECHIES[n - 1]
    }
}

/// The four filters of a wavelet.
#[derive(Debug, Clone)]
pub struct Filters {
    dec_lo: Vec<f64>,
    dec_hi: Vec<f64>,
    rec_lo: Vec<f64>,
    rec_hi: Vec<f64>,
}

impl Filters {
    /// The filter bank of `w`.
    pub fn new(w: Wavelet) -> Filters {
        let dec_lo = w.dec_lo().to_vec();
        let f = dec_lo.len();
        let dec_hi: Vec<f64> =
            (0..f).map(|k| if k % 2 == 1 { dec_lo[f - 1 - k] } else { -dec_lo[f - 1 - k] }).collect();
        let rec_lo = dec_lo.iter().rev().copied().collect();
        let rec_hi = dec_hi.iter().rev().copied().collect();
        Filters { dec_lo, dec_hi, rec_lo, rec_hi }
    }

    /// Filter length.
    pub fn len(&self) -> usize {
        self.dec_lo.len()
    }

    /// Never empty.
    pub fn is_empty(&self) -> bool {
        false
    }
}

fn symmetric(x: &[f64], k: isize) -> f64 {
    x[crate::median::reflect(k, x.len())]
}

/// Coefficients per level for a signal of `n`: `⌊(n + F − 1)/2⌋`.
pub fn dwt_len(n: usize, f: usize) -> usize {
    (n + f - 1) / 2
}

/// One level along a line: `(approximation, detail)`.
pub fn dwt(x: &[f64], fb: &Filters, ca: &mut Vec<f64>, cd: &mut Vec<f64>) {
    let f = fb.len();
    let m = dwt_len(x.len(), f);
    ca.clear();
    cd.clear();
    for o in 0..m {
        let i = 2 * o as isize + 1;
        let (mut a, mut d) = (0.0, 0.0);
        for j in 0..f {
            let v = symmetric(x, i - j as isize);
            a += fb.dec_lo[j] * v;
            d += fb.dec_hi[j] * v;
        }
        ca.push(a);
        cd.push(d);
    }
}

/// The inverse of one level: `2·len − F + 2` samples.
pub fn idwt(ca: &[f64], cd: &[f64], fb: &Filters, out: &mut Vec<f64>) {
    let f = fb.len();
    let nc = ca.len();
    let n = (2 * nc + 2).saturating_sub(f);
    out.clear();
    for s in 0..n {
        let m = s + f - 2;
        // k with 0 ≤ m − 2k < F.
        let k_lo = (m + 1).saturating_sub(f).div_ceil(2);
        let k_hi = (m / 2).min(nc - 1);
        let mut v = 0.0;
        for k in k_lo..=k_hi {
            let j = m - 2 * k;
            v += ca[k] * fb.rec_lo[j] + cd[k] * fb.rec_hi[j];
        }
        out.push(v);
    }
}

/// A plane, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    /// Rows.
    pub h: usize,
    /// Columns.
    pub w: usize,
    /// `h × w` values.
    pub data: Vec<f64>,
}

impl Plane {
    /// A zero plane.
    pub fn zeros(h: usize, w: usize) -> Plane {
        Plane { h, w, data: vec![0.0; h * w] }
    }
}

/// Applies a line transform to every column of `p`, giving two planes of
/// `rows_out` rows.
fn along_columns(
    p: &Plane,
    rows_out: usize,
    mut f: impl FnMut(&[f64], &mut Vec<f64>, &mut Vec<f64>),
) -> (Plane, Plane) {
    let (mut a, mut d) = (Plane::zeros(rows_out, p.w), Plane::zeros(rows_out, p.w));
    let (mut line, mut la, mut ld) = (vec![0.0; p.h], Vec::new(), Vec::new());
    for c in 0..p.w {
        for r in 0..p.h {
            line[r] = p.data[r * p.w + c];
        }
        f(&line, &mut la, &mut ld);
        for r in 0..rows_out {
            a.data[r * p.w + c] = la[r];
            d.data[r * p.w + c] = ld[r];
        }
    }
    (a, d)
}

fn along_rows(p: &Plane, cols_out: usize, mut f: impl FnMut(&[f64], &mut Vec<f64>, &mut Vec<f64>)) -> (Plane, Plane) {
    let (mut a, mut d) = (Plane::zeros(p.h, cols_out), Plane::zeros(p.h, cols_out));
    let (mut la, mut ld) = (Vec::new(), Vec::new());
    for r in 0..p.h {
        f(&p.data[r * p.w..(r + 1) * p.w], &mut la, &mut ld);
        a.data[r * cols_out..(r + 1) * cols_out].copy_from_slice(&la[..cols_out]);
        d.data[r * cols_out..(r + 1) * cols_out].copy_from_slice(&ld[..cols_out]);
    }
    (a, d)
}

/// The details of one level: `(cH, cV, cD)` — detail along axis 0 only,
/// along axis 1 only, along both.
pub type Details = (Plane, Plane, Plane);

/// One 2-D level: `(cA, (cH, cV, cD))`.
pub fn dwt2(p: &Plane, fb: &Filters) -> (Plane, Details) {
    let rows = dwt_len(p.h, fb.len());
    let cols = dwt_len(p.w, fb.len());
    let (lo0, hi0) = along_columns(p, rows, |x, a, d| dwt(x, fb, a, d));
    let (aa, ad) = along_rows(&lo0, cols, |x, a, d| dwt(x, fb, a, d));
    let (da, dd) = along_rows(&hi0, cols, |x, a, d| dwt(x, fb, a, d));
    (aa, (da, ad, dd))
}

/// The inverse of [`dwt2`].
pub fn idwt2(a: &Plane, d: &Details, fb: &Filters) -> Plane {
    let (da, ad, dd) = d;
    // Axis 1 first, then axis 0 (PyWavelets' idwtn order).
    let join_rows = |lo: &Plane, hi: &Plane| {
        let mut out = Vec::new();
        let mut data = Vec::new();
        let mut w = 0;
        for r in 0..lo.h {
            idwt(&lo.data[r * lo.w..(r + 1) * lo.w], &hi.data[r * hi.w..(r + 1) * hi.w], fb, &mut out);
            w = out.len();
            data.extend_from_slice(&out);
        }
        Plane { h: lo.h, w, data }
    };
    let lo0 = join_rows(a, ad);
    let hi0 = join_rows(da, dd);
    let h = (2 * lo0.h + 2).saturating_sub(fb.len());
    let mut out = Plane::zeros(h, lo0.w);
    let (mut l, mut hh, mut o) = (vec![0.0; lo0.h], vec![0.0; lo0.h], Vec::new());
    for c in 0..lo0.w {
        for r in 0..lo0.h {
            l[r] = lo0.data[r * lo0.w + c];
            hh[r] = hi0.data[r * lo0.w + c];
        }
        idwt(&l, &hh, fb, &mut o);
        for r in 0..h {
            out.data[r * lo0.w + c] = o[r];
        }
    }
    out
}

/// `pywt.wavedec2(p, wavelet, level)`: the coarsest approximation and the
/// details, coarsest first.
pub fn wavedec2(p: &Plane, fb: &Filters, level: usize) -> (Plane, Vec<Details>) {
    let mut a = p.clone();
    let mut details = Vec::with_capacity(level);
    for _ in 0..level {
        let (na, d) = dwt2(&a, fb);
        details.push(d);
        a = na;
    }
    details.reverse();
    (a, details)
}

/// `pywt.waverec2((a, details…), wavelet)`.
pub fn waverec2(a: &Plane, details: &[Details], fb: &Filters) -> Plane {
    let mut a = a.clone();
    for d in details {
        if (a.h, a.w) != (d.0.h, d.0.w) {
            // PyWavelets truncates an approximation that came out one longer.
            let mut t = Plane::zeros(d.0.h, d.0.w);
            for r in 0..d.0.h {
                t.data[r * d.0.w..(r + 1) * d.0.w].copy_from_slice(&a.data[r * a.w..r * a.w + d.0.w]);
            }
            a = t;
        }
        a = idwt2(&a, d, fb);
    }
    a
}

/// Daubechies scaling (decomposition low-pass) filters `db1`…`db10`, as
/// PyWavelets 1.9 tabulates them (`pywt.Wavelet('dbN').dec_lo`).
pub const DAUBECHIES: [&[f64]; 10] = [
    // db1
    &[std::f64::consts::FRAC_1_SQRT_2, std::f64::consts::FRAC_1_SQRT_2],
    // db2
    &[-0.12940952255126037, 0.2241438680420134, 0.8365163037378079, 0.48296291314453416],
    // db3
    &[
        0.03522629188570953,
        -0.08544127388202666,
        -0.13501102001025458,
        0.45987750211849154,
        0.8068915093110925,
        0.33267055295008263,
    ],
    // db4
    &[
        -0.010597401785069032,
        0.0328830116668852,
        0.030841381835560764,
        -0.18703481171909309,
        -0.027983769416859854,
        0.6308807679298589,
        0.7148465705529157,
        0.2303778133088965,
    ],
    // db5
    &[
        0.0033357252854737712,
        -0.012580751999081999,
        -0.006241490212798274,
        0.07757149384004572,
        -0.032244869584638375,
        -0.24229488706638203,
        0.13842814590132074,
        0.7243085284377729,
        0.6038292697971896,
        0.16010239797419293,
    ],
    // db6
    &[
        -0.0010773010853084796,
        0.004777257510945511,
        0.0005538422011614961,
        -0.03158203931748603,
        0.027522865530305727,
        0.09750160558732304,
        -0.12976686756726194,
        -0.22626469396543983,
        0.31525035170919763,
        0.7511339080210954,
        0.49462389039845306,
        0.11154074335010947,
    ],
    // db7
    &[
        0.00035371379997452024,
        -0.0018016407040474908,
        0.0004295779729213665,
        0.01255099855609984,
        -0.01657454163066688,
        -0.03802993693501441,
        0.08061260915108308,
        0.07130921926683026,
        -0.22403618499387498,
        -0.14390600392856498,
        0.4697822874051931,
        0.7291320908462351,
        0.3965393194819173,
        0.07785205408500918,
    ],
    // db8
    &[
        -0.00011747678412476953,
        0.0006754494064505693,
        -0.00039174037337694705,
        -0.004870352993451574,
        0.008746094047405777,
        0.013981027917398282,
        -0.044088253930794755,
        -0.017369301001807547,
        0.12874742662047847,
        0.0004724845739132828,
        -0.2840155429615469,
        -0.015829105256349306,
        0.5853546836542067,
        0.6756307362972898,
        0.31287159091429995,
        0.05441584224310401,
    ],
    // db9
    &[
        3.93473203162716e-05,
        -0.0002519631889427101,
        0.00023038576352319597,
        0.0018476468830562265,
        -0.00428150368246343,
        -0.004723204757751397,
        0.022361662123679096,
        0.00025094711483145197,
        -0.06763282906132997,
        0.03072568147933338,
        0.14854074933810638,
        -0.09684078322297646,
        -0.2932737832791749,
        0.13319738582500756,
        0.6572880780513005,
        0.6048231236901112,
        0.24383467461259034,
        0.038077947363878345,
    ],
    // db10
    &[
        -1.3264202894521244e-05,
        9.358867032006959e-05,
        -0.00011646685512928545,
        -0.0006858566949597116,
        0.001992405295185056,
        0.001395351747052901,
        -0.010733175483330575,
        0.0036065535669561697,
        0.033212674059341,
        -0.029457536821875813,
        -0.07139414716639708,
        0.09305736460357235,
        0.12736934033579325,
        -0.19594627437737705,
        -0.24984642432731538,
        0.2811723436605775,
        0.6884590394536035,
        0.5272011889317256,
        0.1881768000776915,
        0.026670057900555554,
    ],
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Perfect reconstruction: `idwt(dwt(x))` returns `x` (to 1e-12) for
    /// every tabulated wavelet and odd and even lengths; the filters are
    /// orthonormal (`Σ lo² = 1`, `Σ lo = √2`).
    #[test]
    fn perfect_reconstruction() {
        for w in [Wavelet::Haar, Wavelet::Db2, Wavelet::Db5, Wavelet::Db9, Wavelet::Db10] {
            let fb = Filters::new(w);
            let s: f64 = fb.dec_lo.iter().sum();
            let e: f64 = fb.dec_lo.iter().map(|v| v * v).sum();
            assert!((s - 2f64.sqrt()).abs() < 1e-12 && (e - 1.0).abs() < 1e-12, "{w:?}");
            for n in [37usize, 64] {
                let x: Vec<f64> = (0..n).map(|k| ((k * 7 + 3) % 11) as f64 - 5.0).collect();
                let (mut a, mut d, mut y) = (Vec::new(), Vec::new(), Vec::new());
                dwt(&x, &fb, &mut a, &mut d);
                idwt(&a, &d, &fb, &mut y);
                for k in 0..n {
                    assert!((x[k] - y[k]).abs() < 1e-12, "{w:?} n {n} k {k}");
                }
            }
        }
    }

    #[test]
    fn two_dimensional_round_trip() {
        let (h, w) = (45, 38);
        let p = Plane { h, w, data: (0..h * w).map(|k| ((k * 13) % 17) as f64).collect() };
        let fb = Filters::new(Wavelet::Db5);
        let (a, d) = wavedec2(&p, &fb, 2);
        let q = waverec2(&a, &d, &fb);
        for r in 0..h {
            for c in 0..w {
                assert!((p.data[r * w + c] - q.data[r * q.w + c]).abs() < 1e-10);
            }
        }
    }
}
