//! Golden images: render known plots and compare decoded pixels with the PNGs
//! in `tests/golden/`. Run with `REGENERATE=1` to rewrite them (then look at
//! them before committing).
//!
//! The comparison allows a handful of pixels to differ slightly, so that a
//! different libm (`log10`, `powf`) moving an anti-aliased edge by a rounding
//! step does not fail the test; anything visible does.

use std::path::{Path, PathBuf};

use plexus_plot::{histogram, power_spectrum, read_png, time_series, Plot, Series};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn check(name: &str, plot: &Plot) {
    let img = plot.render().unwrap();
    let path = golden_dir().join(format!("{name}.png"));
    if std::env::var_os("REGENERATE").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        plot.save_png(&path).unwrap();
        return;
    }
    let want = read_png(&path).unwrap_or_else(|e| panic!("{e} (run with REGENERATE=1 to create it)"));
    assert_eq!((img.width(), img.height()), (want.width(), want.height()), "{name}: size");
    let differ = img
        .as_raw()
        .chunks(3)
        .zip(want.as_raw().chunks(3))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 2))
        .count();
    let allowed = (img.width() * img.height()) as usize / 1000;
    if differ > allowed {
        let actual = std::env::temp_dir().join(format!("plexus-plot-{name}-actual.png"));
        plexus_plot::write_png(&img, &actual).unwrap();
        panic!("{name}: {differ} pixels differ from {} (allowed {allowed}); got {}", path.display(), actual.display());
    }
}

/// Mean histogram of 8-bit grey values over a set of frames, ± one standard deviation.
#[test]
fn histogram_with_error_bars() {
    let edges: Vec<f64> = (0..=16).map(|i| i as f64 * 16.0).collect();
    let counts: Vec<f64> = (0..16)
        .map(|i| {
            let t = (i as f64 - 6.5) / 2.5;
            900.0 * (-t * t / 2.0).exp() + 60.0
        })
        .collect();
    let std: Vec<f64> = counts.iter().map(|c| 2.0 * c.sqrt()).collect();
    let plot = histogram(&counts, &edges, Some(&std))
        .title("grey values, mean of 24 frames (± std)")
        .x_label("grey value")
        .y_label("pixels per bin")
        .size(560, 360);
    check("histogram", &plot);
}

/// A radially averaged power spectrum falling as r^-3 over a noise floor.
#[test]
fn power_spectrum_log_y() {
    let r: Vec<f64> = (1..=128).map(f64::from).collect();
    let p: Vec<f64> = r.iter().map(|r| 2e6 * r.powi(-3) * (1.0 + 0.25 * (r * 0.5).sin()) + 0.5).collect();
    let plot = power_spectrum(&r, &p).title("power spectrum of frame 12").x_label("radius (1/px)").size(560, 360);
    check("power_spectrum", &plot);
}

/// Three trend lines, one with a gap, and a legend.
#[test]
fn time_series_three_lines() {
    let idx: Vec<f64> = (0..200).map(f64::from).collect();
    let mean: Vec<f64> = idx.iter().map(|i| 100.0 + 4.0 * (i * 0.06).sin() + i * 0.02).collect();
    let median: Vec<f64> = idx.iter().map(|i| 98.0 + 2.0 * (i * 0.15).cos()).collect();
    let mut min: Vec<f64> = idx.iter().map(|i| 93.0 + i * 0.025).collect();
    min[120] = f64::NAN;
    let plot = time_series(&idx, &[("mean", &mean), ("median", &median), ("min", &min)])
        .title("frame statistics")
        .x_label("frame")
        .y_label("intensity")
        .size(560, 360);
    check("time_series", &plot);
}

/// Points with error bars on log-log axes, at text scale 1.
#[test]
fn points_log_log_small_text() {
    let x: Vec<f64> = (0..12).map(|i| 10f64.powf(i as f64 * 0.35 - 1.0)).collect();
    let y: Vec<f64> = x.iter().map(|x| 3.0 * x.powf(1.5)).collect();
    let e: Vec<f64> = y.iter().map(|y| 0.3 * y).collect();
    let fit: Vec<f64> = x.iter().map(|x| 3.0 * x.powf(1.5)).collect();
    let plot = Plot::new("mean squared displacement")
        .x_label("lag (s)")
        .y_label("msd (µm²)")
        .log_x(true)
        .log_y(true)
        .size(400, 280)
        .text_scale(1)
        .series(Series::points("measured", x.clone(), y, Some(e)))
        .series(Series::line("fit ~ t^1.5", x, fit));
    check("points_log_log", &plot);
}
