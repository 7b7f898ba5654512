//! `plexus check PIPELINE`: validate without running.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::host::Host;
use crate::pipeline::compile;
use crate::runtime::schedule::Schedule;

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
    let options = args.exec.options();
    let source = match crate::runtime::sources::Source::open(plan.input.as_ref()) {
        Ok(source) => source,
        Err(e) => {
            println!("  the input cannot be opened, so there is no memory estimate: {}", e.chain().join(": "));
            return Ok(ExitCode::SUCCESS);
        }
    };
    let schedule = Schedule::new(
        &[&plan],
        source.info(),
        plan.input.as_ref().and_then(|i| i.chunk),
        options.memory,
        options.threads,
        options.spill.clone(),
    );
    println!("plan:");
    for line in schedule.describe() {
        println!("  {line}");
    }
    Ok(ExitCode::SUCCESS)
}
