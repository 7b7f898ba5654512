//! `trend.set_stats`: statistics over an image set, computed in batches and
//! checkpointed after each batch, so an interrupted run resumes where it
//! stopped instead of starting over.
//!
//! # Parameters
//!
//! - `batch` (int ≥ 1, default 16): images per batch; the checkpoint is
//!   rewritten after each.
//! - `checkpoint` (path, default `""` = none): where the committed state is
//!   kept. If it exists when the operator starts, its images are skipped.
//! - `ddof`, `nan_policy`: as [`running_stats`](crate::running_stats).
//!
//! # Input and output
//!
//! An image is one index along axis 0 of a frame's first array (a `[n, y, x]`
//! chunk holds `n` images, numbered from its `ChunkKey` offset), or a whole
//! 2-D frame (numbered in arrival order). Frames are forwarded.
//! At `finish` the last partial batch is committed and results are
//! published: the set's `count`, `nan_count`, `min`, `max`, `mean`, `std`,
//! `var` (per channel as in `running_stats`), and `images` (in the set),
//! `resumed_from` (the image index the run resumed at), `batches` (committed
//! in this run), and per-image `image_mean` (a list in image order). Images
//! must arrive in increasing index order; a gap (an unreadable file of a
//! batch) is allowed and simply not counted.
//!
//! # Resuming
//!
//! The checkpoint records the dataset id, the dtype, the first image's shape and the
//! state after the last full batch (moments stored bit-exactly). A run with
//! a checkpoint skips images with an index below its `next_index`, so the
//! resumed result equals an uninterrupted one bit for bit as long as the set
//! is delivered in the same order. A checkpoint made for another dataset or
//! dtype is refused with a message saying which.
//!
//! # Method
//!
//! Per-image moments are two-pass blocks merged pairwise; batch and set
//! totals are merged with Chan, Golub & LeVeque's formula (see
//! [`crate::moments`]).

use std::path::PathBuf;

use plexus_plugin_api::{ArrayView, Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::moments::{self, Moments, NanPolicy, Summary, DDOF_DOC, NAN_POLICY_DOC};
use crate::running_stats::{check_channels, check_nan};

const FORMAT: &str = "plexus-trend/set-stats-checkpoint";
const VERSION: u64 = 1;

/// Committed or pending statistics of a run of images.
#[derive(Debug, Clone, Default, PartialEq)]
struct Tally {
    images: u64,
    moments: Vec<Moments>,
    image_means: Vec<f64>,
}

impl Tally {
    fn add(&mut self, m: Vec<Moments>, image_mean: f64) {
        if self.moments.is_empty() {
            self.moments = m;
        } else {
            for (acc, p) in self.moments.iter_mut().zip(m) {
                *acc = acc.merge(p);
            }
        }
        self.images += 1;
        self.image_means.push(image_mean);
    }

    fn absorb(&mut self, other: Tally) {
        if self.moments.is_empty() {
            self.moments = other.moments;
        } else {
            for (acc, p) in self.moments.iter_mut().zip(other.moments) {
                *acc = acc.merge(p);
            }
        }
        self.images += other.images;
        self.image_means.extend(other.image_means);
    }
}

/// Statistics over an image set, resumable.
#[derive(Debug)]
pub struct SetStats {
    batch: u64,
    checkpoint: Option<PathBuf>,
    ddof: u64,
    nan_policy: NanPolicy,
    channels: Option<usize>,
    /// Dataset id, image shape and dtype of the set, fixed by its first image.
    identity: Option<(String, Vec<usize>, String)>,
    committed: Tally,
    pending: Tally,
    resumed_from: u64,
    /// Index after the last committed image (where a resumed run goes on).
    committed_next: u64,
    batches: u64,
    /// Images are expected in order from this index on.
    next_index: u64,
    /// Images seen in this run, for numbering whole-image frames.
    arrivals: u64,
}

/// Parameters of `set_stats`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SetStatsParams {
    /// Images per batch; the checkpoint is rewritten after each.
    pub batch: u64,
    /// Checkpoint file; if it exists its images are skipped. Empty: none.
    pub checkpoint: String,
    /// Delta degrees of freedom: `std = √(M2 / (n − ddof))`.
    pub ddof: u64,
    /// What a NaN in the data does to the statistics.
    pub nan_policy: NanPolicy,
}

impl Default for SetStatsParams {
    fn default() -> Self {
        SetStatsParams { batch: 16, checkpoint: String::new(), ddof: 0, nan_policy: NanPolicy::Propagate }
    }
}

impl Params for SetStatsParams {
    const TABLE: &'static [Param] = &[
        Param::new("batch", "images per batch; the checkpoint is rewritten after each").min(1.0),
        Param::new("checkpoint", "checkpoint file; if it exists its images are skipped (resume); empty: none"),
        Param::new("ddof", DDOF_DOC),
        Param::new("nan_policy", NAN_POLICY_DOC),
    ];
}

impl SetStats {
    /// Builds the operator, loading the checkpoint if one exists.
    pub fn new(p: SetStatsParams, _ctx: &Context) -> Result<SetStats, PluginError> {
        let mut op = SetStats {
            batch: p.batch,
            checkpoint: (!p.checkpoint.is_empty()).then(|| PathBuf::from(&p.checkpoint)),
            ddof: p.ddof,
            nan_policy: p.nan_policy,
            channels: None,
            identity: None,
            committed: Tally::default(),
            pending: Tally::default(),
            resumed_from: 0,
            committed_next: 0,
            batches: 0,
            next_index: 0,
            arrivals: 0,
        };
        if let Some(path) = op.checkpoint.clone() {
            if path.exists() {
                op.load(&path)?;
            }
        }
        Ok(op)
    }

    fn load(&mut self, path: &std::path::Path) -> Result<(), PluginError> {
        let bad = |why: String| {
            PluginError::bad_parameter(
                "checkpoint",
                format!("a checkpoint to resume from at `{}`", path.display()),
                why,
            )
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        if v["format"] != FORMAT {
            return Err(bad(format!("it is not a `{FORMAT}` file")));
        }
        if v["version"] != VERSION {
            return Err(bad(format!("it is version {} and this plugin reads version {VERSION}", v["version"])));
        }
        let tally = (|| {
            let moments = v["moments"].as_array()?.iter().map(Moments::from_json).collect::<Option<Vec<_>>>()?;
            let image_means = v["image_means"]
                .as_array()?
                .iter()
                .map(|x| x.as_u64().map(f64::from_bits))
                .collect::<Option<Vec<_>>>()?;
            Some(Tally { images: v["images_done"].as_u64()?, moments, image_means })
        })()
        .ok_or_else(|| bad("a field is missing or malformed".into()))?;
        let dataset = v["dataset"].as_str().unwrap_or_default().to_string();
        let shape: Vec<usize> = serde_json::from_value(v["image_shape"].clone()).map_err(|e| bad(e.to_string()))?;
        let dtype = v["dtype"].as_str().unwrap_or_default().to_string();
        self.identity = Some((dataset, shape, dtype));
        self.channels = v["channels"].as_u64().map(|c| c as usize);
        let next = v["next_index"].as_u64().unwrap_or(tally.images);
        self.resumed_from = next;
        self.committed_next = next;
        self.next_index = next;
        self.committed = tally;
        Ok(())
    }

    fn save(&self) -> Result<(), PluginError> {
        let Some(path) = &self.checkpoint else { return Ok(()) };
        let (dataset, shape, dtype) = self.identity.clone().unwrap_or_default();
        let doc = json!({
            "format": FORMAT,
            "version": VERSION,
            "dataset": dataset,
            "image_shape": shape,
            "dtype": dtype,
            "channels": self.channels,
            "images_done": self.committed.images,
            "next_index": self.committed_next,
            "moments": self.committed.moments.iter().map(Moments::to_json).collect::<Vec<_>>(),
            "image_means": self.committed.image_means.iter().map(|m| m.to_bits()).collect::<Vec<_>>(),
        });
        // Written beside the target and renamed, so a crash mid-write leaves
        // the previous checkpoint intact.
        let tmp = path.with_extension("partial");
        let io = |e: std::io::Error| PluginError::failed(format!("cannot write checkpoint `{}`: {e}", path.display()));
        std::fs::write(&tmp, doc.to_string()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    fn commit(&mut self) -> Result<(), PluginError> {
        if self.pending.images == 0 {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        self.committed.absorb(batch);
        self.committed_next = self.next_index;
        self.batches += 1;
        self.save()
    }

    fn check_identity(&mut self, dataset: &str, view: &ArrayView<'_>, per_image: &[usize]) -> Result<(), PluginError> {
        let id = (dataset.to_string(), per_image.to_vec(), view.dtype().to_string());
        match &self.identity {
            None => {
                self.identity = Some(id);
                Ok(())
            }
            // Images of a set may differ in size; dataset and dtype may not.
            Some(known) if known.0 == id.0 && known.2 == id.2 => Ok(()),
            Some((d, _, t)) => Err(PluginError::bad_input(
                "",
                format!(
                    "images continuing the set of `{d}` with dtype `{t}`{}",
                    if self.resumed_from > 0 { " recorded in the checkpoint (delete it to start over)" } else { "" }
                ),
                format!("images of dataset `{}` with dtype `{}`", id.0, id.2),
            )),
        }
    }
}

impl Operator for SetStats {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let Ok((name, view)) = input.first() else { return Ok(()) };
        if view.is_empty() {
            return Ok(());
        }
        let key = input.key();
        let shape = view.shape();
        // A chunk of a stack holds `length` images along axis 0; a 2-D frame
        // is one image.
        let (count, per_image, first_index) = if shape.len() >= 3 && shape[0] as u64 == key.length {
            (shape[0], &shape[1..], key.offset)
        } else {
            // A whole image per frame, numbered in arrival order.
            (1, shape, self.arrivals)
        };
        self.arrivals += count as u64;
        self.check_identity(input.dataset(), &view, per_image)?;
        let channels = moments::channels(&view);
        check_channels(&mut self.channels, name, channels)?;
        let image_len = view.len() / count;
        for i in 0..count {
            let index = first_index + i as u64;
            if index < self.resumed_from {
                continue; // already in the checkpoint
            }
            // Gaps are images missing from the set (an unreadable file of a
            // batch); going back would count an image twice.
            if index < self.next_index {
                return Err(PluginError::bad_input(
                    "",
                    format!("images in order (set statistics): image {} or later", self.next_index),
                    format!("image {index} after image {}", self.next_index - 1),
                ));
            }
            let shifts: Option<Vec<f64>> = (!self.committed.moments.is_empty())
                .then(|| self.committed.moments.iter().map(|m| m.shift).collect())
                .or_else(|| {
                    (!self.pending.moments.is_empty()).then(|| self.pending.moments.iter().map(|m| m.shift).collect())
                });
            let m = moments::per_channel(&view, channels, i * image_len..(i + 1) * image_len, shifts.as_deref());
            check_nan(self.nan_policy, name, &m)?;
            let whole = m.iter().fold(Moments { shift: m[0].shift, ..Moments::EMPTY }, |a, b| a.merge(*b));
            self.pending.add(m, whole.value_mean());
            self.next_index = index + 1;
            if self.pending.images == self.batch {
                self.commit()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        self.commit()?;
        let summaries: Vec<Summary> = if self.committed.moments.is_empty() {
            vec![Summary::of(&Moments::EMPTY, self.ddof, self.nan_policy)]
        } else {
            self.committed.moments.iter().map(|m| Summary::of(m, self.ddof, self.nan_policy)).collect()
        };
        for field in moments::FIELDS {
            out.result(field, moments::field_over_channels(&summaries, field));
        }
        out.result("channels", self.channels.unwrap_or(1));
        out.result("images", self.committed.images);
        out.result("resumed_from", self.resumed_from);
        out.result("batches", self.batches);
        out.result("image_mean", self.committed.image_means.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_plugin_api::compliance::Harness;
    use plexus_plugin_api::{Array, ChunkKey, Frame};

    fn images(n: usize) -> Vec<Vec<u16>> {
        (0..n).map(|k| (0..48).map(|i| ((i * 37 + k * 1013) % 4099) as u16).collect()).collect()
    }

    /// Frames of `chunk` images each, `[len, 6, 8]`.
    fn frames(set: &[Vec<u16>], chunk: usize) -> Vec<Frame> {
        set.chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let data: Vec<u16> = part.concat();
                let key = ChunkKey {
                    axis: 0,
                    offset: (c * chunk) as u64,
                    length: part.len() as u64,
                    extent: set.len() as u64,
                };
                Frame::new("set", key).with_array("image", Array::from_vec(vec![part.len(), 6, 8], data).unwrap())
            })
            .collect()
    }

    /// Two-pass mean and population std in f64: the independent reference.
    fn reference(set: &[Vec<u16>]) -> (f64, f64) {
        let all: Vec<f64> = set.iter().flatten().map(|&v| v as f64).collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let var = all.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / all.len() as f64;
        (mean, var.sqrt())
    }

    fn run(frames: &[Frame], params: Value) -> serde_json::Map<String, Value> {
        let mut h = Harness::new(&crate::PLUGIN, "set_stats", params.clone()).unwrap();
        for f in frames {
            h.process(f).unwrap();
        }
        h.finish().unwrap().results().clone()
    }

    #[test]
    fn same_for_any_chunking_and_matches_two_pass() {
        let set = images(10);
        let (mean, std) = reference(&set);
        for chunk in [1, 3, 7] {
            let r = run(&frames(&set, chunk), json!({ "batch": 4 }));
            assert!((r["mean"].as_f64().unwrap() - mean).abs() <= 1e-12 * mean, "chunk {chunk}");
            assert!((r["std"].as_f64().unwrap() - std).abs() <= 1e-12 * std, "chunk {chunk}");
            assert_eq!(r["images"], 10);
            assert_eq!(r["batches"], 3);
            assert_eq!(r["image_mean"].as_array().unwrap().len(), 10);
        }
    }

    #[test]
    fn an_interrupted_run_resumes_from_its_checkpoint() {
        let dir = std::env::temp_dir().join(format!("plexus-set-stats-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ck = dir.join("set.ckpt.json");
        let _ = std::fs::remove_file(&ck);
        let set = images(10);
        let fs = frames(&set, 1);
        let params = json!({ "batch": 3, "checkpoint": ck.to_str().unwrap() });

        // First run: 7 images, then the process "dies" (no finish).
        let mut h = Harness::new(&crate::PLUGIN, "set_stats", params.clone()).unwrap();
        for f in &fs[..7] {
            h.process(f).unwrap();
        }
        drop(h);
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&ck).unwrap()).unwrap();
        assert_eq!(saved["images_done"], 6, "two full batches were committed");

        // Second run: the whole set again; the first 6 come from the checkpoint.
        let resumed = run(&fs, params);
        let _ = std::fs::remove_file(&ck);
        let full = run(&fs, json!({ "batch": 3 }));
        assert_eq!(resumed["resumed_from"], 6);
        for key in ["count", "min", "max", "mean", "std", "var", "images", "image_mean"] {
            assert_eq!(resumed[key], full[key], "{key} must equal an uninterrupted run bit for bit");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_checkpoint_of_another_set_is_refused() {
        let dir = std::env::temp_dir().join(format!("plexus-set-stats-other-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ck = dir.join("c.json");
        let params = json!({ "batch": 1, "checkpoint": ck.to_str().unwrap() });
        run(&frames(&images(2), 1), params.clone());
        let mut h = Harness::new(&crate::PLUGIN, "set_stats", params.clone()).unwrap();
        let other = Frame::new("other", ChunkKey { axis: 0, offset: 2, length: 1, extent: 3 })
            .with_array("image", Array::from_vec(vec![1, 6, 8], vec![0u16; 48]).unwrap());
        let e = h.process(&other).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid input: expected images continuing the set of `set` with dtype `u16` recorded in the checkpoint (delete it to start over), got images of dataset `other` with dtype `u16`"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn complies() {
        let set = images(5);
        plexus_plugin_api::compliance::check_operator(
            &crate::PLUGIN,
            "set_stats",
            json!({ "batch": 2 }),
            &frames(&set, 2),
        )
        .unwrap();
    }
}
