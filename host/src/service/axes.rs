//! A dataset's axes as the API names them: one label per axis (the file's
//! own, `a0 a1 …` where it gives none), and which of them holds channels.
//! Slices, statistics, descriptions and PCA all read axes this way.

use plexus_io::SourceInfo;

/// The axis labels of `info`, one per axis (`a0 a1 …` where the file
/// gives none or too few).
pub fn labels(info: &SourceInfo) -> Vec<String> {
    let given: Vec<String> = info.axes.split_whitespace().map(str::to_string).collect();
    if given.len() == info.shape.len() {
        given
    } else {
        (0..info.shape.len()).map(|k| format!("a{k}")).collect()
    }
}

/// Whether a label names channels.
fn is_channel(label: &str) -> bool {
    matches!(label, "c" | "ch" | "channel" | "band" | "bands")
}

/// The channel axis, if any.
pub fn channel_axis(labels: &[String]) -> Option<usize> {
    labels.iter().position(|l| is_channel(l))
}
