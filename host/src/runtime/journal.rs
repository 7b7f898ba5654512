//! Checkpoints of resumable outputs, so a killed run (or `plexus serve`
//! after a restart) redoes only the chunks it had not finished.
//!
//! An output written chunk by chunk ([`plexus_io::ChunkWriter`]) keeps its
//! own record of finished chunks, durable chunk by chunk: a Zarr store one
//! atomic file per chunk, NPY and TIFF every whole chunk of their
//! `.partial` file. Beside it the host keeps `<output>.journal`, written
//! when the output is created: what the output is (the dataset spec) and
//! which run writes it (the pipeline, the input file with its size and
//! modification time, the chunk length, every stage's operator and
//! parameters). `plexus run --resume` re-opens an output only when the
//! journal names the same run; a chunk of the input is skipped when every
//! output has it. The journal goes when its output is finished.

use std::io;
use std::path::{Path, PathBuf};

use plexus_io::DatasetSpec;
use plexus_plugin_api::DType;
use serde_json::{json, Map, Value};

use crate::pipeline::Plan;

/// `<output>.journal`.
pub fn path_of(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// What a journal holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Journal {
    /// The run that writes the output.
    pub identity: Value,
    /// The output.
    pub spec: DatasetSpec,
}

impl Journal {
    /// Writes the journal of `output` (atomically: a torn journal is never
    /// read as a good one).
    pub fn write(&self, output: &Path) -> io::Result<()> {
        let doc = json!({
            "journal": 1,
            "identity": self.identity,
            "spec": {
                "shape": self.spec.shape,
                "dtype": self.spec.dtype.to_string(),
                "axes": self.spec.axes,
                "chunk": self.spec.chunk,
                "meta": self.spec.meta,
            },
        });
        let path = path_of(output);
        let tmp = path.with_extension("journal.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n")?;
        std::fs::rename(&tmp, &path)
    }

    /// The journal of `output`, if one is there and reads.
    pub fn read(output: &Path) -> Option<Journal> {
        let text = std::fs::read_to_string(path_of(output)).ok()?;
        let doc: Value = serde_json::from_str(&text).ok()?;
        let s = &doc["spec"];
        let shape: Vec<usize> =
            s["shape"].as_array()?.iter().map(|v| v.as_u64().map(|n| n as usize)).collect::<Option<_>>()?;
        let spec = DatasetSpec {
            shape,
            dtype: DType::parse(s["dtype"].as_str()?)?,
            axes: s["axes"].as_str()?.to_string(),
            chunk: s["chunk"].as_u64()? as usize,
            meta: s["meta"].as_object().cloned().unwrap_or_default(),
        };
        Some(Journal { identity: doc["identity"].clone(), spec })
    }

    /// Removes the journal of `output` (its output is finished or gone).
    pub fn remove(output: &Path) {
        let _ = std::fs::remove_file(path_of(output));
    }
}

/// What makes two runs the same for resuming: the pipeline, the input file
/// (path, size, modification time), the chunk length, and every stage's
/// operator and parameters as written (references unresolved).
pub fn identity(plan: &Plan, chunk: usize) -> Value {
    let input = plan.input.as_ref().map(|i| {
        let meta = std::fs::metadata(&i.path).ok();
        json!({
            "path": i.path,
            "bytes": meta.as_ref().map(|m| m.len()),
            "modified": meta.and_then(|m| m.modified().ok()).map(|t| humantime::format_rfc3339_nanos(t).to_string()),
        })
    });
    let stages: Vec<Value> = plan
        .stages
        .iter()
        .map(|s| json!({ "id": s.id, "use": format!("{}.{}", s.plugin, s.operator), "params": Value::Object(s.params.clone()) }))
        .collect();
    let mut m = Map::new();
    m.insert("pipeline".into(), plan.name.clone().into());
    m.insert("input".into(), input.unwrap_or(Value::Null));
    m.insert("chunk".into(), chunk.into());
    m.insert("stages".into(), Value::Array(stages));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.zarr");
        let j = Journal {
            identity: json!({ "pipeline": "p", "chunk": 4 }),
            spec: DatasetSpec::new(vec![10, 3, 2], DType::F32).with_axes("z y x").with_chunk(4),
        };
        j.write(&out).unwrap();
        assert_eq!(Journal::read(&out), Some(j));
        Journal::remove(&out);
        assert_eq!(Journal::read(&out), None);
        std::fs::write(path_of(&out), "{ torn").unwrap();
        assert_eq!(Journal::read(&out), None, "a torn journal is no journal");
    }
}
