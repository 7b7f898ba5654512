//! Seeded pseudo-random numbers for the generators.
//!
//! Every frame draws from its own generator whose state is derived from
//! `(seed, stream, frame index)`, so a frame's pixels depend only on the seed
//! and its index: the same whatever the chunking, the order frames are asked
//! for, or a hot reload in between. No OS entropy is ever used.
//!
//! # Method
//!
//! - Key derivation: the SplitMix64 finaliser (a bijection on `u64`) mixes
//!   the seed, a per-operator stream constant and the frame index into one
//!   64-bit key.
//! - Drawing: xoshiro256** seeded with four SplitMix64 outputs of that key,
//!   as its authors recommend for seeding from a single 64-bit value.
//! - Floats: `[0, 1)` from the top 53 bits of an output; standard normals
//!   by the Box–Muller transform.
//!
//! # References
//!
//! - G. L. Steele, D. Lea and C. H. Flood, "Fast splittable pseudorandom
//!   number generators," in *Proc. OOPSLA 2014*, pp. 453–472.
//!   DOI: 10.1145/2660193.2660195
//! - D. Blackman and S. Vigna, "Scrambled linear pseudorandom number
//!   generators," *ACM Trans. Math. Softw.*, vol. 47, no. 4, art. 36, 2021.
//!   DOI: 10.1145/3460772
//! - G. E. P. Box and M. E. Muller, "A note on the generation of random
//!   normal deviates," *Ann. Math. Statist.*, vol. 29, no. 2, pp. 610–611,
//!   1958. DOI: 10.1214/aoms/1177706645

/// Distinct streams, so that two generators given the same seed are not
/// correlated (uniform and gaussian noise of seed 0 are independent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// `generator.uniform`.
    Uniform = 1,
    /// `generator.gaussian`.
    Gaussian = 2,
    /// `generator.stream` with `content = "uniform"`.
    Live = 3,
    /// `generator.blobs`.
    Blobs = 4,
    /// `generator.projections`: photon noise of projection `i`.
    Photons = 5,
    /// `generator.projections`: zingers of projection `i`.
    Zingers = 6,
    /// `generator.projections`: the per-column gain errors (frame 0).
    Stripes = 7,
    /// `generator.projections`: photon noise of flat field `i`.
    Flats = 8,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function: a bijective 64-bit mixer.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 (Steele, Lea & Flood 2014): a Weyl sequence through [`mix64`].
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator whose first output is `mix64(seed + golden gamma)`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }
}

/// xoshiro256** 1.0 (Blackman & Vigna 2021).
#[derive(Debug, Clone)]
pub struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    /// A generator with exactly this state (must not be all zero).
    pub fn from_state(s: [u64; 4]) -> Xoshiro256 {
        debug_assert!(s != [0; 4], "xoshiro state must not be all zero");
        Xoshiro256 { s }
    }

    /// A generator seeded from one 64-bit value through SplitMix64. The state
    /// is never all zero: SplitMix64 outputs four distinct values.
    pub fn seeded(seed: u64) -> Xoshiro256 {
        let mut sm = SplitMix64::new(seed);
        Xoshiro256::from_state([sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()])
    }

    /// The generator for frame `frame` of `stream` under `seed`.
    pub fn for_frame(seed: u64, stream: Stream, frame: u64) -> Xoshiro256 {
        let key = mix64(mix64(seed ^ (stream as u64).wrapping_mul(GOLDEN)).wrapping_add(frame));
        Xoshiro256::seeded(key)
    }

    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Fills `out` with uniform bytes, eight per output, little-endian.
    pub fn fill_bytes(&mut self, out: &mut [u8]) {
        let mut chunks = out.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let last = self.next_u64().to_le_bytes();
            rest.copy_from_slice(&last[..rest.len()]);
        }
    }

    /// Fills `out` with standard normal deviates by Box–Muller: each pair of
    /// uniforms `u1 ∈ (0, 1]`, `u2 ∈ [0, 1)` gives `r cos θ` and `r sin θ`
    /// with `r = √(−2 ln u1)`, `θ = 2π u2`. `u1` excludes 0 so `ln` is finite.
    pub fn fill_normal(&mut self, out: &mut [f64]) {
        let mut pairs = out.chunks_exact_mut(2);
        for p in &mut pairs {
            let (a, b) = self.normal_pair();
            p[0] = a;
            p[1] = b;
        }
        if let [last] = pairs.into_remainder() {
            *last = self.normal_pair().0;
        }
    }

    /// A Poisson deviate of mean `lam` (`0` for `lam <= 0`), as NumPy draws
    /// them: Knuth's multiplication method below 10, Hörmann's transformed
    /// rejection with squeeze (PTRS) from 10 on. Both are exact samplers.
    pub fn poisson(&mut self, lam: f64) -> u64 {
        if lam <= 0.0 || !lam.is_finite() {
            return 0;
        }
        if lam < 10.0 {
            let enlam = (-lam).exp();
            let mut prod = 1.0;
            let mut k = 0;
            loop {
                prod *= self.next_f64();
                if prod > enlam {
                    k += 1;
                } else {
                    return k;
                }
            }
        }
        let slam = lam.sqrt();
        let loglam = lam.ln();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.next_f64() - 0.5;
            let v = self.next_f64();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lam + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if v.ln() + invalpha.ln() - (a / (us * us) + b).ln() <= -lam + k * loglam - log_gamma(k + 1.0) {
                return k as u64;
            }
        }
    }

    fn normal_pair(&mut self) -> (f64, f64) {
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        (r * c, r * s)
    }
}

/// `ln Γ(x)` for `x ≥ 1` by Stirling's series, shifted up to `x ≥ 7` (NumPy's
/// `random_loggam`); accurate to about 1e−15 relative.
pub fn log_gamma(x: f64) -> f64 {
    const A: [f64; 10] = [
        8.333333333333333e-02,
        -2.777777777777778e-03,
        7.936507936507937e-04,
        -5.952380952380952e-04,
        8.417508417508418e-04,
        -1.917526917526918e-03,
        6.41025641025641e-03,
        -2.955065359477124e-02,
        1.796443723688307e-01,
        -1.39243221690590e+00,
    ];
    if x == 1.0 || x == 2.0 {
        return 0.0;
    }
    let n = if x < 7.0 { (7.0 - x) as i64 } else { 0 };
    let mut x0 = x + n as f64;
    let x2 = (1.0 / x0) * (1.0 / x0);
    let mut gl0 = A[9];
    for k in (0..9).rev() {
        gl0 *= x2;
        gl0 += A[k];
    }
    let mut gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * x0.ln() - x0;
    for _ in 0..n {
        gl -= (x0 - 1.0).ln();
        x0 -= 1.0;
    }
    gl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_gamma_matches_factorials() {
        let mut f: f64 = 1.0;
        for k in 1..30u32 {
            f *= k as f64;
            let got = log_gamma(k as f64 + 1.0);
            assert!((got - f.ln()).abs() < 1e-12 * f.ln().max(1.0), "ln {k}! = {got}, want {}", f.ln());
        }
        // Γ(1/2 + 7) is reached through the shift: ln Γ(2.5) = ln(3√π/4).
        let want = (0.75 * std::f64::consts::PI.sqrt()).ln();
        assert!((log_gamma(2.5) - want).abs() < 1e-13);
    }

    /// Mean and variance of 200 000 draws agree with λ to within 5 standard
    /// errors (the variance's standard error is λ√(2/n) to first order, plus
    /// a kurtosis term 1/λ that is small here), for both samplers; and the
    /// frequency of 0 matches e^−λ for λ = 3.
    #[test]
    fn poisson_moments() {
        let n = 200_000;
        for lam in [0.5f64, 3.0, 9.9, 10.0, 47.0, 1000.0, 1.0e5] {
            let mut x = Xoshiro256::seeded(lam.to_bits());
            let draws: Vec<f64> = (0..n).map(|_| x.poisson(lam) as f64).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se_mean = (lam / n as f64).sqrt();
            let se_var = lam * ((2.0 + 1.0 / lam) / n as f64).sqrt();
            assert!((mean - lam).abs() < 5.0 * se_mean, "λ = {lam}: mean {mean}");
            assert!((var - lam).abs() < 5.0 * se_var, "λ = {lam}: variance {var}");
            if lam == 3.0 {
                let zeros = draws.iter().filter(|&&d| d == 0.0).count() as f64 / n as f64;
                let p = (-3.0f64).exp();
                assert!((zeros - p).abs() < 5.0 * (p * (1.0 - p) / n as f64).sqrt(), "P(0) = {zeros}");
            }
        }
        assert_eq!(Xoshiro256::seeded(1).poisson(0.0), 0);
    }

    /// Reference outputs of SplitMix64 seeded with 1234567, from the
    /// authors' C code (`splitmix64.c`).
    #[test]
    fn splitmix64_known_answers() {
        let mut sm = SplitMix64::new(1234567);
        let got: Vec<u64> = (0..5).map(|_| sm.next_u64()).collect();
        assert_eq!(
            got,
            [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821]
        );
    }

    /// Reference outputs of xoshiro256** from state [1, 2, 3, 4], from the
    /// authors' C code (`xoshiro256starstar.c`).
    #[test]
    fn xoshiro256starstar_known_answers() {
        let mut x = Xoshiro256::from_state([1, 2, 3, 4]);
        let got: Vec<u64> = (0..6).map(|_| x.next_u64()).collect();
        assert_eq!(got, [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600]);
    }

    #[test]
    fn frames_and_streams_are_independent() {
        let a = Xoshiro256::for_frame(0, Stream::Uniform, 0).next_u64();
        let b = Xoshiro256::for_frame(0, Stream::Uniform, 1).next_u64();
        let c = Xoshiro256::for_frame(0, Stream::Gaussian, 0).next_u64();
        let d = Xoshiro256::for_frame(1, Stream::Uniform, 0).next_u64();
        assert!(a != b && a != c && a != d && b != c && b != d && c != d);
        assert_eq!(a, Xoshiro256::for_frame(0, Stream::Uniform, 0).next_u64());
    }

    #[test]
    fn fill_bytes_handles_a_tail() {
        let mut x = Xoshiro256::seeded(5);
        let mut y = x.clone();
        let mut buf = [0u8; 11];
        x.fill_bytes(&mut buf);
        assert_eq!(&buf[..8], &y.next_u64().to_le_bytes());
        assert_eq!(&buf[8..], &y.next_u64().to_le_bytes()[..3]);
    }

    #[test]
    fn unit_floats_stay_in_range() {
        let mut x = Xoshiro256::seeded(9);
        for _ in 0..10_000 {
            let u = x.next_f64();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
