//! Rendering known plots and checking specific pixels and the layout.

use plexus_plot::plot::{BACKGROUND, GRID, INK, LEGEND_BORDER};
use plexus_plot::{histogram, power_spectrum, time_series, Plot, Rect, Series, PALETTE};

/// Pixel `(floor(px), floor(py))`.
fn at(img: &plexus_plot::Rgb8Image, px: f64, py: f64) -> [u8; 3] {
    img.pixel(px.floor() as u32, py.floor() as u32)
}

#[test]
fn histogram_bars_and_error_bar_caps() {
    // Two bins, fixed ranges so the geometry is known; error bars ±0.5 and ±1.
    let plot = histogram(&[2.0, 4.0], &[0.0, 1.0, 2.0], Some(&[0.5, 1.0])).x_range(0.0, 2.0).y_range(0.0, 6.0);
    let (img, f) = plot.render_with_frame().unwrap();
    let (x, y) = (f.x, f.y);
    let bar = PALETTE[0];

    // Data corners map onto the pixel centres of the frame.
    assert_eq!(x.to_px(0.0), f.area.x0 as f64 + 0.5);
    assert_eq!(x.to_px(2.0), f.area.x1 as f64 - 0.5);
    assert_eq!(y.to_px(0.0), f.area.y1 as f64 - 0.5);
    assert_eq!(y.to_px(6.0), f.area.y0 as f64 + 0.5);

    // Inside the first bar (away from its centre, where the error bar is).
    assert_eq!(at(&img, x.to_px(0.2), y.to_px(1.3)), bar);
    assert_eq!(at(&img, x.to_px(1.8), y.to_px(3.3)), bar);
    // Above the bars: background (0.2 and 4.7 are not on grid lines).
    assert_eq!(at(&img, x.to_px(0.2), y.to_px(4.7)), BACKGROUND);
    assert_eq!(at(&img, x.to_px(1.2), y.to_px(5.7)), BACKGROUND);
    // Outside the plot area.
    assert_eq!(img.pixel(f.area.x1 as u32 + 2, f.area.y0 as u32 + 10), BACKGROUND);
    assert_eq!(img.pixel(f.area.x0 as u32 - 1, f.area.y0 as u32 + 10), BACKGROUND);
    // The frame.
    assert_eq!(img.pixel(f.area.x0 as u32, f.area.y0 as u32 + 10), INK);

    // Second bar: error bar from 3 to 5 at x = 1.5, caps 2 px thick (text scale 2).
    let cx = x.to_px(1.5);
    // The upper cap starts at row floor(y) - (lw - 1) / 2 = floor(y) for lw = 2.
    let top_cap = y.to_px(5.0).floor() as i64;
    let cap_rows = [top_cap, top_cap + 1];
    for r in cap_rows {
        for dx in [-5.0, -2.0, 0.0, 2.0, 5.0] {
            assert_eq!(img.pixel((cx + dx).floor() as u32, r as u32), INK, "upper cap at dx {dx}, row {r}");
        }
    }
    // Just above the upper cap: background; beside the stem below the cap: background.
    assert_eq!(img.pixel(cx.floor() as u32 + 3, top_cap as u32 - 1), BACKGROUND);
    assert_eq!(img.pixel(cx.floor() as u32 + 3, top_cap as u32 + 3), BACKGROUND);
    // The stem between the caps, above the bar top (4) and inside the bar.
    assert_eq!(at(&img, cx, y.to_px(4.5)), INK);
    assert_eq!(at(&img, cx, y.to_px(3.5)), INK);
    // The lower cap (at 3) is drawn over the bar; beyond its ends the bar shows.
    let low = y.to_px(3.0).floor();
    assert_eq!(at(&img, cx + 4.0, low), INK);
    assert_eq!(at(&img, cx + 12.0, low), bar);
}

#[test]
fn bar_outlines_are_shared_between_neighbours() {
    let plot = histogram(&[1.0, 1.0], &[0.0, 1.0, 2.0], None).x_range(0.0, 2.0).y_range(0.0, 2.0);
    let (img, f) = plot.render_with_frame().unwrap();
    let edge = PALETTE[0].map(|v| (v as f64 * 0.65).round() as u8);
    let mid = (f.x.to_px(1.0) - 0.5).ceil();
    let row = f.y.to_px(0.5);
    assert_eq!(at(&img, mid, row), edge);
    assert_eq!(at(&img, mid - 1.0, row), PALETTE[0]);
    assert_eq!(at(&img, mid + 1.0, row), PALETTE[0]);
}

#[test]
fn lines_points_and_legend() {
    let x: Vec<f64> = (0..=10).map(f64::from).collect();
    let plot = Plot::new("two")
        .series(Series::line("flat", x.clone(), vec![1.0; 11]))
        .series(Series::points("dots", vec![2.0, 8.0], vec![3.0, 3.0], Some(vec![0.5, f64::NAN])))
        .x_range(0.0, 10.0)
        .y_range(0.0, 4.0);
    let (img, f) = plot.render_with_frame().unwrap();
    // The line row through y = 1 is fully covered, at any x away from the legend.
    assert_eq!(at(&img, f.x.to_px(5.3), f.y.to_px(1.0)), PALETTE[0]);
    // Marker centres are the second colour.
    assert_eq!(at(&img, f.x.to_px(2.0), f.y.to_px(3.0)), PALETTE[1]);
    assert_eq!(at(&img, f.x.to_px(8.0), f.y.to_px(3.0)), PALETTE[1]);
    // The first point has an error bar up to 3.5 (a darker stem), the second none.
    let stem = PALETTE[1].map(|v| (v as f64 * 0.8).round() as u8);
    assert_eq!(at(&img, f.x.to_px(2.0), f.y.to_px(3.4)), stem);
    // (x = 8 is on a grid line.)
    assert_eq!(at(&img, f.x.to_px(8.0), f.y.to_px(3.4)), GRID);
    // A legend, inside the plot area, outlined.
    let legend = f.legend.expect("two series get a legend");
    assert!(legend.x0 > f.area.x0 && legend.x1 < f.area.x1 && legend.y0 > f.area.y0 && legend.y1 < f.area.y1);
    assert_eq!(img.pixel(legend.x0 as u32, legend.y0 as u32 + 3), LEGEND_BORDER);
    // It avoided the points (top) and took a bottom corner... or any corner free of data.
    for (px, py) in [(2.0, 3.0), (8.0, 3.0)] {
        assert!(!legend.contains(f.x.to_px(px) as i64, f.y.to_px(py) as i64));
    }
}

#[test]
fn single_series_has_no_legend() {
    let (img, f) = histogram(&[1.0, 2.0], &[0.0, 1.0, 2.0], None).render_with_frame().unwrap();
    assert!(f.legend.is_none());
    assert!(!img.as_raw().chunks(3).any(|p| p == LEGEND_BORDER));
}

#[test]
fn every_series_gets_its_own_colour() {
    let idx: Vec<f64> = (0..50).map(f64::from).collect();
    let series: Vec<(String, Vec<f64>)> =
        (0..4).map(|k| (format!("s{k}"), idx.iter().map(|i| i * (k + 1) as f64).collect())).collect();
    let img = time_series(&idx, &series).render().unwrap();
    for colour in &PALETTE[..4] {
        assert!(img.as_raw().chunks(3).any(|p| p == colour), "{colour:?} missing");
    }
    assert!(!img.as_raw().chunks(3).any(|p| p == PALETTE[4]));
}

#[test]
fn non_finite_values_are_skipped() {
    let x = vec![0.0, 1.0, 2.0, 3.0, 4.0];
    let y = vec![1.0, f64::NAN, 2.0, f64::INFINITY, 1.0];
    let (img, f) = Plot::new("gaps").series(Series::line("y", x, y)).render_with_frame().unwrap();
    // y range fitted to the finite values 1..2 only.
    assert_eq!((f.y.lo, f.y.hi), (0.8, 2.2));
    // Nothing is drawn at x = 0.5 (the segment 0 → 1 is broken by the NaN).
    let col = f.x.to_px(0.5).floor() as u32;
    for row in f.area.y0 + 1..f.area.y1 - 1 {
        let p = img.pixel(col, row as u32);
        assert!(p == BACKGROUND || p == GRID, "row {row}: {p:?}");
    }
}

#[test]
fn log_axes_round_out_to_decades() {
    let r: Vec<f64> = (1..=100).map(f64::from).collect();
    let p: Vec<f64> = r.iter().map(|r| 3e4 / (r * r)).collect();
    let (_, f) = power_spectrum(&r, &p).render_with_frame().unwrap();
    assert_eq!((f.y.lo, f.y.hi), (1.0, 1e5));
    assert_eq!(f.y_ticks, vec![1.0, 1e1, 1e2, 1e3, 1e4, 1e5]);
    // Decades are evenly spaced in pixels.
    let d: Vec<f64> = f.y_ticks.windows(2).map(|w| f.y.to_px(w[0]) - f.y.to_px(w[1])).collect();
    assert!(d.iter().all(|v| (v - d[0]).abs() < 1e-9), "{d:?}");

    let (_, f) = Plot::new("log x")
        .log_x(true)
        .series(Series::line("", vec![0.01, 1000.0], vec![0.0, 1.0]))
        .render_with_frame()
        .unwrap();
    assert_eq!(f.x_ticks, vec![0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]);
}

/// No two pieces of text touch, and all text is inside the image, over a
/// spread of sizes, scales and data ranges.
#[test]
fn text_never_overlaps() {
    let (mut rendered, mut total) = (0, 0);
    let ranges = [(0.0, 1.0), (-3.7, 12.2), (1013.0, 1017.5), (0.0, 2.5e7), (-1e-6, 3e-6), (1e-3, 1e9)];
    for &(w, h) in &[(160, 120), (320, 200), (640, 400), (800, 500), (1200, 300)] {
        for scale in [1, 2, 3] {
            for &(lo, hi) in &ranges {
                for log in [false, true] {
                    if log && lo <= 0.0 {
                        continue;
                    }
                    let x = vec![lo, (lo + hi) / 2.0, hi];
                    let plot = Plot::new("title of the plot")
                        .x_label("x label (µm)")
                        .y_label("y label")
                        .size(w, h)
                        .text_scale(scale)
                        .log_x(log)
                        .log_y(log)
                        .series(Series::line("a", x.clone(), x.clone()))
                        .series(Series::points("b", x.clone(), x.clone(), None));
                    total += 1;
                    let Ok((img, f)) = plot.render_with_frame() else {
                        // Too small for this text scale is a clean error, checked elsewhere.
                        continue;
                    };
                    rendered += 1;
                    let ctx = format!("{w}x{h} scale {scale} range {lo}..{hi} log {log}");
                    let full = Rect::new(0, 0, img.width() as i64, img.height() as i64);
                    for (i, a) in f.text_boxes.iter().enumerate() {
                        assert!(
                            a.x0 >= full.x0 && a.y0 >= full.y0 && a.x1 <= full.x1 && a.y1 <= full.y1,
                            "{ctx}: text {a:?} outside the image"
                        );
                        // Tick labels stay outside the plot area; legend text inside the legend.
                        if f.legend.is_none_or(|l| !l.overlaps(a)) {
                            assert!(!a.overlaps(&f.area), "{ctx}: text {a:?} over the plot area {:?}", f.area);
                        }
                        for b in &f.text_boxes[i + 1..] {
                            assert!(!a.overlaps(b), "{ctx}: text {a:?} overlaps {b:?}");
                        }
                    }
                }
            }
        }
    }
    // Only the tiniest images at the largest text scale are refused.
    assert!(rendered * 10 >= total * 8, "{rendered} of {total} rendered");
}
