//! Sections: where a pipeline's access pattern changes. Each stage reads
//! frames cut along one axis of the dataset (its pattern says which) and
//! gives frames cut along one axis; consecutive stages that agree form a
//! section and run chunk by chunk. Where they disagree — projections
//! (`angle`) read as sinograms (`row`), or as slices (`z`, which is `row`
//! after reconstruction) — the host reslices between the two sections
//! through a chunk store. A stage that declares a `halo` receives each
//! chunk with that many neighbour slices on each side, and the host trims
//! its outputs back to the chunk.
//!
//! Axis names are those of `docs/CONVENTIONS.md`: `angle row col` for
//! projection stacks, `z y x` for volumes; a sinogram chunk holds rows
//! `r0..r1` of every projection as `row angle col`.

use plexus_registry::Pattern;

use super::plan::Plan;

/// The axis frames are cut along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Projection angles (`angle row col` stacks).
    Angle,
    /// Detector rows: sinograms, and the `z` slices reconstructed from them.
    Row,
}

impl Cut {
    /// The cut of a dataset whose axis labels are `axes`, when its first
    /// axis is labelled `angle` or `row`. Any other label (`z`, and the
    /// default labels of formats that store none, such as NPY) says
    /// nothing: the first axis is then whatever the first stage reads.
    pub fn of_axes(axes: &str) -> Option<Cut> {
        match axes.split_whitespace().next() {
            Some("angle") => Some(Cut::Angle),
            Some("row") => Some(Cut::Row),
            _ => None,
        }
    }

    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Cut::Angle => "angle",
            Cut::Row => "row",
        }
    }
}

/// The cut a stage of pattern `p` needs its input in, if any.
pub fn needs(p: Pattern) -> Option<Cut> {
    match p {
        Pattern::Projection => Some(Cut::Angle),
        Pattern::Sinogram | Pattern::Slice | Pattern::Volume => Some(Cut::Row),
        Pattern::Frame | Pattern::Source => None,
    }
}

/// The cut of the frames a stage of pattern `p` gives, if its pattern says
/// (`frame` stages give what they read).
pub fn gives(p: Pattern) -> Option<Cut> {
    match p {
        Pattern::Projection => Some(Cut::Angle),
        Pattern::Sinogram | Pattern::Slice | Pattern::Volume => Some(Cut::Row),
        Pattern::Frame | Pattern::Source => None,
    }
}

/// What the host does on one edge into a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transform {
    /// Reslice through a chunk store (swap the first two axes) from this
    /// cut to the stage's.
    pub reslice: Option<(Cut, Cut)>,
    /// The producer is a source operator whose cut its pattern does not
    /// say: reslice to this cut when its frames turn out to be cut along
    /// `angle` (their first axis label), else pass them through.
    pub adaptive: Option<Cut>,
    /// Neighbour slices on each side of each chunk.
    pub halo: usize,
}

impl Transform {
    /// Whether frames go straight through.
    pub fn is_direct(&self) -> bool {
        self.reslice.is_none() && self.adaptive.is_none() && self.halo == 0
    }

    /// Whether the edge may go through a chunk store.
    pub fn may_reslice(&self) -> bool {
        self.reslice.is_some() || self.adaptive.is_some()
    }
}

/// The transform on an edge carrying frames cut along `have` (from a
/// source operator when `from_source`) into stage `consumer` of `plan`.
pub fn transform(plan: &Plan, have: Option<Cut>, from_source: bool, consumer: usize) -> Transform {
    let s = &plan.stages[consumer];
    let need = needs(s.spec.pattern);
    let reslice = match (have, need) {
        (Some(h), Some(n)) if h != n => Some((h, n)),
        _ => None,
    };
    let adaptive = match (have, need) {
        (None, Some(Cut::Row)) if from_source => Some(Cut::Row),
        _ => None,
    };
    Transform { reslice, adaptive, halo: s.spec.halo as usize }
}

/// The cut of stage `i`'s output, given the cut of the pipeline input
/// (`None` when there is none, or a source stage's stream).
pub fn cut_of(plan: &Plan, i: usize, input: Option<Cut>) -> Option<Cut> {
    fn go(plan: &Plan, i: usize, input: Option<Cut>, depth: usize) -> Option<Cut> {
        if depth > plan.stages.len() {
            return None; // a cycle, reported by compile
        }
        let s = &plan.stages[i];
        if let Some(c) = gives(s.spec.pattern) {
            return Some(c);
        }
        if s.spec.pattern == Pattern::Source {
            return None;
        }
        match s.inputs.first() {
            Some(&u) => go(plan, u, input, depth + 1),
            None => input,
        }
    }
    go(plan, i, input, 0)
}

/// Whether stage `i`'s frames come from a source operator through `frame`
/// stages only.
fn source_fed(plan: &Plan, i: usize) -> bool {
    let mut i = i;
    for _ in 0..=plan.stages.len() {
        let s = &plan.stages[i];
        match s.spec.pattern {
            Pattern::Source => return true,
            Pattern::Frame => match s.inputs.first() {
                Some(&u) => i = u,
                None => return false,
            },
            _ => return false,
        }
    }
    false
}

/// One edge that is not direct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    /// The producing stage, `None` for the pipeline input.
    pub from: Option<usize>,
    /// The consuming stage.
    pub to: usize,
    /// What happens on it.
    pub transform: Transform,
}

/// Every edge of `plan` that reslices or adds a halo, given the input's cut.
pub fn boundaries(plan: &Plan, input: Option<Cut>) -> Vec<Boundary> {
    let mut out = Vec::new();
    for (j, s) in plan.stages.iter().enumerate() {
        if s.spec.pattern == Pattern::Source {
            continue;
        }
        let ups: Vec<Option<usize>> =
            if s.inputs.is_empty() { vec![None] } else { s.inputs.iter().map(|&u| Some(u)).collect() };
        for up in ups {
            let have = match up {
                Some(u) => cut_of(plan, u, input),
                None => input,
            };
            let from_source = up.is_some_and(|u| source_fed(plan, u));
            let transform = transform(plan, have, from_source, j);
            if !transform.is_direct() {
                out.push(Boundary { from: up, to: j, transform });
            }
        }
    }
    out
}

/// Section number of each stage: 0 for the stages that read the input (or
/// a source) and those downstream of them without a reslice; each reslice
/// starts the next one.
pub fn sections(plan: &Plan, input: Option<Cut>) -> Vec<usize> {
    let bounds = boundaries(plan, input);
    let resliced = |from: Option<usize>, to: usize| {
        bounds.iter().any(|b| b.from == from && b.to == to && b.transform.reslice.is_some())
    };
    let mut section = vec![0usize; plan.stages.len()];
    // Stages are in file order and inputs point backwards in valid plans.
    for (j, s) in plan.stages.iter().enumerate() {
        let mut k = 0;
        if s.inputs.is_empty() && resliced(None, j) {
            k = 1;
        }
        for &u in &s.inputs {
            let base = if u < j { section[u] } else { 0 };
            k = k.max(base + usize::from(resliced(Some(u), j)));
        }
        section[j] = k;
    }
    section
}
