//! The [`Plot`] description, its [`Series`], validation and rendering.
//!
//! A plot is plain data: build it with struct syntax or the builder methods,
//! then [`Plot::render`] it to an [`Rgb8Image`] or [`Plot::save_png`] it.
//! Nothing is checked until then; every problem with the data comes back as a
//! [`PlotError`] naming the series, never as a panic.
//!
//! Layout, from the outside in: title on top, axis labels on the left
//! (rotated) and bottom, tick labels, outward tick marks, a 1-px frame around
//! the plot area and light grid lines at the major ticks. Series are drawn in
//! order, clipped to the plot area, in the colours of [`PALETTE`]; with more
//! than one series a legend goes into a free corner of the plot area, or,
//! when every corner would hide data, to the right of it.

use std::path::Path;

use crate::axis::{self, AxisMap, Label, LogTicks, Scale};
use crate::error::PlotError;
use crate::font::{self, ADVANCE, CAP_H, GLYPH_H};
use crate::raster::{Canvas, Rect, Rgb, Rgb8Image};

/// Series colours, used in order and repeated (matplotlib's "tab10").
pub const PALETTE: [Rgb; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// Page background.
pub const BACKGROUND: Rgb = [255, 255, 255];
/// Text, frame, ticks and histogram error bars.
pub const INK: Rgb = [34, 34, 34];
/// Grid lines.
pub const GRID: Rgb = [228, 228, 228];
/// Legend box outline.
pub const LEGEND_BORDER: Rgb = [170, 170, 170];

/// Smallest image accepted by [`Plot::render`].
pub const MIN_SIZE: (u32, u32) = (160, 120);

/// One data set in a plot.
#[derive(Clone, Debug, PartialEq)]
pub enum Series {
    /// A polyline through `(x[i], y[i])`; a non-finite value breaks the line.
    Line {
        /// Legend text (and the name used in errors).
        label: String,
        /// Abscissae.
        x: Vec<f64>,
        /// Ordinates, same length as `x`.
        y: Vec<f64>,
    },
    /// Histogram bars: bar `i` spans `edges[i]..edges[i+1]` with height
    /// `heights[i]`, and an error bar `± errors[i]` with caps when given.
    /// Non-finite heights leave a gap; non-finite or negative errors draw no
    /// error bar.
    Bars {
        /// Legend text (and the name used in errors).
        label: String,
        /// Bin edges, strictly increasing, one more than `heights`.
        edges: Vec<f64>,
        /// Bar heights (counts, densities, means…).
        heights: Vec<f64>,
        /// Half-lengths of the error bars (e.g. standard deviations).
        errors: Option<Vec<f64>>,
    },
    /// Markers at `(x[i], y[i])`, with vertical error bars `± errors[i]` when given.
    Points {
        /// Legend text (and the name used in errors).
        label: String,
        /// Abscissae.
        x: Vec<f64>,
        /// Ordinates, same length as `x`.
        y: Vec<f64>,
        /// Half-lengths of the vertical error bars.
        errors: Option<Vec<f64>>,
    },
}

impl Series {
    /// A [`Series::Line`].
    pub fn line(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series::Line { label: label.into(), x, y }
    }

    /// A [`Series::Bars`].
    pub fn bars(label: impl Into<String>, edges: Vec<f64>, heights: Vec<f64>, errors: Option<Vec<f64>>) -> Self {
        Series::Bars { label: label.into(), edges, heights, errors }
    }

    /// A [`Series::Points`].
    pub fn points(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, errors: Option<Vec<f64>>) -> Self {
        Series::Points { label: label.into(), x, y, errors }
    }

    /// The legend text.
    pub fn label(&self) -> &str {
        match self {
            Series::Line { label, .. } | Series::Bars { label, .. } | Series::Points { label, .. } => label,
        }
    }
}

/// A 2-D plot: axes, labels and series.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// Title above the plot area (none when empty).
    pub title: String,
    /// Label under the x axis (none when empty).
    pub x_label: String,
    /// Label left of the y axis, reading upwards (none when empty).
    pub y_label: String,
    /// Logarithmic x axis (all x values must be positive).
    pub log_x: bool,
    /// Logarithmic y axis (all y values must be positive).
    pub log_y: bool,
    /// Image size in pixels, `(width, height)`.
    pub size: (u32, u32),
    /// What to draw, in drawing order (later series on top).
    pub series: Vec<Series>,
    /// Fixed x range; `None` fits the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; `None` fits the data and rounds out to whole ticks.
    pub y_range: Option<(f64, f64)>,
    /// Size of a font pixel in image pixels (text is 7·scale px tall). Default 2.
    pub text_scale: u32,
    /// Light grid lines at the major ticks. Default on.
    pub grid: bool,
}

impl Default for Plot {
    fn default() -> Self {
        Plot {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            log_x: false,
            log_y: false,
            size: (800, 500),
            series: Vec::new(),
            x_range: None,
            y_range: None,
            text_scale: 2,
            grid: true,
        }
    }
}

impl Plot {
    /// An empty 800×500 plot with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Plot { title: title.into(), ..Plot::default() }
    }

    /// Sets the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the x-axis label.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Sets the y-axis label.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Logarithmic (or linear) x axis.
    pub fn log_x(mut self, on: bool) -> Self {
        self.log_x = on;
        self
    }

    /// Logarithmic (or linear) y axis.
    pub fn log_y(mut self, on: bool) -> Self {
        self.log_y = on;
        self
    }

    /// Sets the image size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Appends a series.
    pub fn series(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    /// Fixes the x range.
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    /// Fixes the y range.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    /// Sets the text scale (1 = 7-px capitals, 2 = 14-px, …).
    pub fn text_scale(mut self, scale: u32) -> Self {
        self.text_scale = scale.max(1);
        self
    }

    /// Turns grid lines on or off.
    pub fn grid(mut self, on: bool) -> Self {
        self.grid = on;
        self
    }

    /// Checks the data and draws the plot.
    pub fn render(&self) -> Result<Rgb8Image, PlotError> {
        Ok(self.render_with_frame()?.0)
    }

    /// Renders the plot and also returns where things went: the plot area,
    /// the data → pixel maps, the ticks and the box of every piece of text.
    pub fn render_with_frame(&self) -> Result<(Rgb8Image, Frame), PlotError> {
        Renderer::new(self)?.draw()
    }

    /// Renders and writes the plot as an 8-bit RGB PNG.
    pub fn save_png(&self, path: &Path) -> Result<(), PlotError> {
        crate::png::write_png(&self.render()?, path)
    }

    /// Renders the plot and encodes it as PNG bytes.
    pub fn to_png_bytes(&self) -> Result<Vec<u8>, PlotError> {
        let mut out = Vec::new();
        crate::png::encode_png(&self.render()?, &mut out)?;
        Ok(out)
    }
}

/// Where [`Plot::render_with_frame`] put things, in image pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The plot area, frame included: series are clipped to it.
    pub area: Rect,
    /// x data → pixel column (continuous; pixel `i` covers `[i, i+1)`).
    pub x: AxisMap,
    /// y data → pixel row (continuous, growing downwards).
    pub y: AxisMap,
    /// Major tick values on the x axis.
    pub x_ticks: Vec<f64>,
    /// Major tick values on the y axis.
    pub y_ticks: Vec<f64>,
    /// Ink bounds of every text run: tick labels, axis labels, title, legend entries.
    pub text_boxes: Vec<Rect>,
    /// The legend box, when there is one.
    pub legend: Option<Rect>,
}

/// Bars with error bars, e.g. the mean histogram over a set with ± one standard deviation.
///
/// `edges` has one more entry than `counts`; `errors`, when given, one per bin.
/// The axes are labelled "value" and "count"; change them with the builder methods.
pub fn histogram(counts: &[f64], edges: &[f64], errors: Option<&[f64]>) -> Plot {
    Plot::new("histogram").x_label("value").y_label("count").series(Series::bars(
        "histogram",
        edges.to_vec(),
        counts.to_vec(),
        errors.map(<[f64]>::to_vec),
    ))
}

/// A radially averaged power spectrum: a line on a log y axis.
pub fn power_spectrum(radius: &[f64], power: &[f64]) -> Plot {
    Plot::new("power spectrum").x_label("radius").y_label("power").log_y(true).series(Series::line(
        "power",
        radius.to_vec(),
        power.to_vec(),
    ))
}

/// One line per `(label, values)` against a shared `index` (frame number, time…).
pub fn time_series<S: AsRef<str>, V: AsRef<[f64]>>(index: &[f64], series: &[(S, V)]) -> Plot {
    let mut p = Plot::new("time series").x_label("index").y_label("value");
    for (label, values) in series {
        p.series.push(Series::line(label.as_ref(), index.to_vec(), values.as_ref().to_vec()));
    }
    p
}

/// How a series is called in errors: `"label"`, or `#n` when unlabelled.
fn series_name(i: usize, s: &Series) -> String {
    if s.label().is_empty() {
        format!("#{}", i + 1)
    } else {
        format!("{:?}", s.label())
    }
}

/// Running min/max of finite values.
#[derive(Clone, Copy, Debug)]
struct Extent {
    lo: f64,
    hi: f64,
}

impl Extent {
    fn new() -> Self {
        Extent { lo: f64::INFINITY, hi: f64::NEG_INFINITY }
    }
    fn add(&mut self, v: f64) {
        if v.is_finite() {
            self.lo = self.lo.min(v);
            self.hi = self.hi.max(v);
        }
    }
    fn is_empty(&self) -> bool {
        self.lo > self.hi
    }
}

/// Checks one series against the axes and widens the data extents.
fn check_series(
    i: usize,
    s: &Series,
    log_x: bool,
    log_y: bool,
    xe: &mut Extent,
    ye: &mut Extent,
) -> Result<(), PlotError> {
    let name = || series_name(i, s);
    let non_positive = |axis, index, value| PlotError::NonPositiveOnLogAxis { series: name(), axis, index, value };
    match s {
        Series::Line { x, y, .. } | Series::Points { x, y, .. } => {
            let errors = match s {
                Series::Points { errors, .. } => errors.as_deref(),
                _ => None,
            };
            if x.len() != y.len() {
                return Err(PlotError::LengthMismatch { series: name(), what: "y", expected: x.len(), found: y.len() });
            }
            if x.is_empty() {
                return Err(PlotError::EmptySeries { series: name() });
            }
            if let Some(e) = errors {
                if e.len() != y.len() {
                    return Err(PlotError::LengthMismatch {
                        series: name(),
                        what: "errors",
                        expected: y.len(),
                        found: e.len(),
                    });
                }
            }
            let mut finite = 0;
            for (j, (&xv, &yv)) in x.iter().zip(y).enumerate() {
                if !(xv.is_finite() && yv.is_finite()) {
                    continue;
                }
                if log_x && xv <= 0.0 {
                    return Err(non_positive('x', j, xv));
                }
                if log_y && yv <= 0.0 {
                    return Err(non_positive('y', j, yv));
                }
                finite += 1;
                xe.add(xv);
                ye.add(yv);
                if let Some(&ev) = errors.and_then(|e| e.get(j)) {
                    if ev.is_finite() && ev > 0.0 {
                        ye.add(yv + ev);
                        if !log_y || yv - ev > 0.0 {
                            ye.add(yv - ev);
                        }
                    }
                }
            }
            if finite == 0 {
                return Err(PlotError::NoFiniteData { series: name() });
            }
        }
        Series::Bars { edges, heights, errors, .. } => {
            if heights.is_empty() {
                return Err(PlotError::EmptySeries { series: name() });
            }
            if edges.len() != heights.len() + 1 {
                return Err(PlotError::LengthMismatch {
                    series: name(),
                    what: "edges",
                    expected: heights.len() + 1,
                    found: edges.len(),
                });
            }
            if let Some(e) = errors {
                if e.len() != heights.len() {
                    return Err(PlotError::LengthMismatch {
                        series: name(),
                        what: "errors",
                        expected: heights.len(),
                        found: e.len(),
                    });
                }
            }
            for (j, &e) in edges.iter().enumerate() {
                if !e.is_finite() || (j > 0 && e <= edges[j - 1]) {
                    return Err(PlotError::BadEdges { series: name(), index: j, value: e });
                }
                if log_x && e <= 0.0 {
                    return Err(non_positive('x', j, e));
                }
            }
            let mut finite = 0;
            for (j, &h) in heights.iter().enumerate() {
                if !h.is_finite() {
                    continue;
                }
                if log_y && h <= 0.0 {
                    return Err(non_positive('y', j, h));
                }
                finite += 1;
                ye.add(h);
                if let Some(&ev) = errors.as_ref().and_then(|e| e.get(j)) {
                    if ev.is_finite() && ev > 0.0 {
                        ye.add(h + ev);
                        if !log_y || h - ev > 0.0 {
                            ye.add(h - ev);
                        }
                    }
                }
            }
            if finite == 0 {
                return Err(PlotError::NoFiniteData { series: name() });
            }
            xe.add(edges[0]);
            xe.add(edges[edges.len() - 1]);
            if !log_y {
                ye.add(0.0);
            }
        }
    }
    Ok(())
}

fn check_range(axis: char, r: (f64, f64), log: bool) -> Result<(f64, f64), PlotError> {
    let (lo, hi) = r;
    let reason = if !(lo.is_finite() && hi.is_finite()) {
        ": bounds must be finite"
    } else if lo >= hi {
        ": lower bound must be below upper bound"
    } else if log && lo <= 0.0 {
        ": a log axis needs positive bounds"
    } else {
        return Ok(r);
    };
    Err(PlotError::InvalidRange { axis, lo, hi, reason })
}

/// Widens a zero-width data range so that it can be drawn.
fn widen(e: Extent, scale: Scale) -> (f64, f64) {
    if e.lo < e.hi {
        return (e.lo, e.hi);
    }
    let v = e.lo;
    match scale {
        Scale::Log => (v / 10f64.sqrt(), v * 10f64.sqrt()),
        Scale::Linear if v == 0.0 => (-1.0, 1.0),
        Scale::Linear => (v - v.abs() * 0.1, v + v.abs() * 0.1),
    }
}

/// Ticks, labels and range of one axis.
#[derive(Clone, Debug)]
struct AxisTicks {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    labels: Vec<Label>,
    minor: Vec<f64>,
}

fn linear_labels(ticks: &[f64], step: axis::Step) -> Vec<Label> {
    let max_abs = ticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    ticks.iter().map(|&v| Label::Text(axis::format_tick(v, step, max_abs))).collect()
}

/// Ticks for a log axis on `[lo, hi]`, with minor ticks at 2…9 × 10^k when every decade is labelled.
fn log_axis(lo: f64, hi: f64, max: usize) -> AxisTicks {
    let set = axis::log_tick_set(lo, hi, max);
    let ticks = set.values();
    let mut minor = Vec::new();
    let labels = match &set {
        LogTicks::Decades(d) => {
            if d.windows(2).all(|w| w[1] - w[0] == 1) {
                for k in (lo.log10().floor() as i32)..=(hi.log10().ceil() as i32) {
                    for m in 2..=9 {
                        let v = m as f64 * axis::pow10(k);
                        if v >= lo && v <= hi {
                            minor.push(v);
                        }
                    }
                }
            }
            d.iter().map(|&k| Label::Power(k)).collect()
        }
        LogTicks::Values(v, Some(step)) => linear_labels(v, *step),
        LogTicks::Values(v, None) => v.iter().map(|&x| Label::Text(axis::format_plain(x))).collect(),
    };
    AxisTicks { lo, hi, ticks, labels, minor }
}

/// Ticks inside a fixed range.
fn tight_axis(lo: f64, hi: f64, scale: Scale, max: usize) -> AxisTicks {
    match scale {
        Scale::Linear => {
            let (ticks, step) = axis::linear_ticks_with_step(lo, hi, max);
            let labels = linear_labels(&ticks, step);
            AxisTicks { lo, hi, ticks, labels, minor: Vec::new() }
        }
        Scale::Log => log_axis(lo, hi, max),
    }
}

/// Ticks for a data range rounded outwards to whole ticks (whole decades on log axes).
fn loose_axis(lo: f64, hi: f64, scale: Scale, max: usize) -> AxisTicks {
    match scale {
        Scale::Linear => {
            let step = axis::nice_step(hi - lo, max);
            let (lo, hi) = axis::loose_bounds(lo, hi, step);
            let s = step.value();
            let ticks: Vec<f64> =
                ((lo / s).round() as i64..=(hi / s).round() as i64).map(|k| step.multiple(k)).collect();
            let labels = linear_labels(&ticks, step);
            AxisTicks { lo, hi, ticks, labels, minor: Vec::new() }
        }
        Scale::Log => {
            let lo = axis::pow10((lo.log10() + 1e-9).floor() as i32);
            let hi = axis::pow10((hi.log10() - 1e-9).ceil() as i32);
            log_axis(lo, hi, max)
        }
    }
}

/// Pads a data range by `frac` of its span on both sides (in the scale's space);
/// a linear bound at exactly zero with all data on one side stays put (bar baselines).
fn pad(lo: f64, hi: f64, scale: Scale, frac: f64) -> (f64, f64) {
    match scale {
        Scale::Linear => {
            let d = (hi - lo) * frac;
            (if lo == 0.0 { lo } else { lo - d }, if hi == 0.0 { hi } else { hi + d })
        }
        Scale::Log => {
            let (a, b) = (lo.log10(), hi.log10());
            let d = (b - a) * frac;
            (10f64.powf(a - d), 10f64.powf(b + d))
        }
    }
}

/// Everything [`Plot::render`] works out before drawing.
struct Renderer<'a> {
    plot: &'a Plot,
    s: u32,
    x_scale: Scale,
    y_scale: Scale,
    x_data: (f64, f64),
    y_data: (f64, f64),
    y_fixed: bool,
}

impl<'a> Renderer<'a> {
    fn new(plot: &'a Plot) -> Result<Self, PlotError> {
        let (w, h) = plot.size;
        if w < MIN_SIZE.0 || h < MIN_SIZE.1 {
            return Err(PlotError::TooSmall { width: w, height: h, min_width: MIN_SIZE.0, min_height: MIN_SIZE.1 });
        }
        if plot.series.is_empty() {
            return Err(PlotError::NoSeries);
        }
        let x_scale = if plot.log_x { Scale::Log } else { Scale::Linear };
        let y_scale = if plot.log_y { Scale::Log } else { Scale::Linear };
        let (mut xe, mut ye) = (Extent::new(), Extent::new());
        for (i, s) in plot.series.iter().enumerate() {
            check_series(i, s, plot.log_x, plot.log_y, &mut xe, &mut ye)?;
        }
        debug_assert!(!xe.is_empty() && !ye.is_empty());
        let x_data = match plot.x_range {
            Some(r) => check_range('x', r, plot.log_x)?,
            None => {
                let (lo, hi) = widen(xe, x_scale);
                // Markers would sit on the frame without a margin; lines and bars fill the width.
                let points = plot.series.iter().any(|s| matches!(s, Series::Points { .. }));
                if points {
                    pad(lo, hi, x_scale, 0.04)
                } else {
                    (lo, hi)
                }
            }
        };
        let y_data = match plot.y_range {
            Some(r) => check_range('y', r, plot.log_y)?,
            None => {
                let (lo, hi) = widen(ye, y_scale);
                // Headroom so that nothing touches the frame; log axes round out
                // to whole decades, which is headroom enough.
                match y_scale {
                    Scale::Linear => pad(lo, hi, y_scale, 0.03),
                    Scale::Log => (lo, hi),
                }
            }
        };
        Ok(Renderer {
            plot,
            s: plot.text_scale.max(1),
            x_scale,
            y_scale,
            x_data,
            y_data,
            y_fixed: plot.y_range.is_some(),
        })
    }

    fn sup_scale(&self) -> u32 {
        (self.s - 1).max(1)
    }

    /// How far a power-of-ten label's exponent rises above the digits.
    fn raise(&self) -> u32 {
        (CAP_H * self.sup_scale()).div_ceil(2)
    }

    fn label_width(&self, l: &Label) -> u32 {
        match l {
            Label::Text(t) => font::text_width(t, self.s),
            Label::Power(k) => {
                font::text_width("10", self.s) + self.s + font::text_width(&k.to_string(), self.sup_scale())
            }
        }
    }

    fn draw_label(&self, c: &mut Canvas, x: i64, y: i64, l: &Label) {
        match l {
            Label::Text(t) => {
                c.text(x, y, t, self.s, INK);
            }
            Label::Power(k) => {
                let adv = c.text(x, y, "10", self.s, INK);
                let ex = x + adv;
                c.text(ex, y - self.raise() as i64, &k.to_string(), self.sup_scale(), INK);
            }
        }
    }

    /// Draws with the legend inside the plot area unless that would hide data,
    /// in which case the plot area shrinks to make room for it on the right.
    fn draw(&self) -> Result<(Rgb8Image, Frame), PlotError> {
        let (img, frame, hidden) = self.draw_with(false)?;
        if hidden > 0 {
            if let Ok((img, frame, _)) = self.draw_with(true) {
                return Ok((img, frame));
            }
        }
        Ok((img, frame))
    }

    fn draw_with(&self, legend_outside: bool) -> Result<(Rgb8Image, Frame, usize), PlotError> {
        let p = self.plot;
        let s = self.s as i64;
        let (w, h) = (p.size.0 as i64, p.size.1 as i64);
        let pad = 4 * s + 4;
        let gap = 2 * s + 2;
        let tick_len = 3 * s + 2;
        let cap = (CAP_H * self.s) as i64;
        let text_h = (GLYPH_H * self.s) as i64;

        // Below the title, leave room for the top y tick label, which is centred on the frame.
        let top = pad + if p.title.is_empty() { 0 } else { text_h + gap.max(cap / 2 + s) };
        let x_ticks_have_powers = self.x_scale == Scale::Log;
        let x_raise = if x_ticks_have_powers { self.raise() as i64 } else { 0 };
        let bottom = tick_len + gap + x_raise + cap + pad + if p.x_label.is_empty() { 0 } else { gap + text_h };
        let plot_h = h - top - bottom;
        if plot_h < 40 {
            return Err(self.too_small());
        }

        // y ticks: about one per 3.5 text heights.
        let y_max = ((plot_h as f64 / (cap as f64 * 3.5)) as usize + 1).clamp(2, 11);
        let mut yt = if self.y_fixed {
            tight_axis(self.y_data.0, self.y_data.1, self.y_scale, y_max)
        } else {
            loose_axis(self.y_data.0, self.y_data.1, self.y_scale, y_max)
        };
        // Labels closer than their own height (short axes): drop every other tick.
        let ym = AxisMap::new(yt.lo, yt.hi, self.y_scale, (h - bottom) as f64, top as f64);
        let min_dy = (cap + self.raise() as i64 + 2 * s) as f64;
        while yt.ticks.len() > 1 && yt.ticks.windows(2).any(|t| (ym.to_px(t[0]) - ym.to_px(t[1])).abs() < min_dy) {
            let keep = |i: &usize| i.is_multiple_of(2);
            yt.ticks = yt.ticks.iter().enumerate().filter(|(i, _)| keep(i)).map(|(_, t)| *t).collect();
            yt.labels = yt.labels.iter().enumerate().filter(|(i, _)| keep(i)).map(|(_, l)| l.clone()).collect();
            yt.minor.clear();
        }
        let y_label_w = yt.labels.iter().map(|l| self.label_width(l)).max().unwrap_or(0) as i64;
        let mut left = pad + if p.y_label.is_empty() { 0 } else { text_h + gap } + y_label_w + gap + tick_len;
        let mut right = 2 * pad;
        if legend_outside {
            right = pad + 3 * s + 4 + self.legend_layout().1;
        }

        // x ticks: as many as fit without the labels crowding each other.
        let mut xt;
        let mut tries = 0;
        loop {
            let plot_w = w - left - right;
            if plot_w < 40 {
                return Err(self.too_small());
            }
            let mut x_max = ((plot_w as f64 / (cap as f64 * 6.0)) as usize + 1).clamp(2, 13);
            let xm =
                AxisMap::new(self.x_data.0, self.x_data.1, self.x_scale, left as f64 + 0.5, (w - right) as f64 - 0.5);
            let min_gap = 2.0 * (ADVANCE * self.s) as f64;
            let crowded = |xt: &AxisTicks| {
                xt.ticks.windows(2).zip(xt.labels.windows(2)).any(|(t, l)| {
                    let d = (xm.to_px(t[1]) - xm.to_px(t[0])).abs();
                    d < (self.label_width(&l[0]) + self.label_width(&l[1])) as f64 / 2.0 + min_gap
                })
            };
            loop {
                xt = tight_axis(self.x_data.0, self.x_data.1, self.x_scale, x_max);
                if !crowded(&xt) || x_max <= 2 {
                    break;
                }
                x_max -= 1;
            }
            // Long labels on a narrow axis: drop every other tick until they fit.
            while crowded(&xt) && xt.ticks.len() > 1 {
                let keep = |i: &usize| i.is_multiple_of(2);
                xt.ticks = xt.ticks.iter().enumerate().filter(|(i, _)| keep(i)).map(|(_, t)| *t).collect();
                xt.labels = xt.labels.iter().enumerate().filter(|(i, _)| keep(i)).map(|(_, l)| l.clone()).collect();
                xt.minor.clear();
            }
            // Make room for labels hanging over the ends of the axis.
            let xm = AxisMap::new(xt.lo, xt.hi, self.x_scale, left as f64 + 0.5, (w - right) as f64 - 0.5);
            let mut changed = false;
            if let (Some(t), Some(l)) = (xt.ticks.first(), xt.labels.first()) {
                let x0 = xm.to_px(*t) - self.label_width(l) as f64 / 2.0;
                if x0 < pad as f64 / 2.0 {
                    left += (pad as f64 / 2.0 - x0).ceil() as i64;
                    changed = true;
                }
            }
            if let (Some(t), Some(l)) = (xt.ticks.last(), xt.labels.last()) {
                let x1 = xm.to_px(*t) + self.label_width(l) as f64 / 2.0;
                if x1 > (w - pad) as f64 {
                    right += (x1 - (w - pad) as f64).ceil() as i64;
                    changed = true;
                }
            }
            tries += 1;
            if !changed || tries >= 3 {
                break;
            }
        }
        let plot_w = w - left - right;
        if plot_w < 40 {
            return Err(self.too_small());
        }
        let area = Rect::new(left, top, w - right, h - bottom);
        let xm = AxisMap::new(xt.lo, xt.hi, self.x_scale, area.x0 as f64 + 0.5, area.x1 as f64 - 0.5);
        let ym = AxisMap::new(yt.lo, yt.hi, self.y_scale, area.y1 as f64 - 0.5, area.y0 as f64 + 0.5);

        let mut c = Canvas::new(p.size.0, p.size.1, BACKGROUND);

        // Grid.
        if p.grid {
            c.set_clip(Some(area));
            for &t in &xt.ticks {
                c.vline(xm.to_px(t).floor() as i64, area.y0, area.y1 - 1, GRID);
            }
            for &t in &yt.ticks {
                c.hline(area.x0, area.x1 - 1, ym.to_px(t).floor() as i64, GRID);
            }
            c.set_clip(None);
        }

        // Data.
        c.set_clip(Some(area));
        for (i, series) in p.series.iter().enumerate() {
            self.draw_series(&mut c, series, PALETTE[i % PALETTE.len()], &xm, &ym, area);
        }
        c.set_clip(None);

        // Frame, ticks, tick labels.
        c.stroke_rect(area, INK);
        for (&t, l) in xt.ticks.iter().zip(&xt.labels) {
            let x = xm.to_px(t).floor() as i64;
            c.vline(x, area.y1, area.y1 + tick_len - 1, INK);
            let lw = self.label_width(l) as i64;
            self.draw_label(&mut c, x - lw / 2, area.y1 + tick_len + gap + x_raise, l);
        }
        for &t in &xt.minor {
            c.vline(xm.to_px(t).floor() as i64, area.y1, area.y1 + tick_len / 2, INK);
        }
        for (&t, l) in yt.ticks.iter().zip(&yt.labels) {
            let y = ym.to_px(t).floor() as i64;
            c.hline(area.x0 - tick_len, area.x0 - 1, y, INK);
            let lw = self.label_width(l) as i64;
            self.draw_label(&mut c, area.x0 - tick_len - gap - lw, y - cap / 2, l);
        }
        for &t in &yt.minor {
            c.hline(area.x0 - tick_len / 2 - 1, area.x0 - 1, ym.to_px(t).floor() as i64, INK);
        }

        // Axis labels and title.
        // Centred on the plot area, shifted (and if need be shortened) to stay on the image.
        let place = |text: &str, lo: i64, hi: i64, extra: i64| -> (String, i64) {
            let t = fit(text, (w - 2 * pad - extra).max(0), self.s);
            let tw = font::text_width(&t, self.s) as i64 + extra;
            let x = ((lo + hi) / 2 - tw / 2).min(w - pad - tw).max(pad);
            (t, x)
        };
        if !p.x_label.is_empty() {
            let (t, x) = place(&p.x_label, area.x0, area.x1, 0);
            c.text(x, h - pad - text_h, &t, self.s, INK);
        }
        if !p.y_label.is_empty() {
            // Between the title and the bottom of the plot area.
            let y_min = pad + if p.title.is_empty() { 0 } else { text_h + s };
            let t = fit(&p.y_label, (area.y1 - y_min).max(0), self.s);
            let tw = font::text_width(&t, self.s) as i64;
            let y = ((area.y0 + area.y1) / 2 + tw / 2).max(y_min + tw).min(area.y1);
            c.text_up(pad, y, &t, self.s, INK);
        }
        if !p.title.is_empty() {
            let (t, x) = place(&p.title, area.x0, area.x1, 1);
            c.text_bold(x, pad, &t, self.s, INK);
        }

        let (legend, hidden) = if p.series.len() > 1 {
            let (r, hidden) = self.draw_legend(&mut c, area, legend_outside);
            (Some(r), hidden)
        } else {
            (None, 0)
        };
        let frame =
            Frame { area, x: xm, y: ym, x_ticks: xt.ticks, y_ticks: yt.ticks, text_boxes: c.text_boxes, legend };
        Ok((c.img, frame, hidden))
    }

    fn too_small(&self) -> PlotError {
        let (w, h) = self.plot.size;
        PlotError::TooSmall {
            width: w,
            height: h,
            min_width: w.max(MIN_SIZE.0) + 80,
            min_height: h.max(MIN_SIZE.1) + 60,
        }
    }

    fn line_width(&self) -> f64 {
        1.0 + 0.5 * self.s as f64
    }

    fn draw_series(&self, c: &mut Canvas, series: &Series, color: Rgb, xm: &AxisMap, ym: &AxisMap, area: Rect) {
        let s = self.s as i64;
        match series {
            Series::Line { x, y, .. } => {
                let mut prev: Option<(f64, f64)> = None;
                for (&xv, &yv) in x.iter().zip(y) {
                    if !(xv.is_finite() && yv.is_finite()) {
                        prev = None;
                        continue;
                    }
                    let pt = (xm.to_px(xv), ym.to_px(yv));
                    match prev {
                        Some(p0) => c.line(p0, pt, self.line_width(), color),
                        // A lone point between gaps still shows up.
                        None => c.disc(pt.0, pt.1, self.line_width() / 2.0, color),
                    }
                    prev = Some(pt);
                }
            }
            Series::Bars { edges, heights, errors, .. } => {
                let edge_color = darken(color, 0.65);
                let base = match self.y_scale {
                    Scale::Linear => ym.to_px(0.0),
                    Scale::Log => area.y1 as f64,
                };
                let row = |v: f64| (v - 0.5).ceil().clamp(-1e9, 1e9) as i64;
                for (j, &hv) in heights.iter().enumerate() {
                    if !hv.is_finite() {
                        continue;
                    }
                    let (x0, x1) = (row(xm.to_px(edges[j])), row(xm.to_px(edges[j + 1])));
                    let yt = ym.to_px(hv);
                    let (y0, y1) = (row(yt.min(base)), row(yt.max(base)));
                    c.fill_rect(Rect::new(x0, y0, x1 + 1, y1 + 1), color);
                    c.stroke_rect(Rect::new(x0, y0, x1 + 1, y1 + 1), edge_color);
                }
                if let Some(errors) = errors {
                    for (j, (&hv, &ev)) in heights.iter().zip(errors).enumerate() {
                        if !(hv.is_finite() && ev.is_finite() && ev > 0.0) {
                            continue;
                        }
                        let (xa, xb) = (xm.to_px(edges[j]), xm.to_px(edges[j + 1]));
                        let cx = (xa + xb) / 2.0;
                        let half_cap = ((xb - xa) * 0.2).clamp(2.0, (3 * s + 2) as f64);
                        self.error_bar(c, cx, hv, ev, half_cap, INK, ym, area);
                    }
                }
            }
            Series::Points { x, y, errors, .. } => {
                if let Some(errors) = errors {
                    for ((&xv, &yv), &ev) in x.iter().zip(y).zip(errors) {
                        if xv.is_finite() && yv.is_finite() && ev.is_finite() && ev > 0.0 {
                            self.error_bar(c, xm.to_px(xv), yv, ev, (2 * s + 1) as f64, darken(color, 0.8), ym, area);
                        }
                    }
                }
                for (&xv, &yv) in x.iter().zip(y) {
                    if xv.is_finite() && yv.is_finite() {
                        c.disc(xm.to_px(xv), ym.to_px(yv), 1.5 + s as f64, color);
                    }
                }
            }
        }
    }

    /// A vertical error bar `v ± e` at pixel column `cx`, with caps of half-width `half_cap`.
    #[allow(clippy::too_many_arguments)]
    fn error_bar(&self, c: &mut Canvas, cx: f64, v: f64, e: f64, half_cap: f64, color: Rgb, ym: &AxisMap, area: Rect) {
        let lw = self.s.max(1) as i64;
        let x = cx.floor() as i64 - (lw - 1) / 2;
        let row = |y: f64| (y.floor() as i64) - (lw - 1) / 2;
        let y_hi = ym.to_px(v + e);
        let lower = v - e;
        let y_lo =
            if self.y_scale == Scale::Log && lower <= 0.0 { area.y1 as f64 + lw as f64 } else { ym.to_px(lower) };
        let (r0, r1) = (row(y_hi.clamp(-1e9, 1e9)), row(y_lo.clamp(-1e9, 1e9)));
        c.fill_rect(Rect::new(x, r0, x + lw, r1 + lw), color);
        let (c0, c1) = ((cx - half_cap).round() as i64, (cx + half_cap).round() as i64);
        c.fill_rect(Rect::new(c0, r0, c1 + 1, r0 + lw), color);
        if y_lo.is_finite() && y_lo < area.y1 as f64 {
            c.fill_rect(Rect::new(c0, r1, c1 + 1, r1 + lw), color);
        }
    }

    /// Legend entry names, and the legend box size.
    fn legend_layout(&self) -> (Vec<String>, i64, i64) {
        let s = self.s as i64;
        let names: Vec<String> = self
            .plot
            .series
            .iter()
            .enumerate()
            .map(|(i, se)| if se.label().is_empty() { format!("#{}", i + 1) } else { se.label().to_string() })
            .collect();
        let text_w = names.iter().map(|n| font::text_width(n, self.s)).max().unwrap_or(0) as i64;
        let (inner, swatch, row_h) = (3 * s + 2, 10 * s + 4, (GLYPH_H * self.s) as i64 + 2 * s);
        let bw = inner * 2 + swatch + 2 * s + 2 + text_w;
        let bh = inner * 2 + row_h * names.len() as i64 - 2 * s;
        (names, bw, bh)
    }

    /// Draws the legend in the emptiest corner of the plot area, or right of
    /// it when `outside`; returns its box and how many data pixels it covers.
    fn draw_legend(&self, c: &mut Canvas, area: Rect, outside: bool) -> (Rect, usize) {
        let p = self.plot;
        let s = self.s as i64;
        let (inner, swatch, row_h) = (3 * s + 2, 10 * s + 4, (GLYPH_H * self.s) as i64 + 2 * s);
        let (names, bw, bh) = self.legend_layout();
        let margin = 3 * s + 4;
        let candidates = [
            Rect::new(area.x1 - margin - bw, area.y0 + margin, area.x1 - margin, area.y0 + margin + bh),
            Rect::new(area.x0 + margin, area.y0 + margin, area.x0 + margin + bw, area.y0 + margin + bh),
            Rect::new(area.x1 - margin - bw, area.y1 - margin - bh, area.x1 - margin, area.y1 - margin),
            Rect::new(area.x0 + margin, area.y1 - margin - bh, area.x0 + margin + bw, area.y1 - margin),
        ];
        let ink = |r: &Rect| -> usize {
            let mut n = 0;
            for y in r.y0.max(0)..r.y1.min(c.img.height() as i64) {
                for x in r.x0.max(0)..r.x1.min(c.img.width() as i64) {
                    let px = c.img.pixel(x as u32, y as u32);
                    if px != BACKGROUND && px != GRID {
                        n += 1;
                    }
                }
            }
            n
        };
        let mut best = candidates[0];
        let mut best_ink = usize::MAX;
        for r in candidates {
            let n = ink(&r);
            if n < best_ink {
                best = r;
                best_ink = n;
            }
        }
        if outside {
            best = Rect::new(area.x1 + margin, area.y0, area.x1 + margin + bw, area.y0 + bh);
            best_ink = 0;
        }
        let r = best;
        c.fill_rect(r, BACKGROUND);
        c.stroke_rect(r, LEGEND_BORDER);
        for (i, (se, name)) in p.series.iter().zip(&names).enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let y = r.y0 + inner + row_h * i as i64;
            let cy = y + (CAP_H * self.s) as i64 / 2;
            let x = r.x0 + inner;
            match se {
                Series::Line { .. } => c.line(
                    (x as f64, cy as f64 + 0.5),
                    ((x + swatch) as f64, cy as f64 + 0.5),
                    self.line_width(),
                    color,
                ),
                Series::Bars { .. } => {
                    let half = (CAP_H * self.s) as i64 / 2 + 1;
                    let b = Rect::new(x + swatch / 4, cy - half, x + swatch - swatch / 4, cy + half + 1);
                    c.fill_rect(b, color);
                    c.stroke_rect(b, darken(color, 0.65));
                }
                Series::Points { .. } => c.disc((x + swatch / 2) as f64, cy as f64 + 0.5, 1.5 + s as f64, color),
            }
            c.text(x + swatch + 2 * s + 2, y, name, self.s, INK);
        }
        (r, best_ink)
    }
}

/// `text`, cut short with `...` so that it is at most `max_w` pixels wide at `scale`.
fn fit(text: &str, max_w: i64, scale: u32) -> String {
    if font::text_width(text, scale) as i64 <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 0 {
        n -= 1;
        let t: String = chars[..n].iter().collect::<String>() + "...";
        if font::text_width(&t, scale) as i64 <= max_w {
            return t;
        }
    }
    String::new()
}

/// `c` scaled towards black by `f`.
fn darken(c: Rgb, f: f64) -> Rgb {
    c.map(|v| (v as f64 * f).round() as u8)
}
