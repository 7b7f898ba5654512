//! The graph of a run, from its plan: one bounded edge per (producer,
//! consumer) pair between the input, the stages, the output sinks and the
//! plots that need a stage's frames.

use crate::bus::{edge, EdgeTx, Inlet, Outlet};
use crate::pipeline::plan::Plan;
use crate::pipeline::spec::PlotKind;
use plexus_registry::Pattern;

/// The edges of one run, grouped by who owns each end.
pub struct Graph {
    /// Edges to the stages that read the pipeline input (the source's
    /// outlet, shared with other plans reading the same input).
    pub input: Vec<EdgeTx>,
    /// Per stage, its upstream edges in the order of its `inputs`.
    pub stage_inputs: Vec<Vec<Inlet>>,
    /// Per stage, every downstream edge.
    pub stage_outlets: Vec<Outlet>,
    /// Per `[[output]]`, the edge its sink reads.
    pub sinks: Vec<Inlet>,
    /// Per `[[plot]]`, the edge of stage frames when the plot draws a frame.
    pub plots: Vec<Option<Inlet>>,
}

impl Graph {
    /// Wires `plan` with edges of `capacity` frames.
    pub fn wire(plan: &Plan, capacity: usize) -> Graph {
        let n = plan.stages.len();
        let mut stage_inputs: Vec<Vec<Inlet>> = (0..n).map(|_| Vec::new()).collect();
        let mut outlets: Vec<Vec<EdgeTx>> = (0..n).map(|_| Vec::new()).collect();
        let mut input = Vec::new();
        for (j, s) in plan.stages.iter().enumerate() {
            if s.inputs.is_empty() && s.spec.pattern != Pattern::Source {
                let (tx, rx) = edge(capacity);
                input.push(tx);
                stage_inputs[j].push(rx);
            }
            for &up in &s.inputs {
                let (tx, rx) = edge(capacity);
                outlets[up].push(tx);
                stage_inputs[j].push(rx);
            }
        }
        let sinks = plan
            .outputs
            .iter()
            .map(|o| {
                let (tx, rx) = edge(capacity);
                outlets[o.from].push(tx);
                rx
            })
            .collect();
        // Spectrum plots draw the stage's last frame, not only its results.
        let plots = plan
            .plots
            .iter()
            .map(|p| {
                (p.spec.kind == PlotKind::Spectrum).then(|| {
                    let (tx, rx) = edge(capacity);
                    outlets[p.from].push(tx);
                    rx
                })
            })
            .collect();
        Graph { input, stage_inputs, stage_outlets: outlets.into_iter().map(Outlet::new).collect(), sinks, plots }
    }
}
