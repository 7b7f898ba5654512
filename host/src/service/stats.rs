//! `GET /v1/datasets/{id}/statistics`: per channel count, mean, standard
//! deviation, minimum and maximum, computed in one streaming pass over
//! slabs of axis 0 (at most [`SLAB_BYTES`] read at a time) and cached in
//! the store.
//!
//! Each slab's channels are summarised exactly (mean, then the sum of
//! squared deviations from it) and merged into the running totals with the
//! pairwise update of Chan, Golub & LeVeque, so the result does not lose
//! precision on long datasets with a large mean the way a sum of squares
//! would. The standard deviation is the population one (`ddof = 0`, as
//! numpy's `std`). NaNs are left out of every figure and counted apart.
//!
//! References: T. F. Chan, G. H. Golub, R. J. LeVeque, "Algorithms for
//! computing the sample variance: analysis and recommendations", The
//! American Statistician 37(3), 242–247 (1983).

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::Json;
use plexus_io::ChunkReader;
use plexus_plugin_api::Array;
use serde_json::{json, Value};

use super::errors::ApiError;
use super::AppState;

/// Bytes of one slab read at a time (at least one slice of axis 0).
pub const SLAB_BYTES: usize = 16 << 20;

/// Running figures of one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Values counted (NaNs not).
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// NaNs seen.
    pub nan: u64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments { count: 0, mean: 0.0, m2: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY, nan: 0 }
    }
}

impl Moments {
    /// The figures of `values`, in two passes.
    pub fn of(values: impl Iterator<Item = f64> + Clone) -> Moments {
        let mut m = Moments::default();
        let mut sum = 0.0;
        for v in values.clone() {
            if v.is_nan() {
                m.nan += 1;
                continue;
            }
            m.count += 1;
            sum += v;
            m.min = m.min.min(v);
            m.max = m.max.max(v);
        }
        if m.count > 0 {
            m.mean = sum / m.count as f64;
            m.m2 = values.filter(|v| !v.is_nan()).map(|v| (v - m.mean) * (v - m.mean)).sum();
        }
        m
    }

    /// Merges the figures of another part of the data (Chan et al. 1983).
    pub fn merge(&mut self, o: &Moments) {
        self.nan += o.nan;
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            let nan = self.nan;
            *self = *o;
            self.nan = nan;
            return;
        }
        let n = (self.count + o.count) as f64;
        let delta = o.mean - self.mean;
        self.mean += delta * o.count as f64 / n;
        self.m2 += o.m2 + delta * delta * self.count as f64 * o.count as f64 / n;
        self.count += o.count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// Population standard deviation.
    pub fn std(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            (self.m2 / self.count as f64).sqrt()
        }
    }
}

/// The figures of every channel of the dataset `reader` reads.
pub fn compute(reader: &mut dyn ChunkReader) -> Result<(Option<String>, Vec<Moments>), String> {
    let info = reader.info().clone();
    let labels = super::axes::labels(&info);
    let axis = super::axes::channel_axis(&labels);
    let channels = axis.map(|k| info.shape[k]).unwrap_or(1);
    // Elements between two neighbours along the channel axis.
    let stride: usize = axis.map(|k| info.shape[k + 1..].iter().product()).unwrap_or(1);
    let mut totals = vec![Moments::default(); channels];
    let per = (SLAB_BYTES / info.slice_bytes().max(1)).max(1);
    let mut buf = Vec::new();
    let mut start = 0;
    while start < info.len() {
        let len = per.min(info.len() - start);
        buf.resize(len * info.slice_bytes(), 0);
        reader.read_into(start, len, &mut buf).map_err(|e| e.to_string())?;
        let mut shape = info.shape.clone();
        if shape.is_empty() {
            shape.push(1);
        }
        shape[0] = len;
        let values = Array::from_bytes(info.dtype, shape, &buf).map_err(|e| e.to_string())?.to_f64_vec();
        for (c, total) in totals.iter_mut().enumerate() {
            let of_channel = |(i, _): &(usize, &f64)| match axis {
                None => true,
                Some(0) => (start + i / stride) % channels == c,
                Some(_) => (i / stride) % channels == c,
            };
            let part = Moments::of(values.iter().enumerate().filter(of_channel).map(|(_, v)| *v));
            total.merge(&part);
        }
        start += len;
    }
    Ok((axis.map(|k| labels[k].clone()), totals))
}

/// The JSON of the figures.
pub fn to_json(axis: Option<String>, totals: &[Moments]) -> Value {
    let finite = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let channels: Vec<Value> = totals
        .iter()
        .enumerate()
        .map(|(c, m)| {
            json!({
                "channel": c,
                "count": m.count,
                "mean": if m.count > 0 { json!(m.mean) } else { Value::Null },
                "std": finite(m.std()),
                "min": finite(m.min),
                "max": finite(m.max),
                "nan": m.nan,
            })
        })
        .collect();
    json!({ "channel_axis": axis, "ddof": 0, "channels": channels })
}

/// `GET /v1/datasets/{id}/statistics`: from the cache, else computed now
/// and cached.
pub async fn get(State(st): State<Arc<AppState>>, UrlPath(id): UrlPath<String>) -> Result<Json<Value>, ApiError> {
    let row = super::datasets::find(&st, &id)?;
    if let Some(cached) = st.store.statistics(&id)? {
        return Ok(Json(cached));
    }
    let stats = tokio::task::spawn_blocking(move || {
        let shown = |e: String| {
            ApiError::internal(format!("dataset `{}`: {}", row.name, super::datasets::shown_error(&row, &e)))
        };
        let mut reader = plexus_io::open(&row.path).map_err(|e| shown(e.to_string()))?;
        let (axis, totals) = compute(reader.as_mut()).map_err(shown)?;
        Ok::<_, ApiError>(to_json(axis, &totals))
    })
    .await
    .map_err(ApiError::internal)??;
    st.store.set_statistics(&id, &stats)?;
    Ok(Json(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_parts_equal_the_whole_in_two_passes() {
        // A large mean and a small spread: a sum of squares would lose it.
        let values: Vec<f64> = (0..10_000).map(|i| 1e9 + ((i * 7919) % 101) as f64 * 0.01).collect();
        let whole = Moments::of(values.iter().copied());
        let mut merged = Moments::default();
        for part in values.chunks(777) {
            merged.merge(&Moments::of(part.iter().copied()));
        }
        assert_eq!((merged.count, merged.min, merged.max), (whole.count, whole.min, whole.max));
        // Relative error of a few ulps of the mean's magnitude: 1e-15 of 1e9.
        assert!((merged.mean - whole.mean).abs() < 1e-5, "{} vs {}", merged.mean, whole.mean);
        assert!((merged.std() - whole.std()).abs() < 1e-9, "{} vs {}", merged.std(), whole.std());
        let with_nan = Moments::of([1.0, f64::NAN, 3.0].into_iter());
        assert_eq!((with_nan.count, with_nan.nan, with_nan.mean, with_nan.std()), (2, 1, 2.0, 1.0));
    }
}
