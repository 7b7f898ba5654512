//! The `relabel` operator: the second pass of chunked labelling. It maps
//! the provisional labels `segment.label` sent on to their final labels,
//! from the `merges` that stage publishes at its end (`merges =
//! "${label.merges}"`), so the stream's labels equal `scipy.ndimage.label`
//! of the whole volume.
//!
//! # The table
//! `merges` lists, as flat pairs `[p, root, …]` with `p` increasing, every
//! provisional label that joined an earlier one (`root < p`, the smallest
//! provisional label of its component). Final labels number the roots in
//! increasing order, so a root `r` becomes `r − #{merged p < r}` and a
//! merged `p` becomes its root's final label ([`FinalLabels`]). An empty
//! list is the identity (a volume labelled in one frame).
//!
//! The host holds this stage's input until `label` publishes `merges`
//! (`${…}` references wait); frames then stream through, any chunking.

use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

/// Parameters of `segment.relabel`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelabelParams {
    /// `label`'s `merges`: flat pairs `[p, root, …]` (empty: identity).
    pub merges: Vec<u32>,
}

impl Params for RelabelParams {
    const TABLE: &'static [Param] = &[Param::new(
        "merges",
        "segment.label's merges (\"${label.merges}\"): flat pairs [provisional, root, ...]; empty: identity",
    )];
}

/// Provisional → final labels (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct FinalLabels {
    /// `table[p]` for `p` up to the largest merged label.
    table: Vec<u32>,
    /// How many labels merged: the shift of every label past the table.
    merged: u32,
}

impl FinalLabels {
    /// The table of `merges` (flat pairs, `p` increasing, `root < p`).
    pub fn new(merges: &[u32]) -> Result<FinalLabels, PluginError> {
        let bad = |got: String| {
            PluginError::bad_parameter(
                "merges",
                "flat pairs [p, root, ...] with p increasing and root < p (label's `merges`)",
                got,
            )
        };
        if !merges.len().is_multiple_of(2) {
            return Err(bad(format!("{} numbers", merges.len())));
        }
        let pairs: Vec<(u32, u32)> = merges.chunks_exact(2).map(|c| (c[0], c[1])).collect();
        for (i, &(p, root)) in pairs.iter().enumerate() {
            if root == 0 || root >= p || (i > 0 && pairs[i - 1].0 >= p) {
                return Err(bad(format!("pair [{p}, {root}] at {i}")));
            }
        }
        let max = pairs.last().map_or(0, |&(p, _)| p as usize);
        let mut table = vec![0u32; max + 1];
        let mut k = 0;
        for p in 1..=max {
            if k < pairs.len() && pairs[k].0 as usize == p {
                table[p] = table[pairs[k].1 as usize];
                k += 1;
            } else {
                table[p] = p as u32 - k as u32;
            }
        }
        Ok(FinalLabels { table, merged: pairs.len() as u32 })
    }

    /// The final label of provisional label `p` (0 stays 0).
    #[inline]
    pub fn get(&self, p: u32) -> u32 {
        match self.table.get(p as usize) {
            Some(&f) => f,
            None => p - self.merged,
        }
    }
}

/// The `relabel` operator.
#[derive(Debug)]
pub struct Relabel {
    labels: FinalLabels,
}

impl Relabel {
    /// Builds the table from `merges`.
    pub fn new(params: RelabelParams, _ctx: &Context) -> Result<Relabel, PluginError> {
        Ok(Relabel { labels: FinalLabels::new(&params.merges)? })
    }
}

impl Operator for Relabel {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        let provisional = c.labels()?;
        let finals: Vec<u32> = provisional.iter().map(|&p| self.labels.get(p)).collect();
        out.emit(chunk::output(input, &c, c.name, finals)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_close_the_gaps_and_merged_labels_take_their_roots() {
        // 1..=6 provisional; 4 joined 2, 6 joined 1.
        let t = FinalLabels::new(&[4, 2, 6, 1]).unwrap();
        let finals: Vec<u32> = (0..=8).map(|p| t.get(p)).collect();
        assert_eq!(finals, [0, 1, 2, 3, 2, 4, 1, 5, 6]);
        assert_eq!(FinalLabels::new(&[]).unwrap().get(7), 7);
        assert_eq!(
            FinalLabels::new(&[4, 5]).unwrap_err().to_string(),
            "parameter `merges`: expected flat pairs [p, root, ...] with p increasing and root < p (label's `merges`), got pair [4, 5] at 0"
        );
    }
}
