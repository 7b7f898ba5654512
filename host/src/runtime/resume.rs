//! Resuming a run: which outputs can be re-opened, and which input chunks
//! are finished in every one of them and need not be computed again.
//!
//! A run can resume when its chunks are independent: a single section
//! (no reslice, whose barrier needs every upstream chunk), every stage
//! stateless per frame (`parallel = true` in its manifest: a reduction over
//! only the unfinished chunks would be wrong), a chunked input file, and
//! outputs written chunk by chunk (`.npy`, `.tif`, `.zarr`). Each output is
//! re-opened only when its journal names this very run
//! ([`journal`](super::journal)); the chunks finished in every output are
//! skipped, and every other chunk is computed again (an output that already
//! has it keeps its copy). A stage with a halo needs its neighbours: a
//! finished chunk within reach of an unfinished one is computed again too,
//! so the unfinished one gets its halo.

use std::collections::BTreeSet;

use plexus_io::{ChunkWriter, WriteOptions, WriteStart};
use plexus_registry::Pattern;
use serde_json::Value;

use super::journal::Journal;
use super::schedule::{PlanLayout, Schedule};
use crate::error::{HostError, ResumeError};
use crate::pipeline::plan::OutputFormat;
use crate::pipeline::Plan;

/// What a resumed job starts from.
pub struct Resumption {
    /// Per plan, per output, the writer re-opened with its finished chunks.
    pub writers: Vec<Vec<Option<Box<dyn ChunkWriter>>>>,
    /// Input chunks (by index) finished in every output.
    pub skip: BTreeSet<usize>,
}

impl Resumption {
    /// Nothing resumed: every output starts over.
    pub fn none(plans: &[&Plan]) -> Resumption {
        Resumption {
            writers: plans.iter().map(|p| p.outputs.iter().map(|_| None).collect()).collect(),
            skip: BTreeSet::new(),
        }
    }
}

/// Why `plan` cannot skip finished chunks, if it cannot.
pub fn refusal(plan: &Plan, layout: &PlanLayout, schedule: &Schedule) -> Option<ResumeError> {
    match &schedule.input {
        Some(i) if !i.single => {}
        _ => return Some(ResumeError::NoInput),
    }
    for s in &plan.stages {
        if !s.spec.parallel || s.spec.pattern == Pattern::Source || !s.refs.is_empty() {
            return Some(ResumeError::Stateful { stage: s.id.clone(), uses: format!("{}.{}", s.plugin, s.operator) });
        }
    }
    if let Some(b) = layout.boundaries.iter().find(|b| b.boundary.transform.may_reslice()) {
        return Some(ResumeError::Resliced { stage: b.to_id.clone() });
    }
    if let Some(o) =
        plan.outputs.iter().find(|o| !matches!(o.format, OutputFormat::Npy | OutputFormat::Tiff | OutputFormat::Zarr))
    {
        return Some(ResumeError::Format { path: o.path.clone() });
    }
    if plan.outputs.is_empty() {
        return Some(ResumeError::NoOutput);
    }
    None
}

/// Re-opens the outputs of `plans` whose journals name the same run and
/// finds the chunks finished in all of them. With `strict` (`--resume`), a
/// plan that cannot resume is an error; without (`plexus serve`), the job
/// just starts over.
pub fn prepare(
    plans: &[&Plan],
    schedule: &Schedule,
    identities: &[Option<Value>],
    strict: bool,
) -> Result<Resumption, HostError> {
    let mut r = Resumption::none(plans);
    for (plan, layout) in plans.iter().zip(&schedule.plans) {
        if let Some(why) = refusal(plan, layout, schedule) {
            if strict {
                return Err(why.into());
            }
            tracing::info!("pipeline `{}` starts over: {why}", plan.name);
            return Ok(r);
        }
    }
    let chunks = schedule.input.as_ref().map(|i| i.chunks).unwrap_or(0);
    let mut skip: BTreeSet<usize> = (0..chunks).collect();
    for (k, plan) in plans.iter().enumerate() {
        for (n, o) in plan.outputs.iter().enumerate() {
            let writer = identities[k].as_ref().and_then(|identity| {
                let j = Journal::read(&o.path).filter(|j| &j.identity == identity)?;
                let options = WriteOptions { resume: true, ..WriteOptions::default() };
                match plexus_io::create_writer(&o.path, j.spec, &options) {
                    Ok(w) => match w.start() {
                        WriteStart::Resumed { .. } => Some(w),
                        WriteStart::Discarded { partial, why } => {
                            tracing::info!("`{}` starts over: {why}", partial.display());
                            None
                        }
                        WriteStart::New => None,
                    },
                    Err(e) => {
                        tracing::warn!("`{}` cannot be resumed, it starts over: {e}", o.path.display());
                        None
                    }
                }
            });
            match &writer {
                Some(w) => skip.retain(|&i| w.is_written(i)),
                None => skip.clear(),
            }
            r.writers[k][n] = writer;
        }
    }
    // Neighbours of unfinished chunks feed their halos.
    let halo = schedule.plans.iter().flat_map(|p| &p.boundaries).map(|b| b.boundary.transform.halo).max().unwrap_or(0);
    if let (Some(i), true) = (&schedule.input, halo > 0) {
        let reach = halo.div_ceil(i.chunk.max(1));
        let unfinished: Vec<usize> = (0..chunks).filter(|k| !skip.contains(k)).collect();
        for k in unfinished {
            for n in k.saturating_sub(reach)..=(k + reach).min(chunks.saturating_sub(1)) {
                skip.remove(&n);
            }
        }
    }
    r.skip = skip;
    Ok(r)
}
