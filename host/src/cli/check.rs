//! `plexus check PIPELINE`: validate without running.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::host::Host;
use crate::pipeline::compile;

/// Arguments of `plexus check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The pipeline file.
    pub pipeline: PathBuf,
    /// Override a parameter: `--set stage.param=value` (repeatable).
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    pub set: Vec<String>,
    #[command(flatten)]
    pub exec: super::ExecArgs,
}

pub(super) fn check(args: CheckArgs, extra: &[PathBuf], events: &Path) -> anyhow::Result<ExitCode> {
    let spec = super::run::load_spec(&args.pipeline, &args.set, None)?;
    let host = Host::start(extra, events, false)?;
    let result = compile(&spec, &args.pipeline, &host.registry);
    host.shutdown();
    let plan = result.map_err(crate::error::HostError::from)?;
    println!("`{}`: pipeline `{}` is valid", args.pipeline.display(), plan.name);
    for s in &plan.stages {
        let reads: Vec<String> = if s.inputs.is_empty() {
            vec![if s.spec.pattern == plexus_registry::Pattern::Source { "(source)".into() } else { "input".into() }]
        } else {
            s.inputs.iter().map(|&i| plan.stages[i].id.clone()).collect()
        };
        println!(
            "  {:<14} {}.{:<20} pattern {:<10} reads {}",
            s.id,
            s.plugin,
            s.operator,
            s.spec.pattern.name(),
            reads.join(", ")
        );
    }
    if let Some(input) = &plan.input {
        if let Ok(info) = plexus_io::inspect(&input.path) {
            let options = args.exec.options();
            let shape = info.shape.clone();
            let bytes: usize = shape.iter().product::<usize>() * info.dtype.map(|d| d.size()).unwrap_or(1);
            let slice = bytes / shape.first().copied().unwrap_or(1).max(1);
            let chunk = input.chunk.unwrap_or_else(|| {
                crate::runtime::sources::auto_chunk(slice, options.memory, plan.memory_factor(), options.threads)
            });
            let chunk_bytes = (slice * chunk).min(bytes);
            let estimate = chunk_bytes as f64 * plan.memory_factor() * options.edge_capacity as f64;
            println!(
                "  input {} {:?} {}: chunks of {} slice(s); estimated peak memory {:.1} MiB (budget {:.0} MiB)",
                input.path.display(),
                shape,
                info.dtype.map(|d| d.to_string()).unwrap_or_else(|| info.stored.clone()),
                chunk,
                estimate / 1048576.0,
                options.memory as f64 / 1048576.0
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
