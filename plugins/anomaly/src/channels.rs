//! Channel layout of an input array (see `docs/CONVENTIONS.md`): the last
//! axis holds channels only when labelled `band`, `c` or `channel`; otherwise
//! the whole array is one channel.

/// Labels that make the last axis a channel axis.
pub const CHANNEL_LABELS: [&str; 3] = ["band", "c", "channel"];

/// Number of interleaved channels of an array with `shape` and `axes`: the
/// extent of the last axis when it is labelled as a channel axis, else 1.
/// Element `i` of the row-major data belongs to channel `i % channels`.
pub fn channel_count(shape: &[usize], axes: &str) -> usize {
    match (axes.split_whitespace().last(), shape.last()) {
        (Some(label), Some(&n)) if CHANNEL_LABELS.contains(&label) => n.max(1),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_labelled_last_axis_is_channels() {
        assert_eq!(channel_count(&[4, 5, 3], "y x band"), 3);
        assert_eq!(channel_count(&[4, 5, 3], "y x c"), 3);
        assert_eq!(channel_count(&[4, 5, 3], "z y x"), 1);
        assert_eq!(channel_count(&[4, 3], "y channel"), 3);
        assert_eq!(channel_count(&[], ""), 1);
    }
}
