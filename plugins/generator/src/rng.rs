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

    fn normal_pair(&mut self) -> (f64, f64) {
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        (r * c, r * s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
