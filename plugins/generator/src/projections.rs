//! `generator.projections`: a simulated parallel-beam tomography scan of a
//! phantom — projections at given angles with flat and dark fields, photon
//! (Poisson) noise, zingers and stripes — as test data for reconstruction.
//!
//! # Parameters
//!
//! - `phantom` (`"shepp_logan"` | `"disc"`, default `"shepp_logan"`): the
//!   modified Shepp–Logan phantom of [`crate::shepp_logan`], or a centred
//!   disc (2-D) / ball (3-D) of radius 0.5 and intensity 1, whose
//!   projections have a one-line closed form (for checks).
//! - `dim` (`"2d"` | `"3d"`, default `"2d"`), `size` (int ≥ 1, default 256),
//!   `depth` (int ≥ 0, default 0 = `size`): as `shepp_logan`. A 2-D
//!   phantom gives 1 detector row, a 3-D one `depth` rows.
//! - `n_angles` (int ≥ 1, default 180): angles `180·i/n_angles` degrees,
//!   `i = 0 … n_angles−1`, over `[0, 180)`; used when `angles_deg` is empty.
//! - `angles_deg` (float list, default `[]`): explicit angles in degrees.
//! - `chunk` (int ≥ 1, default 16): projections per emitted frame.
//! - `pixel_size_cm` (float ≥ 0, default 0): detector pixel size in cm,
//!   with the phantom's intensities read as attenuation coefficients μ in
//!   cm⁻¹; 0 means `h = 2/(size−1)`, i.e. the phantom's `[−1, 1]` spans
//!   2 cm and the exponent is μ·L with L in phantom units.
//! - `flat` (float > 0, default 10000): mean counts of the open beam.
//! - `dark` (float ≥ 0, default 100): dark (offset) counts, added to every
//!   exposure.
//! - `photons` (float ≥ 0, default 0): photons per pixel of the open beam;
//!   0 means no noise.
//! - `seed` (int ≥ 0, default 0): seeds noise, zingers and stripes.
//! - `zinger_fraction` (float in `[0, 1]`, default 0) and
//!   `zinger_amplitude` (float, default 10000 counts).
//! - `stripe_strength` (float ≥ 0, default 0): standard deviation of the
//!   relative per-column gain error.
//! - `flats`, `darks` (int ≥ 1, default 1): flat and dark frames recorded.
//! - `axis_offset_px` (float, default 0): the rotation axis projects this
//!   many detector columns right of the detector's middle (an off-centre
//!   axis, as in a real scan; sub-pixel allowed). The phantom still turns
//!   about its own centre; the detector is what moves.
//!
//! # Output
//!
//! Frames of array `data`, `f32`, shape `[length, rows, cols]`, axes
//! `angle row col`, chunk keys `{ axis: 0, offset, length, extent:
//! n_angles }` (`length = chunk` except for a shorter last chunk), with
//! metadata `theta_deg` (the chunk's angles, one per projection),
//! `center_col` and `pixel_size_cm`.
//!
//! **Flat and dark fields** travel as two extra arrays on the *first* frame
//! only: `white`, `f32` `[flats, rows, cols]`, and `dark`, `f32`
//! `[darks, rows, cols]`, axes `frame row col` (the dxchange layout of
//! `/exchange/data_white` and `/exchange/data_dark`). Arrays rather than
//! results because they are images a sink writes and a flat-field stage
//! needs, and results are JSON. Stages that read each frame's first array
//! see `data` in every frame.
//!
//! Results, published on every call: `angles_deg` (every angle), `rows`,
//! `cols`, `center_col`, `pixel_size_cm`, `flat`, `dark`, `photons`, and,
//! over the noise-free sinogram emitted so far (all of it once the stream
//! ends), `max_attenuation` (the largest μ·L) and `min_transmission`
//! (`exp(−max_attenuation)`).
//!
//! # Geometry
//!
//! Parallel beam, rotation axis through the phantom's centre. Detector
//! column `c` samples the ray at `s = k·2/(cols−1) − 1` (the phantom's own
//! sampling of `x`, [`crate::shepp_logan::coordinate`]), so the rotation
//! axis projects to column `center_col = (cols − 1)/2` (plus `axis_offset_px`:
//! column `c` then sees `s = coordinate(c) − axis_offset_px·h`). At angle `θ` the
//! ray of column `s` is the line `x cos θ + y sin θ = s` with `x` along
//! columns and `y` upwards — the convention of `skimage.transform.radon`:
//! at 0° a projection sums the image's columns, at 90° its rows (row 0 at
//! the last column). Detector row `r` of a 3-D scan sees volume slice `r`
//! (axis 0 of `shepp_logan`'s volume), the rotation axis is along `z`.
//! Each detector pixel is one ray through its centre (no integration over
//! the pixel's width).
//!
//! # Method
//!
//! Line integrals are exact: the sum over ellipses of `Aᵢ` times the chord
//! the ray cuts. 2-D: Kak & Slaney's closed form (ch. 3, eq. 3.4 rotated
//! and shifted): for an ellipse of semi-axes `a`, `b`, rotated by `φ`,
//! centred at `(x0, y0)`, with `a²(θ) = a² cos²(θ−φ) + b² sin²(θ−φ)` and
//! `s′ = s − x0 cos θ − y0 sin θ`, the chord is `2ab √(a²(θ) − s′²) / a²(θ)`
//! where `|s′| < a(θ)`, else 0. 3-D: the same chord found as the distance
//! between the two roots of the quadratic of the ray inside the ellipsoid's
//! quadric (TomoPy's rotation).
//!
//! Counts at pixel `(r, c)` of projection `i`, with line integral `L`
//! (phantom units), `T = exp(−μL · pixel_size_cm / h)` and gain
//! `g_c = max(0, 1 + stripe_strength · N_c)` (`N_c` standard normal, one
//! per column, seeded):
//!
//! - `photons = 0`: `I = flat · g_c · T + dark`.
//! - `photons > 0`: `I = (flat/photons) · Poisson(photons · g_c · T) + dark`
//!   (the detector gives `flat/photons` counts per photon).
//! - A zinger: with probability `zinger_fraction` independently per pixel,
//!   `I += zinger_amplitude`.
//!
//! Flat frames: `(flat/photons) · Poisson(photons) + dark`, or
//! `flat + dark` without noise; dark frames: `dark` (no read noise). The
//! **stripes are not in the flat frames**: they model gain errors that
//! flat-field correction does not remove, so `(data − dark)/(white − dark)`
//! shows them as vertical stripes in the sinogram (ring artefacts after
//! reconstruction). Zingers hit projections only.
//!
//! Randomness: projection `i` draws its photons and zingers from generators
//! keyed by `(seed, i)` ([`crate::rng`]), flat frame `k` from `(seed, k)`,
//! the stripes from `seed`: output is the same whatever `chunk`.
//! Poisson deviates are exact (NumPy's samplers, [`Xoshiro256::poisson`]).
//!
//! # References
//!
//! - A. C. Kak and M. Slaney, *Principles of Computerized Tomographic
//!   Imaging*, IEEE Press, 1988, ch. 3 (projections of an ellipse, eq. 3.4).
//! - W. Hörmann, "The transformed rejection method for generating Poisson
//!   random variables," *Insurance: Mathematics and Economics*, vol. 12,
//!   pp. 39–45, 1993. DOI: 10.1016/0167-6687(93)90997-4
//! - F. De Carlo et al., "Scientific data exchange: a schema for HDF5-based
//!   storage of raw and analyzed data," *J. Synchrotron Rad.*, vol. 21,
//!   pp. 1224–1230, 2014. DOI: 10.1107/S160057751401604X

use plexus_plugin_api::{Array, Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::params;
use crate::rng::{Stream, Xoshiro256};
use crate::shepp_logan::{coordinate, Dim, Ellipse, Ellipsoid, Solid, MODIFIED_SHEPP_LOGAN, MODIFIED_SHEPP_LOGAN_3D};
use crate::source::{self, Cursor};

/// Which object is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phantom {
    /// The modified Shepp–Logan phantom.
    #[serde(rename = "shepp_logan")]
    SheppLogan,
    /// A centred disc (ball in 3-D) of radius [`DISC_RADIUS`], intensity 1.
    Disc,
}

/// Radius of the `disc` phantom, in phantom units.
pub const DISC_RADIUS: f64 = 0.5;

impl Phantom {}

pub use plexus_kernels::phantom::ellipse_chord;

/// Exact line integrals of a 2-D or 3-D phantom, in phantom units.
pub struct Projector {
    dim: Dim,
    size: usize,
    depth: usize,
    ellipses: Vec<Ellipse>,
    solids: Vec<Solid>,
    /// Where the axis projects, in phantom units right of the detector's
    /// middle.
    axis_offset: f64,
}

impl Projector {
    /// A projector of `phantom` sampled as `shepp_logan` samples it.
    pub fn new(dim: Dim, phantom: Phantom, size: usize, depth: usize) -> Projector {
        let disc = Ellipse { intensity: 1.0, a: DISC_RADIUS, b: DISC_RADIUS, x0: 0.0, y0: 0.0, phi_deg: 0.0 };
        let ball: Ellipsoid = [1.0, DISC_RADIUS, DISC_RADIUS, DISC_RADIUS, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let (ellipses, solids) = match (dim, phantom) {
            (Dim::Two, Phantom::SheppLogan) => (MODIFIED_SHEPP_LOGAN.to_vec(), vec![]),
            (Dim::Two, Phantom::Disc) => (vec![disc], vec![]),
            (Dim::Three, Phantom::SheppLogan) => (vec![], MODIFIED_SHEPP_LOGAN_3D.iter().map(Solid::new).collect()),
            (Dim::Three, Phantom::Disc) => (vec![], vec![Solid::new(&ball)]),
        };
        Projector { dim, size, depth, ellipses, solids, axis_offset: 0.0 }
    }

    /// The same projector with the rotation axis `offset_px` detector
    /// columns right of the detector's middle.
    pub fn with_axis_offset(mut self, offset_px: f64) -> Projector {
        self.axis_offset = offset_px * self.spacing();
        self
    }

    /// Detector rows: 1 in 2-D, `depth` in 3-D.
    pub fn rows(&self) -> usize {
        match self.dim {
            Dim::Two => 1,
            Dim::Three => self.depth,
        }
    }

    /// Detector columns: `size`.
    pub fn cols(&self) -> usize {
        self.size
    }

    /// Pixel spacing in phantom units, `2/(size−1)` (2 for one pixel).
    pub fn spacing(&self) -> f64 {
        if self.size > 1 {
            2.0 / (self.size - 1) as f64
        } else {
            2.0
        }
    }

    /// The line integral (`Σ Aᵢ · chordᵢ`, phantom units) of every detector
    /// pixel at `theta_deg`, `rows × cols` row-major.
    pub fn project(&self, theta_deg: f64) -> Vec<f64> {
        let (sin, cos) = theta_deg.to_radians().sin_cos();
        let (rows, cols) = (self.rows(), self.cols());
        let mut out = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            let z = coordinate(r, self.depth);
            for c in 0..cols {
                let s = coordinate(c, cols) - self.axis_offset;
                let v: f64 = match self.dim {
                    Dim::Two => self.ellipses.iter().map(|e| e.intensity * ellipse_chord(e, s, cos, sin)).sum(),
                    Dim::Three => {
                        // (u0, u1, u2) = (z, −y, x); the ray x cos θ + y sin θ = s
                        // runs along (x, y) = (−sin θ, cos θ).
                        let p = [z, -s * sin, s * cos];
                        let d = [0.0, -cos, -sin];
                        self.solids.iter().map(|q| q.intensity * q.chord(p, d)).sum()
                    }
                };
                out.push(v);
            }
        }
        out
    }
}

/// The projections source.
pub struct Projections {
    projector: Projector,
    angles_deg: Vec<f64>,
    chunk: usize,
    pixel_size_cm: f64,
    /// Attenuation per phantom-unit length per unit μ: `pixel_size_cm / h`.
    scale: f64,
    flat: f64,
    dark: f64,
    photons: f64,
    seed: u64,
    zinger_fraction: f64,
    zinger_amplitude: f64,
    flats: usize,
    darks: usize,
    /// `g_c` per column.
    gain: Vec<f64>,
    cursor: Cursor,
    max_attenuation: f64,
}

/// Parameters of `projections`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectionsParams {
    /// The phantom projected.
    pub phantom: Phantom,
    /// A 2-D phantom (one detector row) or 3-D (`depth` rows).
    pub dim: Dim,
    /// Phantom pixels along y and x; detector columns.
    pub size: usize,
    /// Slices (detector rows) for `3d`; 0: same as `size`.
    pub depth: usize,
    /// Angles `180 i / n_angles` degrees over `[0, 180)`, when `angles_deg` is empty.
    pub n_angles: usize,
    /// Explicit projection angles in degrees.
    pub angles_deg: Vec<f64>,
    /// Projections per emitted frame.
    pub chunk: usize,
    /// Detector pixel in cm (intensities are μ in 1/cm); 0: `2 / (size − 1)`.
    pub pixel_size_cm: f64,
    /// Open-beam counts.
    pub flat: f64,
    /// Dark (offset) counts added to every exposure.
    pub dark: f64,
    /// Photons per open-beam pixel for Poisson noise; 0: no noise.
    pub photons: f64,
    /// Seeds noise, zingers and stripes.
    pub seed: u64,
    /// Probability that a projection pixel is a zinger.
    pub zinger_fraction: f64,
    /// Counts a zinger adds.
    pub zinger_amplitude: f64,
    /// Standard deviation of the relative per-column gain error.
    pub stripe_strength: f64,
    /// Flat (white) frames recorded.
    pub flats: usize,
    /// Dark frames recorded.
    pub darks: usize,
    /// Detector columns the rotation axis lies right of the detector's middle.
    pub axis_offset_px: f64,
}

impl Default for ProjectionsParams {
    fn default() -> Self {
        ProjectionsParams {
            phantom: Phantom::SheppLogan,
            dim: Dim::Two,
            size: 256,
            depth: 0,
            n_angles: 180,
            angles_deg: Vec::new(),
            chunk: 16,
            pixel_size_cm: 0.0,
            flat: 10000.0,
            dark: 100.0,
            photons: 0.0,
            seed: 0,
            zinger_fraction: 0.0,
            zinger_amplitude: 10000.0,
            stripe_strength: 0.0,
            flats: 1,
            darks: 1,
            axis_offset_px: 0.0,
        }
    }
}

impl Params for ProjectionsParams {
    const TABLE: &'static [Param] = &[
        Param::new("phantom", "modified Shepp-Logan, or a centred disc/ball of radius 0.5 and intensity 1"),
        Param::new("dim", "2-D phantom (1 detector row) or 3-D (depth rows)"),
        Param::new("size", "phantom pixels along y and x; detector columns").min(1.0),
        Param::new("depth", "slices (detector rows) for 3d; 0: same as size"),
        Param::new("n_angles", "angles 180 i / n_angles degrees over [0, 180), when angles_deg is empty").min(1.0),
        Param::new("angles_deg", "explicit projection angles in degrees"),
        Param::new("chunk", "projections per emitted frame").min(1.0),
        Param::new(
            "pixel_size_cm",
            "detector pixel in cm (intensities are mu in 1/cm); 0: 2/(size-1), the phantom spans 2 cm",
        )
        .min(0.0),
        Param::new("flat", "open-beam counts").min(0.0),
        Param::new("dark", "dark (offset) counts added to every exposure").min(0.0),
        Param::new("photons", "photons per open-beam pixel for Poisson noise; 0: no noise").min(0.0),
        Param::new("seed", "seeds noise, zingers and stripes"),
        Param::new("zinger_fraction", "probability that a projection pixel is a zinger").min(0.0).max(1.0),
        Param::new("zinger_amplitude", "counts a zinger adds"),
        Param::new("stripe_strength", "std of the relative per-column gain error (not in the flat frames)").min(0.0),
        Param::new("flats", "flat (white) frames recorded").min(1.0),
        Param::new("darks", "dark frames recorded").min(1.0),
        Param::new(
            "axis_offset_px",
            "detector columns the rotation axis lies right of the detector middle: center_col = (cols-1)/2 + this",
        ),
    ];
}

impl Projections {
    /// Builds the operator from its parameters (see the module docs).
    pub fn new(p: ProjectionsParams, _ctx: &Context) -> Result<Projections, PluginError> {
        let (phantom, dim, size) = (p.phantom, p.dim, p.size);
        let depth = if p.depth == 0 { size } else { p.depth };
        let angles_deg = if p.angles_deg.is_empty() {
            let n = p.n_angles;
            (0..n).map(|i| 180.0 * i as f64 / n as f64).collect()
        } else {
            if let Some(bad) = p.angles_deg.iter().find(|a| !a.is_finite()) {
                return Err(PluginError::bad_parameter("angles_deg", "finite angles", bad.to_string()));
            }
            p.angles_deg
        };
        let chunk = p.chunk;
        let axis_offset_px = params::finite("axis_offset_px", p.axis_offset_px)?;
        let projector = Projector::new(dim, phantom, size, depth).with_axis_offset(axis_offset_px);
        let pixel_size_cm = match params::finite("pixel_size_cm", p.pixel_size_cm)? {
            0.0 => projector.spacing(),
            p => p,
        };
        let flat = params::finite("flat", p.flat)?;
        if flat == 0.0 {
            return Err(PluginError::bad_parameter("flat", "a positive number of counts", "0"));
        }
        let dark = params::finite("dark", p.dark)?;
        let photons = params::finite("photons", p.photons)?;
        let seed = p.seed;
        let zinger_fraction = p.zinger_fraction;
        let zinger_amplitude = params::finite("zinger_amplitude", p.zinger_amplitude)?;
        let stripe_strength = params::finite("stripe_strength", p.stripe_strength)?;
        let (flats, darks) = (p.flats, p.darks);
        let cols = projector.cols();
        let gain = if stripe_strength > 0.0 {
            let mut n = vec![0.0; cols];
            Xoshiro256::for_frame(seed, Stream::Stripes, 0).fill_normal(&mut n);
            n.iter().map(|g| (1.0 + stripe_strength * g).max(0.0)).collect()
        } else {
            vec![1.0; cols]
        };
        let chunks = angles_deg.len().div_ceil(chunk) as u64;
        Ok(Projections {
            scale: pixel_size_cm / projector.spacing(),
            projector,
            angles_deg,
            chunk,
            pixel_size_cm,
            flat,
            dark,
            photons,
            seed,
            zinger_fraction,
            zinger_amplitude,
            flats,
            darks,
            gain,
            cursor: Cursor::new("projections", Some(chunks)),
            max_attenuation: 0.0,
        })
    }

    /// The per-column gains `g_c` (1 without stripes).
    pub fn gain(&self) -> &[f64] {
        &self.gain
    }

    fn center_col(&self) -> f64 {
        (self.projector.cols() as f64 - 1.0) / 2.0 + self.projector.axis_offset / self.projector.spacing()
    }

    /// Projection `i` in counts; also returns its largest μ·L.
    fn projection(&self, i: usize) -> (Vec<f32>, f64) {
        let lines = self.projector.project(self.angles_deg[i]);
        let cols = self.projector.cols();
        let mut photons = Xoshiro256::for_frame(self.seed, Stream::Photons, i as u64);
        let mut zingers = Xoshiro256::for_frame(self.seed, Stream::Zingers, i as u64);
        let per_photon = if self.photons > 0.0 { self.flat / self.photons } else { 0.0 };
        let mut max_att: f64 = 0.0;
        let out = lines
            .iter()
            .enumerate()
            .map(|(j, &l)| {
                let att = l * self.scale;
                max_att = max_att.max(att);
                let t = (-att).exp() * self.gain[j % cols];
                let mut v = if self.photons > 0.0 {
                    per_photon * photons.poisson(self.photons * t) as f64
                } else {
                    self.flat * t
                };
                v += self.dark;
                if self.zinger_fraction > 0.0 && zingers.next_f64() < self.zinger_fraction {
                    v += self.zinger_amplitude;
                }
                v as f32
            })
            .collect();
        (out, max_att)
    }

    /// The flat frames (`white`) and dark frames, `frame row col`.
    fn fields(&self) -> Result<(Array, Array), PluginError> {
        let (rows, cols) = (self.projector.rows(), self.projector.cols());
        let n = rows * cols;
        let mut white = Vec::with_capacity(self.flats * n);
        for k in 0..self.flats {
            if self.photons > 0.0 {
                let mut x = Xoshiro256::for_frame(self.seed, Stream::Flats, k as u64);
                let per_photon = self.flat / self.photons;
                white.extend((0..n).map(|_| (per_photon * x.poisson(self.photons) as f64 + self.dark) as f32));
            } else {
                white.extend(std::iter::repeat_n((self.flat + self.dark) as f32, n));
            }
        }
        let white = Array::from_vec(vec![self.flats, rows, cols], white)?.with_axes("frame row col")?;
        let dark = Array::from_vec(vec![self.darks, rows, cols], vec![self.dark as f32; self.darks * n])?
            .with_axes("frame row col")?;
        Ok((white, dark))
    }

    fn results(&self, out: &mut Emitter) {
        out.result("angles_deg", json!(self.angles_deg));
        out.result("rows", self.projector.rows());
        out.result("cols", self.projector.cols());
        out.result("center_col", self.center_col());
        out.result("pixel_size_cm", self.pixel_size_cm);
        out.result("flat", self.flat);
        out.result("dark", self.dark);
        out.result("photons", self.photons);
        out.result("max_attenuation", self.max_attenuation);
        out.result("min_transmission", (-self.max_attenuation).exp());
    }
}

impl Operator for Projections {
    fn process(&mut self, tick: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if let Some(i) = self.cursor.take() {
            let (rows, cols) = (self.projector.rows(), self.projector.cols());
            let a0 = i as usize * self.chunk;
            let length = self.chunk.min(self.angles_deg.len() - a0);
            let mut data = Vec::with_capacity(length * rows * cols);
            for k in a0..a0 + length {
                let (p, m) = self.projection(k);
                data.extend_from_slice(&p);
                self.max_attenuation = self.max_attenuation.max(m);
            }
            let array = Array::from_vec(vec![length, rows, cols], data)?.with_axes("angle row col")?;
            let theta: Vec<f64> = self.angles_deg[a0..a0 + length].to_vec();
            let mut frame = source::chunk_frame(
                source::dataset(tick, "projections"),
                a0 as u64,
                length as u64,
                self.angles_deg.len() as u64,
                "data",
                array,
            )
            .with_meta("theta_deg", json!(theta))
            .with_meta("center_col", self.center_col())
            .with_meta("pixel_size_cm", self.pixel_size_cm);
            if i == 0 {
                let (white, dark) = self.fields()?;
                frame = frame.with_array("white", white).with_array("dark", dark);
            }
            out.emit(frame);
            self.results(out);
        }
        if self.cursor.done() {
            out.end_stream();
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let mut v: Value = serde_json::from_slice(&self.cursor.snapshot()).unwrap_or_default();
        v["max_attenuation"] = json!(self.max_attenuation);
        Ok(Some(v.to_string().into_bytes()))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        self.cursor.restore(state)?;
        let v: Value = serde_json::from_slice(state).unwrap_or_default();
        self.max_attenuation = v["max_attenuation"].as_f64().unwrap_or(0.0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disc: the closed form gives `2√(r² − s²)` at every angle.
    #[test]
    fn ellipse_chord_is_the_disc_chord() {
        let e = Ellipse { intensity: 1.0, a: 0.5, b: 0.5, x0: 0.0, y0: 0.0, phi_deg: 0.0 };
        for theta in [0.0f64, 0.3, 1.2, 2.9] {
            let (sin, cos) = theta.sin_cos();
            for s in [-0.6, -0.49, -0.2, 0.0, 0.25, 0.4999] {
                let want = if s * s < 0.25 { 2.0 * (0.25f64 - s * s).sqrt() } else { 0.0 };
                assert!((ellipse_chord(&e, s, cos, sin) - want).abs() < 1e-12);
            }
        }
    }

    /// A rotated, shifted ellipse: Kak & Slaney's closed form equals the
    /// chord the 3-D quadratic finds through an ellipsoid whose section at
    /// `z = 0` is that ellipse (long third semi-axis), with the 3-D code's
    /// axes `u = (z, −y, x)`: rows of `R` give `x′ = x cos φ + y sin φ` and
    /// `y′ = −x sin φ + y cos φ`.
    #[test]
    fn closed_form_agrees_with_the_quadratic() {
        let e = MODIFIED_SHEPP_LOGAN[2]; // x0 = 0.22, φ = −18°
        let (s, c) = e.phi_deg.to_radians().sin_cos();
        let solid = Solid {
            intensity: 1.0,
            rot: [[0.0, -s, c], [0.0, -c, -s], [1.0, 0.0, 0.0]],
            centre: [e.x0 * c + e.y0 * s, -e.x0 * s + e.y0 * c, 0.0],
            semi: [e.a, e.b, 10.0],
        };
        for theta in [0.0f64, 17.0, 90.0, 133.0] {
            let (sin, cos) = theta.to_radians().sin_cos();
            for k in 0..41 {
                let sv = -1.0 + k as f64 * 0.05;
                let want = ellipse_chord(&e, sv, cos, sin);
                let got = solid.chord([0.0, -sv * sin, sv * cos], [0.0, -cos, -sin]);
                assert!((got - want).abs() < 1e-12, "θ = {theta}, s = {sv}: {got} != {want}");
            }
        }
    }
}
