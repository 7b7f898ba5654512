//! The `minkowski` operator: 2-D Minkowski functionals of `image > t`.
//!
//! Everything comes from one pass that counts the 16 configurations of 2×2
//! pixel blocks ("bit quads") over the image padded with background, with the
//! code `1·I[r,c] + 2·I[r-1,c] + 4·I[r,c-1] + 8·I[r-1,c-1]` as in scikit-image:
//!
//! - `area`: number of foreground pixels;
//! - `perimeter`: number of pixel edges between a foreground and a background
//!   pixel, pixels outside the image counting as background (the "crack"
//!   length in pixel units: `4·area − 2·(adjacent foreground pairs)`);
//! - `perimeter_crofton`: `skimage.measure.perimeter_crofton(directions=4)`;
//! - `perimeter_weighted4` / `perimeter_weighted8`:
//!   `skimage.measure.perimeter(neighborhood=4 / 8)`, the weighted border
//!   pixel estimator ([`perimeter`](crate::perimeter); a separate pass);
//! - `euler4` / `euler8`: `skimage.measure.euler_number(connectivity=1 / 2)`
//!   (foreground 4- / 8-connected), with the same coefficient tables.

use std::f64::consts::{PI, SQRT_2};

use plexus_plugin_api::{Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::image::{as_cow, plane, Planes};
use crate::perimeter::{weighted_perimeter, Neighborhood};

/// Parameters of `minkowski`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinkowskiParams {
    /// Foreground is `image > t`, one set of results per threshold.
    pub thresholds: Vec<f64>,
}

impl Default for MinkowskiParams {
    fn default() -> Self {
        MinkowskiParams { thresholds: vec![0.0] }
    }
}

impl Params for MinkowskiParams {
    const TABLE: &'static [Param] =
        &[Param::new("thresholds", "foreground is image > t, one set of results per threshold")];
}

/// skimage `EULER_COEFS2D_4` (connectivity 1).
const EULER4: [i64; 16] = [0, 1, 0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, 0];
/// skimage `EULER_COEFS2D_8` (connectivity 2).
const EULER8: [i64; 16] = [0, 0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, -1, 0];

/// skimage's Crofton weights for 4 directions.
fn crofton4() -> [f64; 16] {
    let a = PI / 4.0 * (1.0 + 1.0 / SQRT_2);
    let b = PI / (4.0 * SQRT_2);
    let c = PI / (2.0 * SQRT_2);
    [0.0, a, b, c, 0.0, a, 0.0, b, PI / 4.0, PI / 2.0, b, b, PI / 4.0, PI / 2.0, 0.0, 0.0]
}

/// The functionals of one binary image.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Functionals {
    /// Foreground pixels.
    pub area: u64,
    /// Foreground/background pixel edges.
    pub perimeter: u64,
    /// Crofton perimeter estimate (4 directions).
    pub perimeter_crofton: f64,
    /// skimage's weighted perimeter, `neighborhood=4`.
    pub perimeter_weighted4: f64,
    /// skimage's weighted perimeter, `neighborhood=8`.
    pub perimeter_weighted8: f64,
    /// Euler number, 4-connected foreground.
    pub euler4: i64,
    /// Euler number, 8-connected foreground.
    pub euler8: i64,
}

impl std::ops::AddAssign for Functionals {
    fn add_assign(&mut self, o: Functionals) {
        self.area += o.area;
        self.perimeter += o.perimeter;
        self.perimeter_crofton += o.perimeter_crofton;
        self.perimeter_weighted4 += o.perimeter_weighted4;
        self.perimeter_weighted8 += o.perimeter_weighted8;
        self.euler4 += o.euler4;
        self.euler8 += o.euler8;
    }
}

/// Bit-quad histogram and adjacent-pair counts of `src > t` (`h × w`).
pub fn quads<T: Copy + PartialOrd>(src: &[T], h: usize, w: usize, t: T) -> ([u64; 16], u64, u64) {
    assert_eq!(src.len(), h * w);
    let mut hist = [0u64; 16];
    let mut pairs = 0u64;
    let mut area = 0u64;
    // Rows padded with one background pixel on the left.
    let mut prev = vec![0u8; w + 1];
    let mut cur = vec![0u8; w + 1];
    for r in 0..=h {
        if r < h {
            for (c, v) in src[r * w..(r + 1) * w].iter().enumerate() {
                cur[c + 1] = (*v > t) as u8;
            }
        } else {
            cur.fill(0);
        }
        // Quads with bottom-right pixel (r, c), c in 0..=w.
        for c in 0..=w {
            let br = if c < w { cur[c + 1] } else { 0 };
            let tr = if c < w { prev[c + 1] } else { 0 };
            let (bl, tl) = (cur[c], prev[c]);
            hist[(br | tr << 1 | bl << 2 | tl << 3) as usize] += 1;
            pairs += (br & bl) as u64 + (br & tr) as u64;
            area += br as u64;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (hist, area, pairs)
}

/// The Minkowski functionals of `src > t` for an `h × w` image.
pub fn functionals<T: Copy + PartialOrd>(src: &[T], h: usize, w: usize, t: T) -> Functionals {
    let (hist, area, pairs) = quads(src, h, w, t);
    let crofton = crofton4();
    Functionals {
        area,
        perimeter: 4 * area - 2 * pairs,
        perimeter_crofton: (0..16).map(|i| crofton[i] * hist[i] as f64).sum(),
        perimeter_weighted4: weighted_perimeter(src, h, w, t, Neighborhood::Four),
        perimeter_weighted8: weighted_perimeter(src, h, w, t, Neighborhood::Eight),
        euler4: (0..16).map(|i| EULER4[i] * hist[i] as i64).sum(),
        euler8: (0..16).map(|i| EULER8[i] * hist[i] as i64).sum(),
    }
}

/// The `minkowski` operator. Publishes, for each threshold in order, the
/// functionals of the frame (summed over its planes: they are additive):
/// results `thresholds`, `area`, `perimeter`, `perimeter_crofton`,
/// `perimeter_weighted4`, `perimeter_weighted8`, `euler4`, `euler8`, each a list with one entry per threshold, and forwards the input.
pub struct Minkowski {
    thresholds: Vec<f64>,
    /// Running totals over every plane of every frame so far.
    totals: Vec<Functionals>,
}

impl Minkowski {
    /// Builds the operator (`thresholds`, default `[0]`: foreground = non-zero
    /// for non-negative images, as skimage's `image > 0`).
    pub fn new(p: MinkowskiParams, _ctx: &Context) -> Result<Minkowski, PluginError> {
        let thresholds = p.thresholds;
        if thresholds.is_empty() {
            return Err(PluginError::bad_parameter("thresholds", "at least one threshold", "[]"));
        }
        if let Some(t) = thresholds.iter().find(|t| t.is_nan()) {
            return Err(PluginError::bad_parameter("thresholds", "numbers", t.to_string()));
        }
        Ok(Minkowski { totals: vec![Functionals::default(); thresholds.len()], thresholds })
    }

    /// Functionals per threshold of every plane of `data` summed.
    pub fn measure(&self, data: &[f64], layout: Planes) -> Vec<Functionals> {
        let mut totals = vec![Functionals::default(); self.thresholds.len()];
        for p in 0..layout.count() {
            let pl = plane(data, layout, p);
            for (tot, &t) in totals.iter_mut().zip(&self.thresholds) {
                *tot += functionals(&pl, layout.h, layout.w, t);
            }
        }
        totals
    }
}

impl Operator for Minkowski {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (_, view) = input.first()?;
        let layout = Planes::of(view.shape(), view.axes())?;
        // Comparing in f64 is exact for every element type.
        let totals = if view.dtype() == DType::F64 {
            self.measure(view.as_slice::<f64>().expect("f64"), layout)
        } else {
            self.measure(&as_cow::<f64>(&view), layout)
        };
        for (sum, t) in self.totals.iter_mut().zip(&totals) {
            *sum += *t;
        }
        out.forward();
        Ok(())
    }

    /// The functionals are additive over planes, so the stream's totals are
    /// published once, at the end, whatever the chunking.
    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let list = |f: &dyn Fn(&Functionals) -> Value| Value::Array(self.totals.iter().map(f).collect());
        out.result("thresholds", self.thresholds.clone());
        out.result("area", list(&|f| f.area.into()));
        out.result("perimeter", list(&|f| f.perimeter.into()));
        out.result("perimeter_crofton", list(&|f| f.perimeter_crofton.into()));
        out.result("perimeter_weighted4", list(&|f| f.perimeter_weighted4.into()));
        out.result("perimeter_weighted8", list(&|f| f.perimeter_weighted8.into()));
        out.result("euler4", list(&|f| f.euler4.into()));
        out.result("euler8", list(&|f| f.euler8.into()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_shapes() {
        // A ring of 8 pixels around a hole: 1 component, 1 hole for 4- and
        // 8-connectivity alike.
        #[rustfmt::skip]
        let ring = [
            0, 0, 0, 0, 0,
            0, 1, 1, 1, 0,
            0, 1, 0, 1, 0,
            0, 1, 1, 1, 0,
        ];
        let f = functionals(&ring, 4, 5, 0);
        assert_eq!((f.area, f.perimeter, f.euler4, f.euler8), (8, 16, 0, 0));
        // Two diagonal pixels: two 4-components, one 8-component.
        let diag = [1, 0, 0, 1];
        let f = functionals(&diag, 2, 2, 0);
        assert_eq!((f.area, f.perimeter, f.euler4, f.euler8), (2, 8, 2, 1));
        let empty = [0u8; 6];
        assert_eq!(functionals(&empty, 2, 3, 0), Functionals::default());
    }
}
