//! `time_series` against numpy's per-row statistics of real images, across
//! chunkings, and its events.

use plexus_plugin_api::compliance::Harness;
use plexus_plugin_api::{Array, ChunkKey, Frame};
use serde_json::{json, Value};

use super::{chunked, close, grains, ihc, numpy_stats, run};

/// As for `running_stats`: u8 data, exact partial sums, 1e−12 relative.
const REL: f64 = 1e-12;

#[test]
fn grains_rows_match_numpy_whatever_the_chunking() {
    let want = &numpy_stats()["grains"]["rows"];
    let mut first: Option<serde_json::Map<String, Value>> = None;
    for k in [1, 3, 7] {
        let outs = run("time_series", json!({}), &chunked(&grains(), k));
        let (last, each) = outs.split_last().unwrap();
        assert!(each.iter().all(|e| e.forwards_input() && e.frames().is_empty()));
        let events: Vec<&Value> = each.iter().flat_map(|e| e.events()).collect();
        assert_eq!(events.len(), 256, "one event per row");
        let r = last.results();
        assert_eq!(r["index"], json!((0..256).collect::<Vec<u64>>()));
        for row in 0..256 {
            assert_eq!(r["min"][row], want["min"][row]);
            assert_eq!(r["max"][row], want["max"][row]);
            for f in ["mean", "std"] {
                close(r[f][row].as_f64().unwrap(), want[f][row].as_f64().unwrap(), REL, &format!("{f}[{row}]"));
            }
            let e = events[row];
            assert_eq!((e["kind"].clone(), e["index"].clone()), (json!("trend.frame"), json!(row)));
            assert_eq!(e["mean"], r["mean"][row]);
        }
        // Each slice is reduced on its own: bit-identical across chunkings.
        match &first {
            None => first = Some(r.clone()),
            Some(f) => assert_eq!(f, r, "{k} chunks"),
        }
    }
}

#[test]
fn ihc_rows_per_channel_match_numpy() {
    let want = &numpy_stats()["ihc"]["rows"];
    let outs = run("time_series", json!({}), &chunked(&ihc(), 3));
    let r = outs.last().unwrap().results();
    for row in 0..128 {
        for c in 0..3 {
            assert_eq!(r["min"][row][c], want["min"][row][c]);
            assert_eq!(r["max"][row][c], want["max"][row][c]);
            for f in ["mean", "std"] {
                let (g, w) = (r[f][row][c].as_f64().unwrap(), want[f][row][c].as_f64().unwrap());
                close(g, w, REL, &format!("{f}[{row}][{c}]"));
            }
        }
    }
}

/// A stream of 2-D images (frames `[1, 64, 256]` keyed like a stream):
/// one entry per image; with `over = "frame"` on the same frames the
/// entries coincide. Each image's mean equals the mean of its 64 row means
/// from numpy (rows have equal size), to 1e−12.
#[test]
fn image_stream_gives_one_entry_per_image() {
    let g = grains();
    let frames: Vec<Frame> = (0..4)
        .map(|i| {
            let part = Array::from_bytes(g.dtype(), vec![1, 64, 256], &g.as_bytes()[i * 64 * 256..(i + 1) * 64 * 256])
                .unwrap();
            Frame::new("d", ChunkKey::stream(i as u64)).with_array("image", part)
        })
        .collect();
    let rows = numpy_stats()["grains"]["rows"]["mean"].clone();
    let by_slice = run("time_series", json!({}), &frames).pop().unwrap();
    let by_frame = run("time_series", json!({"over": "frame"}), &frames).pop().unwrap();
    assert_eq!(by_slice.results(), by_frame.results());
    let r = by_slice.results();
    assert_eq!(r["index"], json!([0, 1, 2, 3]));
    for i in 0..4 {
        let want = (0..64).map(|j| rows[i * 64 + j].as_f64().unwrap()).sum::<f64>() / 64.0;
        close(r["mean"][i].as_f64().unwrap(), want, REL, &format!("image {i}"));
        assert_eq!(r["count"][i], 64 * 256);
    }
}

#[test]
fn frame_mode_indexes_by_chunk_offset() {
    let outs = run("time_series", json!({"over": "frame"}), &chunked(&grains(), 3));
    let r = outs.last().unwrap().results();
    assert_eq!(r["index"], json!([0, 85, 170]));
    assert_eq!(r["count"], json!([85 * 256, 85 * 256, 86 * 256]));
}

#[test]
fn slice_mode_needs_the_chunk_axis() {
    let mut h = Harness::new(&plexus_trend::PLUGIN, "time_series", json!({})).unwrap();
    let f = Frame::new("d", ChunkKey::stream(0)).with_array("image", grains());
    assert_eq!(
        h.process(&f).unwrap_err().to_string(),
        "invalid input `image`: expected 1 slice(s) along axis 0, as its chunk key covers (use `over = \"frame\"` \
         for frames without a chunk axis), got 256"
    );
}

#[test]
fn empty_slices_publish_nulls() {
    let f = Frame::new("d", ChunkKey::stream(0)).with_array("image", Array::zeros::<f32>(vec![1, 0]));
    let outs = run("time_series", json!({}), &[f]);
    let r = outs.last().unwrap().results();
    assert_eq!((r["count"].clone(), r["mean"].clone()), (json!([0]), json!([null])));
}
