//! The inner loops every projector and back-projector spends its time in:
//! for `j` along a row, sample a padded 1-D signal at `u = base + j·step`
//! and add the sample into `acc[j]`.
//!
//! - [`lerp_row`]: linear interpolation, `acc[j] += scale · lerp(src, u)`
//!   (FBP back-projection; Joseph's forward projector, `|step| ≥ 1`);
//! - [`tent_row`]: the exact adjoint of Joseph's projector, a tent of
//!   half-width `h ≤ 1` scaled by `1/h`.
//!
//! Three paths, chosen once at run time: AVX-512 (16 lanes; the two
//! neighbours of every lane are picked out of a 32-value window with
//! `vpermt2ps` instead of a memory gather, since 16 samples with
//! `|step| ≤ 1.5` span at most 26 values), AVX2 + FMA (8 lanes, hardware
//! gathers) and portable scalar code. The SIMD paths exist because the
//! FBP goal (10× ASTRA's CPU back-projection) is not reachable with scalar
//! gathers: `benches/reconstruction.rs` measures each path
//! (`PLEXUS_RECON_ISA=generic|avx2|avx512` forces one).
//!
//! Callers guarantee `u ≥ 1` and `u + 34 ≤ src.len()` for every `j` (the
//! signal is padded with zeros); a call that breaks this runs the checked
//! scalar path instead, so no input can make the SIMD code read outside
//! `src`.

use std::sync::OnceLock;

/// The instruction set the kernels use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Portable scalar code.
    Generic,
    /// AVX2 and FMA: 8 lanes, hardware gathers.
    Avx2,
    /// AVX-512F: 16 lanes, in-register gathers.
    Avx512,
}

/// Slack the SIMD paths need past the largest sample position.
pub const SLACK: usize = 34;

/// The best instruction set of this CPU, or the one `PLEXUS_RECON_ISA` names.
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| {
        let forced = std::env::var("PLEXUS_RECON_ISA").ok();
        let best = detect();
        match forced.as_deref() {
            Some("generic") => Isa::Generic,
            Some("avx2") if best != Isa::Generic => Isa::Avx2,
            _ => best,
        }
    })
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return Isa::Avx2;
        }
    }
    Isa::Generic
}

/// True when every sample of the row stays inside the SIMD window.
fn in_window(n: usize, src: usize, base: f32, step: f32) -> bool {
    if n == 0 {
        return true;
    }
    let last = base + (n - 1) as f32 * step;
    let (lo, hi) = (base.min(last), base.max(last));
    step.abs() <= 1.5 && lo >= 1.0 && hi.is_finite() && (hi as usize) + SLACK <= src
}

/// `acc[j] += scale · lerp(src, base + j·step)` for every `j`; samples
/// outside `src` read zero.
pub fn lerp_row(isa: Isa, acc: &mut [f32], src: &[f32], base: f32, step: f32, scale: f32) {
    if !in_window(acc.len(), src.len(), base, step) {
        return lerp_row_checked(acc, src, base, step, scale);
    }
    match isa {
        Isa::Generic => lerp_row_generic(acc, src, base, step, scale),
        // SAFETY: `isa()` only returns these when the CPU has the features,
        // and `in_window` checked every window the loops read is in `src`.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { x86::lerp_row_avx2(acc, src, base, step, scale) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { x86::lerp_row_avx512(acc, src, base, step, scale) },
        #[cfg(not(target_arch = "x86_64"))]
        _ => lerp_row_generic(acc, src, base, step, scale),
    }
}

/// `acc[j] += (w₀·src[k] + w₁·src[k+1]) / h` with `u = base + j·step`,
/// `k = ⌊u⌋`, `f = u − k`, `w₀ = max(0, 1 − f/h)`, `w₁ = max(0, 1 − (1−f)/h)`.
pub fn tent_row(isa: Isa, acc: &mut [f32], src: &[f32], base: f32, step: f32, h: f32) {
    if !in_window(acc.len(), src.len(), base, step) {
        return tent_row_checked(acc, src, base, step, h);
    }
    match isa {
        Isa::Generic => tent_row_generic(acc, src, base, step, h),
        // SAFETY: as in `lerp_row`.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { x86::tent_row_avx2(acc, src, base, step, h) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { x86::tent_row_avx512(acc, src, base, step, h) },
        #[cfg(not(target_arch = "x86_64"))]
        _ => tent_row_generic(acc, src, base, step, h),
    }
}

#[inline(always)]
fn lerp_row_generic(acc: &mut [f32], src: &[f32], base: f32, step: f32, scale: f32) {
    for (j, a) in acc.iter_mut().enumerate() {
        let u = base + j as f32 * step;
        let k = u as usize; // u ≥ 1: truncation is floor
        let f = u - k as f32;
        let (p0, p1) = (src[k], src[k + 1]);
        *a += scale * (p0 + f * (p1 - p0));
    }
}

#[inline(always)]
fn tent_row_generic(acc: &mut [f32], src: &[f32], base: f32, step: f32, h: f32) {
    let inv = 1.0 / h;
    for (j, a) in acc.iter_mut().enumerate() {
        let u = base + j as f32 * step;
        let k = u as usize;
        let f = u - k as f32;
        let w0 = (1.0 - f * inv).max(0.0);
        let w1 = (1.0 - (1.0 - f) * inv).max(0.0);
        *a += inv * (w0 * src[k] + w1 * src[k + 1]);
    }
}

fn sample(src: &[f32], k: f32) -> f32 {
    if k >= 0.0 && (k as usize) < src.len() {
        src[k as usize]
    } else {
        0.0
    }
}

fn lerp_row_checked(acc: &mut [f32], src: &[f32], base: f32, step: f32, scale: f32) {
    for (j, a) in acc.iter_mut().enumerate() {
        let u = base + j as f32 * step;
        if !u.is_finite() {
            continue;
        }
        let k = u.floor();
        let f = u - k;
        let (p0, p1) = (sample(src, k), sample(src, k + 1.0));
        *a += scale * (p0 + f * (p1 - p0));
    }
}

fn tent_row_checked(acc: &mut [f32], src: &[f32], base: f32, step: f32, h: f32) {
    let inv = 1.0 / h;
    for (j, a) in acc.iter_mut().enumerate() {
        let u = base + j as f32 * step;
        if !u.is_finite() {
            continue;
        }
        let k = u.floor();
        let f = u - k;
        let w0 = (1.0 - f * inv).max(0.0);
        let w1 = (1.0 - (1.0 - f) * inv).max(0.0);
        *a += inv * (w0 * sample(src, k) + w1 * sample(src, k + 1.0));
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    const LANES16: [f32; 16] = [0., 1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12., 13., 14., 15.];
    const LANES8: [f32; 8] = [0., 1., 2., 3., 4., 5., 6., 7.];

    /// The two neighbours of 16 sample positions, from the 32-value window
    /// starting at `kb`, one below the floor of the smallest position (the
    /// caller computes it from the first and last lane in scalar code,
    /// cheaper than a horizontal minimum; the margin of one absorbs the
    /// rounding difference between that and the lanes' FMA).
    ///
    /// # Safety
    /// AVX-512F; `src[kb .. kb + 32]` in bounds (the caller's window
    /// check: `u ≥ 1`, `⌊u⌋ + SLACK ≤ src.len()`, `|step| ≤ 1.5`, so the
    /// lanes span at most 26 values above `kb`).
    #[inline(always)]
    unsafe fn neighbours16(src: &[f32], u: __m512, kb: i32) -> (__m512, __m512, __m512) {
        let k = _mm512_cvttps_epi32(u);
        let f = _mm512_sub_ps(u, _mm512_cvtepi32_ps(k));
        let rel = _mm512_sub_epi32(k, _mm512_set1_epi32(kb));
        // SAFETY: 0 ≤ kb and kb + 32 ≤ max⌊u⌋ + 32 ≤ src.len() (window check).
        let p = unsafe { src.as_ptr().add(kb as usize) };
        let (w0, w1) = unsafe { (_mm512_loadu_ps(p), _mm512_loadu_ps(p.add(16))) };
        let a = _mm512_permutex2var_ps(w0, rel, w1);
        let b = _mm512_permutex2var_ps(w0, _mm512_add_epi32(rel, _mm512_set1_epi32(1)), w1);
        (a, b, f)
    }

    /// `kb` for the 16 lanes starting at `j`.
    #[inline(always)]
    fn window_start(base: f32, step: f32, j: usize) -> i32 {
        let first = base + j as f32 * step;
        let last = base + (j + 15) as f32 * step;
        (first.min(last) as i32 - 1).max(0)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn lerp_row_avx512(acc: &mut [f32], src: &[f32], base: f32, step: f32, scale: f32) {
        let n = acc.len();
        let lanes = unsafe { _mm512_loadu_ps(LANES16.as_ptr()) };
        let (stepv, scalev) = (_mm512_set1_ps(step), _mm512_set1_ps(scale));
        let mut j = 0;
        while j + 16 <= n {
            let jv = _mm512_add_ps(_mm512_set1_ps(j as f32), lanes);
            let u = _mm512_fmadd_ps(jv, stepv, _mm512_set1_ps(base));
            // SAFETY: see `neighbours16`; `acc[j..j + 16]` is in bounds.
            unsafe {
                let (a, b, f) = neighbours16(src, u, window_start(base, step, j));
                let v = _mm512_fmadd_ps(f, _mm512_sub_ps(b, a), a);
                let out = acc.as_mut_ptr().add(j);
                _mm512_storeu_ps(out, _mm512_fmadd_ps(v, scalev, _mm512_loadu_ps(out)));
            }
            j += 16;
        }
        super::lerp_row_generic(&mut acc[j..], src, base + j as f32 * step, step, scale);
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tent_row_avx512(acc: &mut [f32], src: &[f32], base: f32, step: f32, h: f32) {
        let n = acc.len();
        let lanes = unsafe { _mm512_loadu_ps(LANES16.as_ptr()) };
        let stepv = _mm512_set1_ps(step);
        let inv = _mm512_set1_ps(1.0 / h);
        let (one, zero) = (_mm512_set1_ps(1.0), _mm512_setzero_ps());
        let mut j = 0;
        while j + 16 <= n {
            let jv = _mm512_add_ps(_mm512_set1_ps(j as f32), lanes);
            let u = _mm512_fmadd_ps(jv, stepv, _mm512_set1_ps(base));
            // SAFETY: see `neighbours16`; `acc[j..j + 16]` is in bounds.
            unsafe {
                let (a, b, f) = neighbours16(src, u, window_start(base, step, j));
                let w0 = _mm512_max_ps(_mm512_fnmadd_ps(f, inv, one), zero);
                let w1 = _mm512_max_ps(_mm512_fnmadd_ps(_mm512_sub_ps(one, f), inv, one), zero);
                let v = _mm512_fmadd_ps(w1, b, _mm512_mul_ps(w0, a));
                let out = acc.as_mut_ptr().add(j);
                _mm512_storeu_ps(out, _mm512_fmadd_ps(v, inv, _mm512_loadu_ps(out)));
            }
            j += 16;
        }
        super::tent_row_generic(&mut acc[j..], src, base + j as f32 * step, step, h);
    }

    /// # Safety
    /// AVX2 + FMA; every `⌊u⌋ + 1` in bounds (the window check).
    #[inline(always)]
    unsafe fn neighbours8(src: &[f32], u: __m256) -> (__m256, __m256, __m256) {
        let k = _mm256_cvttps_epi32(u);
        let f = _mm256_sub_ps(u, _mm256_cvtepi32_ps(k));
        // SAFETY: 1 ≤ k and k + 1 < src.len() for every lane (window check).
        let a = unsafe { _mm256_i32gather_ps::<4>(src.as_ptr(), k) };
        let b = unsafe { _mm256_i32gather_ps::<4>(src.as_ptr().add(1), k) };
        (a, b, f)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn lerp_row_avx2(acc: &mut [f32], src: &[f32], base: f32, step: f32, scale: f32) {
        let n = acc.len();
        let lanes = unsafe { _mm256_loadu_ps(LANES8.as_ptr()) };
        let (stepv, scalev) = (_mm256_set1_ps(step), _mm256_set1_ps(scale));
        let mut j = 0;
        while j + 8 <= n {
            let jv = _mm256_add_ps(_mm256_set1_ps(j as f32), lanes);
            let u = _mm256_fmadd_ps(jv, stepv, _mm256_set1_ps(base));
            // SAFETY: see `neighbours8`; `acc[j..j + 8]` is in bounds.
            unsafe {
                let (a, b, f) = neighbours8(src, u);
                let v = _mm256_fmadd_ps(f, _mm256_sub_ps(b, a), a);
                let out = acc.as_mut_ptr().add(j);
                _mm256_storeu_ps(out, _mm256_fmadd_ps(v, scalev, _mm256_loadu_ps(out)));
            }
            j += 8;
        }
        super::lerp_row_generic(&mut acc[j..], src, base + j as f32 * step, step, scale);
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tent_row_avx2(acc: &mut [f32], src: &[f32], base: f32, step: f32, h: f32) {
        let n = acc.len();
        let lanes = unsafe { _mm256_loadu_ps(LANES8.as_ptr()) };
        let stepv = _mm256_set1_ps(step);
        let inv = _mm256_set1_ps(1.0 / h);
        let (one, zero) = (_mm256_set1_ps(1.0), _mm256_setzero_ps());
        let mut j = 0;
        while j + 8 <= n {
            let jv = _mm256_add_ps(_mm256_set1_ps(j as f32), lanes);
            let u = _mm256_fmadd_ps(jv, stepv, _mm256_set1_ps(base));
            // SAFETY: see `neighbours8`; `acc[j..j + 8]` is in bounds.
            unsafe {
                let (a, b, f) = neighbours8(src, u);
                let w0 = _mm256_max_ps(_mm256_fnmadd_ps(f, inv, one), zero);
                let w1 = _mm256_max_ps(_mm256_fnmadd_ps(_mm256_sub_ps(one, f), inv, one), zero);
                let v = _mm256_fmadd_ps(w1, b, _mm256_mul_ps(w0, a));
                let out = acc.as_mut_ptr().add(j);
                _mm256_storeu_ps(out, _mm256_fmadd_ps(v, inv, _mm256_loadu_ps(out)));
            }
            j += 8;
        }
        super::tent_row_generic(&mut acc[j..], src, base + j as f32 * step, step, h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Vec<Isa> {
        let mut v = vec![Isa::Generic];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                v.push(Isa::Avx2);
            }
            if is_x86_feature_detected!("avx512f") {
                v.push(Isa::Avx512);
            }
        }
        v
    }

    /// Every path gives the scalar result to f32 rounding, for steps of both
    /// signs and up to 1.5. Tolerance 2e-4: the SIMD paths compute
    /// `u = base + j·step` with one FMA, the scalar ones without, so `u`
    /// (≈ 150, f32 spacing 1.5e-5) may differ by 2 ulp, and the sampled
    /// signal's slope here is up to 3/h² ≈ 6 per unit of `u`.
    #[test]
    fn simd_paths_agree_with_scalar() {
        let src: Vec<f32> = (0..200).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect();
        for &step in &[1.0f32, -1.0, std::f32::consts::FRAC_1_SQRT_2, -0.3, 1.414, -1.5, 0.0] {
            for &h in &[1.0f32, 0.8, 0.7072] {
                let base = if step < 0.0 { 150.3 } else { 3.7 };
                let n = 77;
                let mut want = vec![0.5f32; n];
                lerp_row_checked(&mut want, &src, base, step, 0.25);
                let mut want_t = vec![0.5f32; n];
                tent_row_checked(&mut want_t, &src, base, step, h);
                for isa in paths() {
                    let mut got = vec![0.5f32; n];
                    lerp_row(isa, &mut got, &src, base, step, 0.25);
                    let mut got_t = vec![0.5f32; n];
                    tent_row(isa, &mut got_t, &src, base, step, h);
                    for j in 0..n {
                        assert!((got[j] - want[j]).abs() < 2e-4, "{isa:?} step {step} j {j}");
                        assert!(
                            (got_t[j] - want_t[j]).abs() < 2e-4,
                            "{isa:?} step {step} h {h} j {j}: {} vs {}",
                            got_t[j],
                            want_t[j]
                        );
                    }
                }
            }
        }
    }

    /// Out-of-window rows fall back to the checked path and read zeros
    /// outside the signal.
    #[test]
    fn out_of_window_reads_zero() {
        let src = vec![1.0f32; 10];
        let mut acc = vec![0.0f32; 4];
        lerp_row(isa(), &mut acc, &src, -1.5, 4.0, 1.0);
        assert_eq!(acc, vec![0.0, 1.0, 1.0, 0.0]);
    }
}
