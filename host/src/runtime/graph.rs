//! The graph of a run, from its plan: one bounded edge per (producer,
//! consumer) pair between the input, the stages, the output sinks and the
//! plots that need a stage's frames; and, on an edge where the sections
//! say so, a node between the two ends (a reslice, or a halo window).

use crate::bus::{edge, EdgeTx, Inlet, Outlet};
use crate::pipeline::plan::Plan;
use crate::pipeline::sections::Boundary;
use crate::pipeline::spec::PlotKind;
use plexus_registry::Pattern;

/// A node on an edge: it reads the producer's frames and feeds the consumer.
pub struct Node {
    /// Which edge, and what the node does on it.
    pub boundary: Boundary,
    /// The producer's frames.
    pub input: Inlet,
    /// The consumer.
    pub outlet: Outlet,
}

/// The edges of one run, grouped by who owns each end.
pub struct Graph {
    /// Edges to the stages (or nodes) that read the pipeline input (the
    /// source's outlet, shared with other plans reading the same input).
    pub input: Vec<EdgeTx>,
    /// Per stage, its upstream edges in the order of its `inputs`.
    pub stage_inputs: Vec<Vec<Inlet>>,
    /// Per stage, every downstream edge.
    pub stage_outlets: Vec<Outlet>,
    /// Per `[[output]]`, the edge its sink reads.
    pub sinks: Vec<Inlet>,
    /// Per `[[plot]]`, the edge of stage frames when the plot draws a frame.
    pub plots: Vec<Option<Inlet>>,
    /// The nodes on edges that are not direct.
    pub nodes: Vec<Node>,
}

impl Graph {
    /// Wires `plan` with edges of `capacity` frames, with a node on each of
    /// `boundaries`.
    pub fn wire(plan: &Plan, capacity: usize, boundaries: &[Boundary]) -> Graph {
        let n = plan.stages.len();
        let mut stage_inputs: Vec<Vec<Inlet>> = (0..n).map(|_| Vec::new()).collect();
        let mut outlets: Vec<Vec<EdgeTx>> = (0..n).map(|_| Vec::new()).collect();
        let mut input = Vec::new();
        let mut nodes = Vec::new();
        let mut connect = |from: Option<usize>, to: usize, outlets: &mut Vec<Vec<EdgeTx>>| {
            let (tx, rx) = edge(capacity);
            match boundaries.iter().find(|b| b.from == from && b.to == to) {
                Some(b) => {
                    let (node_tx, node_rx) = edge(capacity);
                    nodes.push(Node { boundary: b.clone(), input: node_rx, outlet: Outlet::new(vec![tx]) });
                    match from {
                        Some(u) => outlets[u].push(node_tx),
                        None => input.push(node_tx),
                    }
                }
                None => match from {
                    Some(u) => outlets[u].push(tx),
                    None => input.push(tx),
                },
            }
            stage_inputs[to].push(rx);
        };
        for (j, s) in plan.stages.iter().enumerate() {
            if s.inputs.is_empty() && s.spec.pattern != Pattern::Source {
                connect(None, j, &mut outlets);
            }
            for &up in &s.inputs {
                connect(Some(up), j, &mut outlets);
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
        Graph {
            input,
            stage_inputs,
            stage_outlets: outlets.into_iter().map(Outlet::new).collect(),
            sinks,
            plots,
            nodes,
        }
    }
}
