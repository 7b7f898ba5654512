//! Axis scales, "nice" tick values and the data → pixel mapping.
//!
//! Linear axes use steps of 1, 2 or 5 times a power of ten; tick values are
//! computed as integer multiples of the step divided by an exact power of ten,
//! so `0.1 × 3` comes out as `0.3`, not `0.30000000000000004`. Log axes put
//! ticks on whole decades (every decade, or every 2nd/3rd/5th/10th… when there
//! are too many); a range that holds fewer than two decades falls back to
//! `1, 2, 5 × 10^k` and then to linear ticks.

/// How data values map onto an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values.
    Linear,
    /// Evenly spaced decades; only positive values can be shown.
    Log,
}

impl Scale {
    /// The value in the space where the axis is linear (`log10` for [`Scale::Log`]).
    #[inline]
    pub fn forward(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log => v.log10(),
        }
    }
}

/// `10^e` as the nearest `f64` (exact for `|e| ≤ 22`).
pub fn pow10(e: i32) -> f64 {
    if e >= 0 {
        (0..e).fold(1.0, |a, _| a * 10.0)
    } else {
        1.0 / pow10(-e)
    }
}

/// A 1-2-5 step: `mantissa × 10^exponent` with `mantissa ∈ {1, 2, 5}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1, 2 or 5.
    pub mantissa: i64,
    /// Power of ten.
    pub exponent: i32,
}

impl Step {
    /// The step as a number.
    pub fn value(self) -> f64 {
        self.multiple(1)
    }

    /// `k × step`, computed so that decimal values come out exact.
    pub fn multiple(self, k: i64) -> f64 {
        let n = (k * self.mantissa) as f64;
        if self.exponent >= 0 {
            n * pow10(self.exponent)
        } else {
            n / pow10(-self.exponent)
        }
    }

    /// Decimal places needed to print multiples of this step exactly.
    pub fn decimals(self) -> usize {
        (-self.exponent).max(0) as usize
    }
}

/// The smallest 1-2-5 step that covers `span` with at most `max_ticks` ticks
/// (i.e. `max_ticks - 1` intervals). `span` must be positive and finite.
pub fn nice_step(span: f64, max_ticks: usize) -> Step {
    let intervals = max_ticks.saturating_sub(1).max(1) as f64;
    let raw = span / intervals;
    let mut exponent = raw.log10().floor() as i32;
    loop {
        for mantissa in [1, 2, 5] {
            let s = Step { mantissa, exponent };
            if s.value() >= raw * (1.0 - 1e-9) {
                return s;
            }
        }
        exponent += 1;
    }
}

/// Integer range of step multiples `k` with `k × step` inside `[lo, hi]` (with a tiny tolerance).
fn multiples(lo: f64, hi: f64, step: Step) -> (i64, i64) {
    let s = step.value();
    ((lo / s - 1e-9).ceil() as i64, (hi / s + 1e-9).floor() as i64)
}

/// Ticks at multiples of a 1-2-5 step inside `[lo, hi]`: the coarsest step
/// giving at most `max_ticks` of them, refined when that leaves fewer than two
/// (so the count can exceed `max_ticks` by a little on narrow ranges).
///
/// ```
/// assert_eq!(plexus_plot::axis::linear_ticks(0.0, 1.0, 6), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
/// ```
pub fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    linear_ticks_with_step(lo, hi, max_ticks).0
}

/// [`linear_ticks`] plus the step used (for formatting).
pub fn linear_ticks_with_step(lo: f64, hi: f64, max_ticks: usize) -> (Vec<f64>, Step) {
    let mut step = nice_step(hi - lo, max_ticks.max(2));
    loop {
        let (k0, k1) = multiples(lo, hi, step);
        if k1 - k0 < max_ticks.max(2) as i64 {
            if k1 > k0 {
                return ((k0..=k1).map(|k| step.multiple(k)).collect(), step);
            }
            // Fewer than two ticks: take the first finer step that gives two,
            // even if that is one more than asked for.
            loop {
                step = match step.mantissa {
                    5 => Step { mantissa: 2, ..step },
                    2 => Step { mantissa: 1, ..step },
                    _ => Step { mantissa: 5, exponent: step.exponent - 1 },
                };
                let (k0, k1) = multiples(lo, hi, step);
                if k1 > k0 || step.exponent < -300 {
                    return ((k0..=k1).map(|k| step.multiple(k)).collect(), step);
                }
            }
        }
        // Rounding put one tick too many in: take the next step up.
        step = match step.mantissa {
            1 => Step { mantissa: 2, ..step },
            2 => Step { mantissa: 5, ..step },
            _ => Step { mantissa: 1, exponent: step.exponent + 1 },
        };
    }
}

/// `[lo, hi]` widened outwards to the nearest multiples of `step`.
pub fn loose_bounds(lo: f64, hi: f64, step: Step) -> (f64, f64) {
    let s = step.value();
    let k0 = (lo / s + 1e-9).floor() as i64;
    let k1 = (hi / s - 1e-9).ceil() as i64;
    (step.multiple(k0), step.multiple(k1))
}

/// Decade ticks `10^k` inside `[lo, hi]` (`0 < lo < hi`), thinned to every
/// 2nd, 3rd, 5th, 10th, 20th… decade so that at most `max_ticks` remain
/// (but never fewer than two when the range holds two). Returns the
/// exponents `k`. Empty when the range holds no whole decade.
pub fn log_decades(lo: f64, hi: f64, max_ticks: usize) -> Vec<i32> {
    let d0 = (lo.log10() - 1e-9).ceil() as i32;
    let d1 = (hi.log10() + 1e-9).floor() as i32;
    if d1 < d0 {
        return Vec::new();
    }
    let max_ticks = max_ticks.max(2) as i32;
    let mut every = 1;
    for k in [1, 2, 3, 5, 10, 20, 25, 50, 100] {
        let count = d1.div_euclid(k) - (d0 + k - 1).div_euclid(k) + 1;
        if count < 2 && d1 > d0 {
            // Thinner would leave a single decade: keep two, even if more than asked.
            break;
        }
        every = k;
        if count <= max_ticks {
            break;
        }
    }
    (d0..=d1).filter(|d| d.rem_euclid(every) == 0).collect()
}

/// Ticks for a log axis on `[lo, hi]`: decades when at least two fit,
/// else `1, 2, 5 × 10^k` values when at least two fit, else linear ticks.
pub fn log_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    log_tick_set(lo, hi, max_ticks).values()
}

/// Tick values of a log axis with how they should be labelled.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LogTicks {
    /// Whole decades, labelled `10^k`.
    Decades(Vec<i32>),
    /// Plain numbers (the range is too narrow for decades).
    Values(Vec<f64>, Option<Step>),
}

impl LogTicks {
    pub fn values(&self) -> Vec<f64> {
        match self {
            LogTicks::Decades(d) => d.iter().map(|&k| pow10(k)).collect(),
            LogTicks::Values(v, _) => v.clone(),
        }
    }
}

pub(crate) fn log_tick_set(lo: f64, hi: f64, max_ticks: usize) -> LogTicks {
    let decades = log_decades(lo, hi, max_ticks);
    if decades.len() >= 2 {
        return LogTicks::Decades(decades);
    }
    let d0 = lo.log10().floor() as i32 - 1;
    let d1 = hi.log10().ceil() as i32;
    let mut v = Vec::new();
    for d in d0..=d1 {
        for m in [1, 2, 5] {
            let x = Step { mantissa: m, exponent: d }.value();
            if x >= lo * (1.0 - 1e-9) && x <= hi * (1.0 + 1e-9) {
                v.push(x);
            }
        }
    }
    if v.len() >= 2 && v.len() <= max_ticks.max(2) {
        return LogTicks::Values(v, None);
    }
    let (v, step) = linear_ticks_with_step(lo, hi, max_ticks);
    LogTicks::Values(v, Some(step))
}

/// A tick label: plain text, or a power of ten drawn with a superscript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Label {
    Text(String),
    Power(i32),
}

/// Formats a linear tick value that is a multiple of `step`.
///
/// Values print with just enough decimals for the step; when the axis spans
/// numbers of `1e6` or more, or steps below `1e-4`, every label uses the same
/// exponent (`0`, `2.5e6`, `5e6`).
pub fn format_tick(v: f64, step: Step, max_abs: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let sci = max_abs >= 1e6 || step.exponent <= -5;
    let s = if sci {
        let e = max_abs.log10().floor() as i32;
        let decimals = (e - step.exponent).clamp(0, 12) as usize;
        let m = v / pow10(e);
        let mut t = format!("{m:.decimals$}");
        if t.contains('.') {
            t = t.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        format!("{t}e{e}")
    } else {
        format!("{v:.*}", step.decimals())
    };
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        "0".into()
    } else {
        s
    }
}

/// Formats a plain value (used for 1-2-5 log ticks): shortest decimal form.
pub(crate) fn format_plain(v: f64) -> String {
    if (1e-4..1e6).contains(&v.abs()) {
        let mut s = format!("{v:.6}");
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        s
    } else {
        format!("{v:e}")
    }
}

/// The linear map from a data range onto a pixel range (in the scale's space).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisMap {
    /// Data value at `px_lo`.
    pub lo: f64,
    /// Data value at `px_hi`.
    pub hi: f64,
    /// Linear or log.
    pub scale: Scale,
    /// Pixel coordinate of `lo` (the bottom of a y axis).
    pub px_lo: f64,
    /// Pixel coordinate of `hi` (the top of a y axis).
    pub px_hi: f64,
}

impl AxisMap {
    /// Maps `lo..hi` onto `px_lo..px_hi`.
    pub fn new(lo: f64, hi: f64, scale: Scale, px_lo: f64, px_hi: f64) -> Self {
        AxisMap { lo, hi, scale, px_lo, px_hi }
    }

    /// Pixel coordinate of data value `v` (may lie outside the pixel range;
    /// non-finite for values the scale cannot show).
    pub fn to_px(&self, v: f64) -> f64 {
        let (a, b) = (self.scale.forward(self.lo), self.scale.forward(self.hi));
        let t = (self.scale.forward(v) - a) / (b - a);
        self.px_lo + t * (self.px_hi - self.px_lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(nice_step(1.0, 6), Step { mantissa: 2, exponent: -1 });
        assert_eq!(nice_step(100.0, 11), Step { mantissa: 1, exponent: 1 });
        assert_eq!(nice_step(7.0, 5), Step { mantissa: 2, exponent: 0 });
        assert_eq!(nice_step(3e-6, 4), Step { mantissa: 1, exponent: -6 });
        assert_eq!(nice_step(0.9, 2), Step { mantissa: 1, exponent: 0 });
    }

    #[test]
    fn linear_exact_values() {
        assert_eq!(linear_ticks(0.0, 1.0, 6), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(linear_ticks(0.0, 1.0, 11), vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
        assert_eq!(linear_ticks(-3.7, 12.2, 6), vec![0.0, 5.0, 10.0]);
        assert_eq!(linear_ticks(-3.7, 12.2, 10), vec![-2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
        assert_eq!(linear_ticks(0.0, 255.0, 6), vec![0.0, 100.0, 200.0]);
        assert_eq!(linear_ticks(0.0, 255.0, 7), vec![0.0, 50.0, 100.0, 150.0, 200.0, 250.0]);
        // A single multiple of the coarse step inside: refined to two ticks.
        assert_eq!(linear_ticks(-0.037, 0.37, 2), vec![0.0, 0.2]);
        assert_eq!(linear_ticks(0.91, 1.09, 2), vec![0.95, 1.0, 1.05]);
        assert_eq!(linear_ticks(1013.0, 1017.5, 5), vec![1014.0, 1016.0]);
        assert_eq!(linear_ticks(1013.0, 1017.5, 6), vec![1013.0, 1014.0, 1015.0, 1016.0, 1017.0]);
        assert_eq!(linear_ticks(0.001, 0.0042, 5), vec![0.001, 0.002, 0.003, 0.004]);
        assert_eq!(linear_ticks(-1e6, 3e6, 5), vec![-1e6, 0.0, 1e6, 2e6, 3e6]);
        assert_eq!(linear_ticks(0.0, 99.0, 3), vec![0.0, 50.0]);
    }

    #[test]
    fn tick_count_never_exceeds_max() {
        for max in 2..12 {
            for i in 1..200 {
                let hi = i as f64 * 0.37;
                let t = linear_ticks(-0.1 * hi, hi, max);
                assert!(t.len() <= max + 2 && t.len() >= 2, "{hi} {max} {t:?}");
            }
        }
    }

    #[test]
    fn loose() {
        let s = nice_step(0.93, 6);
        assert_eq!(loose_bounds(0.0, 0.93, s), (0.0, 1.0));
        assert_eq!(loose_bounds(-0.31, 0.93, s), (-0.4, 1.0));
        assert_eq!(loose_bounds(0.2, 0.8, s), (0.2, 0.8));
    }

    #[test]
    fn decades() {
        assert_eq!(log_decades(1.0, 1000.0, 10), vec![0, 1, 2, 3]);
        assert_eq!(log_decades(0.5, 2e4, 10), vec![0, 1, 2, 3, 4]);
        assert_eq!(log_decades(1e-12, 1e3, 6), vec![-12, -9, -6, -3, 0, 3]);
        assert_eq!(log_decades(1e-10, 1e10, 6), vec![-10, -5, 0, 5, 10]);
        assert_eq!(log_decades(1e-10, 1e10, 11), vec![-10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10]);
        assert_eq!(log_decades(2.0, 9.0, 6), Vec::<i32>::new());
        assert_eq!(log_decades(1e-3, 1e9, 2), vec![0, 5]);
        assert_eq!(log_decades(1e-3, 1e9, 3), vec![0, 5]);
        assert_eq!(log_decades(1e-3, 1e9, 4), vec![0, 5]);
        assert_eq!(log_decades(1e-3, 1e9, 5), vec![-3, 0, 3, 6, 9]);
        assert_eq!(log_decades(0.5, 20.0, 2), vec![0, 1]);
        assert_eq!(log_ticks(1e-3, 1e2, 10), vec![1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2]);
    }

    #[test]
    fn narrow_log_ranges() {
        assert_eq!(log_ticks(2.0, 60.0, 10), vec![2.0, 5.0, 10.0, 20.0, 50.0]);
        // Only one 1-2-5 value (0.5) inside: linear ticks instead.
        assert_eq!(log_ticks(0.3, 0.9, 6), vec![0.4, 0.6, 0.8]);
        assert_eq!(log_ticks(3.0, 4.5, 6), vec![3.0, 3.5, 4.0, 4.5]);
    }

    #[test]
    fn formatting() {
        let s = Step { mantissa: 2, exponent: -1 };
        assert_eq!(format_tick(0.4, s, 1.0), "0.4");
        assert_eq!(format_tick(1.0, s, 1.0), "1.0");
        assert_eq!(format_tick(-0.0, s, 1.0), "0");
        let s = Step { mantissa: 5, exponent: 1 };
        assert_eq!(format_tick(150.0, s, 250.0), "150");
        let s = Step { mantissa: 5, exponent: 5 };
        assert_eq!(format_tick(1.5e6, s, 3e6), "1.5e6");
        assert_eq!(format_tick(2e6, s, 3e6), "2e6");
        assert_eq!(format_tick(0.0, s, 3e6), "0");
        let s = Step { mantissa: 1, exponent: -6 };
        assert_eq!(format_tick(3e-6, s, 4e-6), "3e-6");
        assert_eq!(format_plain(0.5), "0.5");
        assert_eq!(format_plain(20.0), "20");
    }

    #[test]
    fn mapping() {
        let m = AxisMap::new(0.0, 10.0, Scale::Linear, 100.0, 300.0);
        assert_eq!(m.to_px(0.0), 100.0);
        assert_eq!(m.to_px(5.0), 200.0);
        assert_eq!(m.to_px(10.0), 300.0);
        assert_eq!(m.to_px(-5.0), 0.0);
        // A y axis runs upwards: bottom pixel for lo.
        let m = AxisMap::new(1.0, 1000.0, Scale::Log, 400.0, 100.0);
        assert_eq!(m.to_px(1.0), 400.0);
        assert!((m.to_px(10.0) - 300.0).abs() < 1e-9);
        assert!((m.to_px(100.0) - 200.0).abs() < 1e-9);
        assert_eq!(m.to_px(1000.0), 100.0);
        assert!(m.to_px(0.0).is_infinite());
    }
}
