//! Test plugin `chunked`, for the data plane's tests:
//!
//! - `median3`: the 3 × 3 × 3 median of a `z y x` f32 volume chunk with the
//!   `nearest` boundary (scipy's `median_filter(mode="nearest")`) on every
//!   side of the chunk it is given. It declares `halo = 1`, so the host
//!   hands it each chunk with one neighbour slice on each side and trims
//!   its output: chunked, it must equal the whole-volume result exactly.
//! - `trace`: forwards its input and appends `offset length` of each chunk as it starts
//!   to a file, so a test can count the chunks computed (twice, after a
//!   resume); `sleep_ms` slows it down so a test can kill a run mid-way;
//!   it publishes the most calls of `trace` that ran at once in the
//!   process (`peak_concurrent`), so a test can see the thread budget hold.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use plexus_plugin_api::{
    export_plugin, Array, Context, Emitter, Frame, FrameView, NoParams, Operator, Param, Params, PluginError,
};
use serde::{Deserialize, Serialize};

/// The 3 × 3 × 3 median.
pub struct Median3;

impl Median3 {
    pub fn new(_p: NoParams, _ctx: &Context) -> Result<Median3, PluginError> {
        Ok(Median3)
    }
}

/// The median of each 3 × 3 × 3 neighbourhood of the row-major `[nz, ny,
/// nx]` volume `v`, indices clamped at the edges (`nearest`).
pub fn median3(v: &[f32], nz: usize, ny: usize, nx: usize) -> Vec<f32> {
    let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
    let mut out = vec![0.0; v.len()];
    let mut window = [0f32; 27];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let mut k = 0;
                for dz in -1..=1isize {
                    for dy in -1..=1isize {
                        for dx in -1..=1isize {
                            let (zz, yy, xx) =
                                (clamp(z as isize + dz, nz), clamp(y as isize + dy, ny), clamp(x as isize + dx, nx));
                            window[k] = v[(zz * ny + yy) * nx + xx];
                            k += 1;
                        }
                    }
                }
                window.select_nth_unstable_by(13, f32::total_cmp);
                out[(z * ny + y) * nx + x] = window[13];
            }
        }
    }
    out
}

impl Operator for Median3 {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (_, a) = input.first()?;
        let [nz, ny, nx] = *a.shape() else {
            return Err(PluginError::bad_input("volume", "a z y x volume", format!("shape {:?}", a.shape())));
        };
        let v = a.as_slice::<f32>()?;
        let m = Array::from_vec(vec![nz, ny, nx], median3(v, nz, ny, nx))
            .and_then(|m| m.with_axes(a.axes()))
            .map_err(|e| PluginError::failed(e.to_string()))?;
        out.emit(Frame::like(input).with_array("median", m));
        Ok(())
    }
}

/// Calls of `trace` running now, in this process (every instance of every
/// stage), and the most seen at once: published as `peak_concurrent`.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Parameters of `trace`.
#[derive(Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TraceParams {
    /// File the chunks are logged to; empty: none.
    pub log: String,
    /// Time to spend on each chunk.
    pub sleep_ms: u64,
}

impl Params for TraceParams {
    const TABLE: &'static [Param] = &[
        Param::new("log", "file the chunks are logged to; empty: none"),
        Param::new("sleep_ms", "time to spend on each chunk").min(0.0),
    ];
}

/// Forwards frames, logging each chunk.
pub struct Trace {
    log: String,
    sleep_ms: u64,
}

impl Trace {
    pub fn new(p: TraceParams, _ctx: &Context) -> Result<Trace, PluginError> {
        Ok(Trace { log: p.log, sleep_ms: p.sleep_ms })
    }
}

impl Operator for Trace {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        // Logged when the work starts, so a chunk killed mid-way counts as
        // computed.
        if !self.log.is_empty() {
            let key = input.key();
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .map_err(|e| PluginError::failed(format!("`{}`: {e}", self.log)))?;
            // One write per line: appends from several instances never interleave.
            f.write_all(format!("{} {}\n", key.offset, key.length).as_bytes())
                .map_err(|e| PluginError::failed(format!("`{}`: {e}", self.log)))?;
        }
        let now = ACTIVE.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(self.sleep_ms));
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
        out.forward();
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        out.result("peak_concurrent", PEAK.load(Ordering::SeqCst) as u64);
        Ok(())
    }
}

export_plugin! {
    "median3" => Median3::new,
    "trace" => Trace::new,
}
