//! Drawing `[[plot]]` sections after a run: histograms with error bars,
//! power spectra and time series, from stage results (and, for spectra, the
//! stage's last frame), written as PNG through `plexus-plot`.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::bus::Inlet;
use crate::pipeline::plan::PlotPlan;
use crate::pipeline::spec::PlotKind;

/// Keeps the first array of the last frame a stage sent, as `f64`. Only the
/// frame is kept, not its envelope: its permit goes back to the budget, as
/// the next frame may need it to arrive at all.
pub fn last_array(rx: Inlet) -> Option<Vec<f64>> {
    let mut last = None;
    for env in rx.iter() {
        last = Some(env.frame);
    }
    last.and_then(|frame| frame.first().ok().map(|a| a.to_f64_vec()))
}

fn list(results: &Map<String, Value>, key: &str, stage: &str) -> Result<Vec<f64>, String> {
    let v = results.get(key).ok_or_else(|| {
        let keys: Vec<String> = results.keys().map(|k| format!("`{k}`")).collect();
        format!(
            "stage `{stage}` published no result `{key}` (it published {})",
            if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
        )
    })?;
    let items = v.as_array().ok_or_else(|| format!("result `{stage}.{key}` is not a list of numbers"))?;
    // A per-channel result is a list of lists: plot the first channel.
    let items = match items.first() {
        Some(Value::Array(first)) => first.clone(),
        _ => items.clone(),
    };
    Ok(items.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
}

/// Draws one plot; the error says what is missing.
pub fn draw(p: &PlotPlan, stage: &str, results: &Map<String, Value>, last: Option<&[f64]>) -> Result<PathBuf, String> {
    let s = &p.spec;
    let title = s.title.clone().unwrap_or_else(|| stage.to_string());
    let plot = match s.kind {
        PlotKind::Histogram => {
            let y = s.y.first().map(String::as_str).unwrap_or("counts");
            let heights = list(results, y, stage)?;
            let edges = list(results, s.x.as_deref().unwrap_or("edges"), stage)?;
            let errors = s.errors.as_deref().map(|e| list(results, e, stage)).transpose()?;
            plexus_plot::histogram(&heights, &edges, errors.as_deref()).y_label(y.to_string()).x_label("value")
        }
        PlotKind::Spectrum => {
            let power = last.ok_or_else(|| format!("stage `{stage}` sent no frame to plot"))?;
            let radius: Vec<f64> = (0..power.len()).map(|i| i as f64).collect();
            plexus_plot::power_spectrum(&radius, power)
        }
        PlotKind::Series => {
            let keys: Vec<String> = if s.y.is_empty() { vec!["mean".to_string()] } else { s.y.clone() };
            let series =
                keys.iter().map(|k| list(results, k, stage).map(|v| (k.clone(), v))).collect::<Result<Vec<_>, _>>()?;
            let n = series.first().map(|(_, v)| v.len()).unwrap_or(0);
            let index = match &s.x {
                Some(x) => list(results, x, stage)?,
                None if results.contains_key("index") => list(results, "index", stage)?,
                None => (0..n).map(|i| i as f64).collect(),
            };
            plexus_plot::time_series(&index, &series)
        }
    };
    let plot = plot.title(title);
    if let Some(dir) = s.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    }
    plot.save_png(&s.path).map_err(|e| e.to_string())?;
    Ok(s.path.clone())
}
