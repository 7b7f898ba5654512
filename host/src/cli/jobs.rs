//! `plexus jobs`: the service's jobs, one line each (or `--json`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::client::{self, Client};

/// Arguments of `plexus jobs`.
#[derive(Args, Debug)]
pub struct JobsArgs {
    /// The service.
    #[arg(long, default_value = "http://127.0.0.1:8750")]
    pub server: String,
    /// File holding the API token [default: $PLEXUS_TOKEN, else
    /// $PLEXUS_HOME/token].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The server's JSON as it is.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn jobs(args: JobsArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new(&args.server, client::token(args.token_file.as_deref())?)?;
    let v = c.get_json("/v1/jobs")?;
    if args.json {
        println!("{v:#}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<14} {:<10} {:<16} {:>13}  created", "id", "state", "pipeline", "chunks");
    for j in v["jobs"].as_array().into_iter().flatten() {
        let p = &j["progress"];
        println!(
            "{:<14} {:<10} {:<16} {:>13}  {}",
            j["id"].as_str().unwrap_or(""),
            j["state"].as_str().unwrap_or(""),
            j["pipeline"].as_str().unwrap_or("(inline)"),
            format!("{}/{}", p["chunks_done"], p["chunks_total"]),
            j["created"].as_str().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}
