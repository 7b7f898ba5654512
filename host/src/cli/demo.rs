//! `plexus demo`: writes the embedded sample image and demo pipeline into a
//! folder and runs it, so a new user sees a real pipeline work end to end;
//! then the tomography demo ([`super::demo_tomo`]): a simulated scan
//! reconstructed by `examples/tomo.toml`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::host::Host;
use crate::pipeline::{compile, PipelineSpec};

const PIPELINE: &str = include_str!("../../../examples/demo.toml");
const GRAINS: &[u8] = include_bytes!("../../../examples/data/grains.tif");
const SOURCES: &str = include_str!("../../../examples/data/SOURCES.md");

/// Arguments of `plexus demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder to write the sample data, pipeline and outputs into.
    #[arg(long, default_value = "plexus-demo")]
    pub out: PathBuf,
    #[command(flatten)]
    pub exec: super::ExecArgs,
}

pub(super) fn demo(args: DemoArgs, extra: &[PathBuf], events: &Path) -> anyhow::Result<ExitCode> {
    let data = args.out.join("data");
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create `{}`", data.display()))?;
    std::fs::write(data.join("grains.tif"), GRAINS)?;
    std::fs::write(data.join("SOURCES.md"), SOURCES)?;
    let file = args.out.join("demo.toml");
    std::fs::write(&file, PIPELINE)?;
    println!("demo: {} (sample image: {})", file.display(), data.join("grains.tif").display());
    println!();

    let spec = PipelineSpec::parse(&file, PIPELINE)?;
    let host = Host::start(extra, events, false)?;
    let plan = match compile(&spec, &file, &host.registry) {
        Ok(p) => p,
        Err(e) => {
            let missing = host.registry.plugins().is_empty();
            host.shutdown();
            if missing {
                anyhow::bail!(
                    "{e}\nno plugins were found: build them with `./plexus.sh demo` (or set PLEXUS_PLUGIN_PATH to a folder of packaged plugins)"
                );
            }
            return Err(crate::error::HostError::from(e).into());
        }
    };
    let options = args.exec.options();
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = crate::runtime::Job::start(plan, host.registry.clone(), host.bus.clone(), options).and_then(|job| {
        if progress {
            super::run::watch(job)
        } else {
            job.wait()
        }
    });
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            host.shutdown();
            return Err(e.into());
        }
    };
    super::run::print_report(&report);
    let tomo = super::demo_tomo::tomo(&args.out, &host, &args.exec);
    host.shutdown();
    let errors = report.errors() + tomo?.errors;
    Ok(if errors > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
