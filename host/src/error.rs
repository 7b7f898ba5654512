//! The host's errors: one enum, [`HostError`], for what stops a command or a
//! job (an input with its path, a stage with its id, an output with its
//! path, the pipeline file), and the typed causes below it. The CLI prints
//! the chain, one cause per line (`error: … / caused by: …`).
//!
//! Errors that do not stop a run — a failed frame, a stage that could not
//! start, an output that could not be written — are reported as events and
//! in the run report, with the same types.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plexus_plugin_api::PluginError;
use plexus_registry::RegistryError;

use crate::pipeline::{compile::CompileErrors, spec::SpecError};

/// What stops a command or a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The pipeline file could not be read or parsed.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The pipeline does not check against the plugins.
    #[error(transparent)]
    Compile(#[from] CompileErrors),
    /// The input could not be opened or read.
    #[error("input `{}`", path.display())]
    Input {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: InputError,
    },
    /// A stage failed as a whole (not one frame).
    #[error("stage `{id}`")]
    Stage {
        /// Stage id.
        id: String,
        /// Why.
        #[source]
        source: StageError,
    },
    /// An output could not be written.
    #[error("output `{}`", path.display())]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Arc<OutputError>,
    },
    /// The operating system refused something the host needs: a thread, the
    /// event log, the spill folder, a state file.
    #[error("cannot {action} `{}`", path.display())]
    System {
        /// What was being done (`start the thread`, `open the event log`).
        action: &'static str,
        /// What it concerned (a thread name, a file).
        path: PathBuf,
        /// The operating system's answer.
        #[source]
        source: std::io::Error,
    },
    /// A command-line value that does not parse.
    #[error("{flag} `{value}`: {expected}")]
    Argument {
        /// The flag (`--sweep`, `--set`).
        flag: &'static str,
        /// The value given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// An environment variable with a value the host cannot use.
    #[error("`{var}`: {message}")]
    Environment {
        /// The variable.
        var: &'static str,
        /// What was expected and what was found.
        message: String,
    },
    /// The config file (`$PLEXUS_CONFIG`, `~/.config/plexus/config.toml`)
    /// cannot be used.
    #[error("{0}")]
    Config(String),
    /// The plugin registry refused something (watching its folders).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// `--resume` asked of a run that cannot skip chunks.
    #[error("cannot resume")]
    Resume(#[from] ResumeError),
}

impl HostError {
    /// An input error at `path`.
    pub fn input(path: &Path, source: impl Into<InputError>) -> HostError {
        HostError::Input { path: path.to_path_buf(), source: source.into() }
    }

    /// The operating system refused `action` on `path`.
    pub fn system(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> HostError {
        HostError::System { action, path: path.into(), source }
    }

    /// The chain of causes, outermost first, as the CLI prints it.
    pub fn chain(&self) -> Vec<String> {
        chain(self)
    }
}

/// `error` and its causes, outermost first, each once: a cause whose text
/// the line above already ends with (an I/O error quoted by the error that
/// wraps it) is not repeated.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cause = Some(error);
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.last().is_some_and(|above| above.ends_with(&text)) {
            out.push(text);
        }
        cause = c.source();
    }
    out
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The reader refused it.
    #[error(transparent)]
    Io(#[from] plexus_io::IoError),
    /// `[input] select` reads HDF5 image sets, and HDF5 is not built in.
    #[error("`select` reads HDF5 image sets, and this plexus was built without its `hdf5` feature")]
    NoHdf5,
    /// A chunk does not make an array of the dataset's shape.
    #[error(transparent)]
    Array(#[from] plexus_plugin_api::ArrayError),
    /// `[input] preview` does not fit the dataset.
    #[error("`preview`: {0}")]
    Preview(String),
}

/// Why a stage failed as a whole.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StageError {
    /// No instance of its operator could be built.
    #[error(transparent)]
    Start(#[from] RegistryError),
    /// A `${stage.key}` reference was never published.
    #[error("parameter `{param}`: stage `{stage}` finished without publishing `{key}`")]
    Unpublished {
        /// The parameter.
        param: String,
        /// The referenced stage.
        stage: String,
        /// The missing key.
        key: String,
    },
    /// A referenced value does not fit the parameter.
    #[error("parameter `{param}` from `${{…{key}}}`: {message}")]
    BadReference {
        /// The parameter.
        param: String,
        /// The referenced key.
        key: String,
        /// What the manifest expects.
        message: String,
    },
    /// `finish` failed.
    #[error("finish failed: {0}")]
    Finish(PluginError),
    /// A frame parked while the stage waited for a `${stage.key}` result
    /// could not be written to or read from the spill folder.
    #[error("cannot park frames in the spill folder `{}`: {error}", dir.display())]
    Park {
        /// The spill folder.
        dir: std::path::PathBuf,
        /// What the file system said.
        error: std::sync::Arc<std::io::Error>,
    },
    /// A source failed three times in a row.
    #[error("the source failed {0} times in a row; ending its stream")]
    SourceFailing(u32),
    /// The thread that calls a native instance under its deadline could
    /// not start.
    #[error("cannot start the call thread: {0}")]
    CallThread(std::sync::Arc<std::io::Error>),
    /// A call ran past its deadline; its instance was abandoned.
    #[error("timeout: stage `{stage}` (`{uses}`) did not return from {} within {}; the call was abandoned and the stage stopped", call_name(*seq), humantime::format_duration(*after))]
    Timeout {
        /// Stage id.
        stage: String,
        /// `plugin.operator`.
        uses: String,
        /// The stage's input frame; `None`: `finish`.
        seq: Option<u64>,
        /// The deadline.
        after: std::time::Duration,
    },
    /// A call was still running when the job abandoned its calls (a
    /// signal's grace ran out).
    #[error("abandoned: stage `{stage}` (`{uses}`) was still in {} when the signal's grace ran out", call_name(*seq))]
    Abandoned {
        /// Stage id.
        stage: String,
        /// `plugin.operator`.
        uses: String,
        /// The stage's input frame; `None`: `finish`.
        seq: Option<u64>,
    },
}

impl StageError {
    /// The machine-readable kind of error, where scripts need one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            StageError::Timeout { .. } => Some("timeout"),
            StageError::Abandoned { .. } => Some("abandoned"),
            _ => None,
        }
    }
}

/// `frame 3`, or `finish`.
fn call_name(seq: Option<u64>) -> String {
    seq.map(|s| format!("frame {s}")).unwrap_or_else(|| "finish".into())
}

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The writer refused it.
    #[error(transparent)]
    Io(#[from] plexus_io::IoError),
    /// The folder could not be made.
    #[error("cannot create `{}`: {source}", dir.display())]
    CreateDir {
        /// The folder.
        dir: PathBuf,
        /// The operating system's answer.
        source: std::io::Error,
    },
    /// A frame lacks the array the output writes.
    #[error("frame {seq}: {source}")]
    Frame {
        /// The frame's position in the stage's stream.
        seq: u64,
        /// What the frame said.
        source: PluginError,
    },
    /// The stage sent nothing.
    #[error("the stage emitted no frame to write")]
    Empty,
    /// A frame does not fit the output's layout.
    #[error("frame {seq}: {message}")]
    Layout {
        /// The frame's position.
        seq: u64,
        /// Expected and found.
        message: String,
    },
    /// The stream does not fit the output (a scan without projections,
    /// frames out of order); the message says what was expected.
    #[error("{0}")]
    Refused(String),
    /// The host was built without the writer this output needs.
    #[error("{0}")]
    Unavailable(&'static str),
    /// The run ended before every chunk was written (it was cancelled); the
    /// partial output stays for `--resume`.
    #[error("{missing} of {chunks} chunk(s) were not written; the partial output is kept: rerun with `--resume` to finish it")]
    Incomplete {
        /// Chunks missing.
        missing: usize,
        /// Chunks of the output.
        chunks: usize,
    },
    /// The output was written, but its sidecar (results and provenance)
    /// could not be.
    #[error("cannot write the sidecar `{}`: {source}; the output is there, its results and provenance are not", path.display())]
    Sidecar {
        /// The sidecar file.
        path: PathBuf,
        /// The operating system's answer.
        source: std::io::Error,
    },
    /// The journal of finished chunks could not be kept.
    #[error("journal `{}`: {source}", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// The operating system's answer.
        source: std::io::Error,
    },
}

/// Why `--resume` cannot skip finished chunks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// A stage keeps state across chunks.
    #[error("stage `{stage}` (`{uses}`) keeps state across chunks, so skipping finished chunks would change its result; run without `--resume`")]
    Stateful {
        /// Stage id.
        stage: String,
        /// `plugin.operator`.
        uses: String,
    },
    /// An output format that cannot be written chunk by chunk in place.
    #[error("output `{}` cannot be resumed: only .npy, .tif and .zarr outputs record finished chunks", path.display())]
    Format {
        /// The output.
        path: PathBuf,
    },
    /// The pipeline reads no chunked input.
    #[error("the pipeline reads no chunked input file")]
    NoInput,
    /// The pipeline writes no output to resume.
    #[error("the pipeline writes no output")]
    NoOutput,
    /// A reslice needs every upstream chunk again.
    #[error("stage `{stage}` reads a reslice, which needs every upstream chunk; run without `--resume`")]
    Resliced {
        /// The stage after the reslice.
        stage: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_lists_causes_outermost_first() {
        let e = HostError::Stage {
            id: "recon".into(),
            source: StageError::Unpublished { param: "center".into(), stage: "find".into(), key: "center".into() },
        };
        assert_eq!(
            e.chain(),
            vec![
                "stage `recon`".to_string(),
                "parameter `center`: stage `find` finished without publishing `center`".to_string()
            ]
        );
    }
}
