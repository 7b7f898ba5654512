//! `running_stats` against numpy on real images, across chunkings, and on
//! numerically hard, empty and NaN input.

use plexus_plugin_api::compliance::Harness;
use plexus_plugin_api::{Array, ChunkKey, Frame};
use serde_json::{json, Value};

use super::{chunked, close, grains, ihc, numpy_stats, run};

/// Relative tolerance against numpy for mean, std and var. The data are
/// u8, so every partial sum is an integer below 2⁵³ and exact; what is left
/// is the rounding of a few divisions, merges and a square root (a few ulp,
/// ~1e−15), and numpy's own pairwise rounding. 1e−12 leaves three orders of
/// margin; min, max and count are compared exactly.
const REL: f64 = 1e-12;

fn results(params: Value, frames: &[Frame]) -> serde_json::Map<String, Value> {
    let outs = run("running_stats", params, frames);
    let (last, each) = outs.split_last().unwrap();
    for e in each {
        assert!(e.forwards_input(), "every frame is forwarded");
        assert!(e.frames().is_empty() && e.results().is_empty(), "nothing is emitted before finish");
    }
    assert!(last.frames().is_empty());
    last.results().clone()
}

#[test]
fn grains_matches_numpy_whatever_the_chunking() {
    let want = &numpy_stats()["grains"]["whole"];
    let mut seen = Vec::new();
    for k in [1, 3, 7] {
        let r = results(json!({}), &chunked(&grains(), k));
        assert_eq!(r["count"], want["count"]);
        assert_eq!(r["nan_count"], 0);
        assert_eq!(r["min"], want["min"]);
        assert_eq!(r["max"], want["max"]);
        assert_eq!(r["channels"], 1);
        for f in ["mean", "std", "var"] {
            close(r[f].as_f64().unwrap(), want[f].as_f64().unwrap(), REL, &format!("{f}, {k} chunks"));
        }
        seen.push(r);
    }
    // And between chunkings, to the same tolerance.
    for f in ["mean", "std"] {
        close(seen[2][f].as_f64().unwrap(), seen[0][f].as_f64().unwrap(), REL, f);
    }
}

#[test]
fn ddof_1_matches_numpy_sample_std() {
    let want = numpy_stats()["grains"]["whole"]["std_ddof1"].as_f64().unwrap();
    let r = results(json!({"ddof": 1}), &chunked(&grains(), 3));
    close(r["std"].as_f64().unwrap(), want, REL, "std, ddof 1");
}

#[test]
fn ihc_has_per_channel_statistics_matching_numpy() {
    let want = numpy_stats()["ihc"]["channels"].clone();
    for k in [1, 3, 7] {
        let r = results(json!({}), &chunked(&ihc(), k));
        assert_eq!(r["channels"], 3);
        for c in 0..3 {
            let w = &want[c];
            assert_eq!(r["count"][c], w["count"]);
            assert_eq!(r["min"][c], w["min"]);
            assert_eq!(r["max"][c], w["max"]);
            for f in ["mean", "std", "var"] {
                close(r[f][c].as_f64().unwrap(), w[f].as_f64().unwrap(), REL, &format!("{f}[{c}], {k} chunks"));
            }
        }
    }
}

/// A large offset with a small spread: 100 000 values 1e9 + xᵢ with
/// xᵢ ∈ [0, 1). The stored values are multiples of 2⁻²³ near 1e9 and
/// (1e9 + xᵢ) − 1e9 is exact (Sterbenz), so the expected moments are those
/// of the residuals, computed at small magnitude. The textbook
/// Σx² − (Σx)²/n cancels 1e23 against 1e23 and returns noise (checked
/// below). Without the shift, two-pass blocks and Chan's merge alone lose
/// ~2e−8 relative on the variance (block means rounded to an ulp of 1e9,
/// 1.2e−7); with values shifted by the first one, everything is
/// accumulated at the magnitude of the spread, so the variance holds to
/// 1e−12 relative and the mean to 1e−15 relative (one rounding at 1e9).
#[test]
fn large_offset_small_variance_stays_accurate() {
    let n = 100_000;
    let mut state = 12345u64;
    let data: Vec<f64> = (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            1e9 + (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let resid: Vec<f64> = data.iter().map(|v| v - 1e9).collect();
    let rmean = resid.iter().sum::<f64>() / n as f64;
    let rvar = resid.iter().map(|r| (r - rmean).powi(2)).sum::<f64>() / n as f64;

    let naive_var = {
        let (s, s2) = data.iter().fold((0.0, 0.0), |(s, s2), v| (s + v, s2 + v * v));
        s2 / n as f64 - (s / n as f64).powi(2)
    };
    assert!((naive_var - rvar).abs() > rvar, "the naive formula was expected to fail: {naive_var}");

    let a = Array::from_vec(vec![n], data).unwrap();
    for k in [1, 3, 7] {
        let r = results(json!({}), &chunked(&a, k));
        close(r["mean"].as_f64().unwrap(), 1e9 + rmean, 1e-15, "mean");
        close(r["var"].as_f64().unwrap(), rvar, 1e-12, &format!("var, {k} chunks"));
    }
}

/// Frames without arrays and arrays without elements contribute nothing.
#[test]
fn empty_frames_change_nothing() {
    let mut frames = chunked(&grains(), 3);
    let empty = Frame::new("d", ChunkKey::default());
    let zero = Frame::new("d", ChunkKey::default()).with_array("image", Array::zeros::<u8>(vec![0, 256]));
    frames.insert(0, empty.clone());
    frames.insert(2, zero.clone());
    frames.push(empty.clone());
    let with = results(json!({}), &frames);
    let without = results(json!({}), &chunked(&grains(), 3));
    assert_eq!(with, without);

    let nothing = results(json!({}), &[empty, zero]);
    assert_eq!(nothing["count"], 0);
    for f in ["min", "max", "mean", "std", "var"] {
        assert_eq!(nothing[f], Value::Null, "{f} of nothing");
    }
}

fn with_nans() -> (Vec<Frame>, Vec<f64>) {
    let mut v: Vec<f64> = (0..1000).map(|i| (i % 17) as f64 * 0.25).collect();
    for i in [3, 500, 999] {
        v[i] = f64::NAN;
    }
    let clean: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    (chunked(&Array::from_vec(vec![1000], v).unwrap(), 3), clean)
}

/// `propagate` (default): like `numpy.mean`, NaN in → NaN out (JSON null);
/// `omit`: like `numpy.nanmean`/`nanstd`, compared with the clean values'
/// moments computed here in two passes (tolerance 1e−12 relative).
#[test]
fn nan_policies() {
    let (frames, clean) = with_nans();
    let p = results(json!({}), &frames);
    assert_eq!((p["count"].clone(), p["nan_count"].clone()), (json!(1000), json!(3)));
    assert_eq!((p["mean"].clone(), p["std"].clone(), p["min"].clone()), (Value::Null, Value::Null, Value::Null));

    let o = results(json!({"nan_policy": "omit"}), &frames);
    let n = clean.len() as f64;
    let mean = clean.iter().sum::<f64>() / n;
    let std = (clean.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    close(o["mean"].as_f64().unwrap(), mean, 1e-12, "nanmean");
    close(o["std"].as_f64().unwrap(), std, 1e-12, "nanstd");
    assert_eq!((o["min"].clone(), o["max"].clone()), (json!(0.0), json!(4.0)));

    let mut h = Harness::new(&plexus_trend::PLUGIN, "running_stats", json!({"nan_policy": "raise"})).unwrap();
    let err = h.process(&frames[0]).unwrap_err();
    assert_eq!(err.to_string(), "invalid input `image`: expected no NaN (`nan_policy` is `raise`), got NaN");
}

#[test]
fn changing_channel_count_is_refused() {
    let mut h = Harness::new(&plexus_trend::PLUGIN, "running_stats", json!({})).unwrap();
    h.process(&chunked(&ihc(), 1)[0]).unwrap();
    let err = h.process(&chunked(&grains(), 1)[0]).unwrap_err();
    assert_eq!(err.to_string(), "invalid input `image`: expected 3 channel(s), as earlier frames had, got 1");
}

/// A hot reload mid-stream keeps the statistics: the restored instance
/// finishes with exactly the results of an uninterrupted one.
#[test]
fn snapshot_carries_statistics_across_reload() {
    let frames = chunked(&ihc(), 7);
    let new = &plexus_trend::PLUGIN;
    let mut old = Harness::new(new, "running_stats", json!({})).unwrap();
    for f in &frames[..4] {
        old.process(f).unwrap();
    }
    let mut fresh = Harness::new(new, "running_stats", json!({})).unwrap();
    fresh.restore(&old.snapshot().unwrap().unwrap()).unwrap();
    for f in &frames[4..] {
        fresh.process(f).unwrap();
    }
    assert_eq!(fresh.finish().unwrap().results(), &results(json!({}), &frames));
}
