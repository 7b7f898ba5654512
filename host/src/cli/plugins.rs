//! `plexus plugins list|pack`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::json;

use crate::host::Host;

/// Plugin commands.
#[derive(Subcommand, Debug)]
pub enum PluginsCommand {
    /// Loaded plugins with their operators, and every rejected artifact with its reason.
    List {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Copy an artifact beside its manifest into a folder, with the sha256 filled in.
    Pack {
        /// The plugin's `plugin.toml`.
        manifest: PathBuf,
        /// The built artifact (`.so`).
        #[arg(long)]
        artifact: PathBuf,
        /// Destination folder (a plugins folder's subfolder).
        #[arg(long)]
        out: PathBuf,
    },
}

pub(super) fn plugins(cmd: PluginsCommand, extra: &[PathBuf], events: &Path) -> anyhow::Result<ExitCode> {
    match cmd {
        PluginsCommand::Pack { manifest, artifact, out } => {
            let written = plexus_registry::pack(&manifest, &artifact, &out)?;
            println!("{}", written.display());
            Ok(ExitCode::SUCCESS)
        }
        PluginsCommand::List { json } => {
            let host = Host::start(extra, events, false)?;
            // Everything listed is verified, not only what a pipeline used.
            host.registry.load_all();
            let plugins = host.registry.plugins();
            let rejected = host.registry.rejected();
            let mapped = host.registry.mapped_versions();
            let roots = host.registry.roots().to_vec();
            host.shutdown();
            if json {
                let doc = json!({
                    "search_path": roots,
                    "mapped_versions": mapped,
                    "plugins": plugins.iter().map(|p| json!({
                        "name": p.name(), "version": p.version().to_string(), "tier": p.manifest.plugin.kind.to_string(),
                        "folder": p.folder(), "sha256": p.sha256,
                        "sandbox": p.sandbox_limits(),
                        "operators": p.manifest.operators.iter().map(|o| json!({
                            "name": o.name, "pattern": o.pattern.name(), "summary": o.summary,
                            "params": o.params.keys().collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "rejected": rejected.iter().map(|r| json!({
                        "manifest": r.manifest, "name": r.name, "reason": r.reason.kind(), "message": r.reason.to_string(),
                    })).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("search path: {}", roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(":"));
            println!("{} plugin(s), {} version(s) mapped", plugins.len(), mapped);
            for p in &plugins {
                println!();
                println!("{} {} ({}) — {}", p.name(), p.version(), p.manifest.plugin.kind, p.folder().display());
                if !p.manifest.plugin.description.is_empty() {
                    println!("  {}", p.manifest.plugin.description);
                }
                if let Some(l) = p.sandbox_limits() {
                    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
                    println!(
                        "  sandbox: memory {} MiB, deadline {} ms per call, output {} MiB per call; capabilities a pipeline may grant: {} (asked: {})",
                        l.memory_mib,
                        l.deadline_ms,
                        l.output_mib,
                        list(&l.granted),
                        list(&l.requested)
                    );
                }
                for o in &p.manifest.operators {
                    let params: Vec<&str> = o.params.keys().map(String::as_str).collect();
                    println!("  {}.{:<18} {:<10} {}", p.name(), o.name, o.pattern.name(), o.summary);
                    if !params.is_empty() {
                        println!("      params: {}", params.join(", "));
                    }
                }
            }
            if !rejected.is_empty() {
                println!();
                println!("rejected:");
                for r in &rejected {
                    println!("  {}: {}", r.manifest.display(), r.reason);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
