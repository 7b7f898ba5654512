//! Command-line interface: argument definitions (clap) and one module per
//! command. Arguments are validated first, with no I/O, then acted on.

mod check;
mod client;
mod demo;
mod demo_tomo;
mod events;
mod inspect;
mod jobs;
mod new_plugin;
mod plugins;
mod run;
mod serve;
mod signals;
mod submit;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Plexus: a plugin host for scientific image analysis.
#[derive(Parser, Debug)]
#[command(name = "plexus", version, about, long_about = None)]
pub struct Cli {
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Extra plugin folder searched first (repeatable).
    #[arg(long = "plugins", global = true, value_name = "DIR")]
    pub plugins: Vec<PathBuf>,
    /// Event log file [default: $PLEXUS_HOME/events.jsonl, else .plexus/events.jsonl].
    #[arg(long, global = true, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a pipeline on its input and write its outputs.
    Run(run::RunArgs),
    /// Validate a pipeline without running it.
    Check(check::CheckArgs),
    /// Run as a daemon: process every dataset dropped into a folder, and
    /// with `--http` serve the HTTP API (docs/API.md).
    Serve(serve::ServeArgs),
    /// Upload a dataset to `plexus serve --http`, run a pipeline on it,
    /// follow it and download its outputs.
    Submit(submit::SubmitArgs),
    /// List the jobs of `plexus serve --http`.
    Jobs(jobs::JobsArgs),
    /// List, inspect and package plugins.
    #[command(subcommand)]
    Plugins(plugins::PluginsCommand),
    /// Write a new plugin crate (one operator, its manifest, a compliance test).
    NewPlugin(new_plugin::NewPluginArgs),
    /// Read the event log.
    Events(events::EventsArgs),
    /// Describe an image or array file (dimensions, dtype, pages, axes).
    Inspect(inspect::InspectArgs),
    /// Run the demo pipeline on the embedded sample image.
    Demo(demo::DemoArgs),
}

/// Options shared by commands that run pipelines.
#[derive(Args, Debug, Clone)]
pub struct ExecArgs {
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Memory budget, e.g. `512MiB`, `4G`: peak RSS stays within it plus a
    /// fixed overhead (`plexus check` shows the plan) [default: 2GiB].
    #[arg(long, value_parser = parse_bytes)]
    pub memory: Option<usize>,
    /// Folder for reslices that do not fit the budget [default:
    /// $PLEXUS_HOME/spill].
    #[arg(long, value_name = "DIR")]
    pub spill: Option<PathBuf>,
    /// Longest one native operator call may take before its stage fails
    /// with a `timeout` error, e.g. `30s`, `10m`, or `off`; a stage's or
    /// the manifest's `timeout_s` wins [default: 10m].
    #[arg(long, value_parser = parse_timeout, value_name = "DURATION|off")]
    pub call_timeout: Option<CallTimeout>,
    /// After SIGTERM or SIGINT, how long calls in flight may take before
    /// they are abandoned and the process ends, e.g. `10s` [default: 10s].
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub grace: Option<Duration>,
}

/// The value of `--call-timeout`: a duration, or `off` (no deadline).
#[derive(Debug, Clone, Copy)]
pub struct CallTimeout(pub Option<Duration>);

/// Parses `30s`, `10m`, `off`.
fn parse_timeout(s: &str) -> Result<CallTimeout, String> {
    if s == "off" {
        return Ok(CallTimeout(None));
    }
    match humantime::parse_duration(s) {
        Ok(d) if !d.is_zero() => Ok(CallTimeout(Some(d))),
        _ => Err(format!("`{s}`: expected a duration such as 30s or 10m, or `off`")),
    }
}

/// The default of `--grace`.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

impl ExecArgs {
    /// Run options with these settings.
    pub fn options(&self) -> crate::runtime::RunOptions {
        let mut o = crate::runtime::RunOptions::default();
        if let Some(t) = self.threads {
            o.threads = t.max(1);
        }
        if let Some(m) = self.memory {
            o.memory = m;
        }
        if let Some(s) = &self.spill {
            o.spill = s.clone();
        }
        if let Some(CallTimeout(t)) = self.call_timeout {
            o.call_timeout = t;
        }
        o
    }

    /// `--grace`, else its default.
    pub fn grace(&self) -> Duration {
        self.grace.unwrap_or(DEFAULT_GRACE)
    }
}

/// Parses `512MiB`, `4G`, `1.5GB`, `1000000`.
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("`{s}`: expected a size such as 512MiB or 4G"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0f64.powi(4),
        other => return Err(format!("`{s}`: unknown unit `{other}` (use K, M, G or T)")),
    };
    Ok((n * mult) as usize)
}

/// Sets up tracing: warnings by default, more with -v, RUST_LOG wins.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// Runs the command.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let events = cli.events.clone().unwrap_or_else(crate::paths::event_log);
    match cli.command {
        Command::Run(a) => run::run(a, &cli.plugins, &events),
        Command::Check(a) => check::check(a, &cli.plugins, &events),
        Command::Serve(a) => serve::serve(a, &cli.plugins, &events),
        Command::Submit(a) => submit::submit(a),
        Command::Jobs(a) => jobs::jobs(a),
        Command::Plugins(c) => plugins::plugins(c, &cli.plugins, &events),
        Command::NewPlugin(a) => new_plugin::new_plugin(a),
        Command::Events(a) => events::events(a, &events),
        Command::Inspect(a) => inspect::inspect(a),
        Command::Demo(a) => demo::demo(a, &cli.plugins, &events),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("4G").unwrap(), 4 << 30);
        assert_eq!(parse_bytes("100").unwrap(), 100);
        assert_eq!(parse_bytes("3 parsecs").unwrap_err(), "`3 parsecs`: unknown unit `parsecs` (use K, M, G or T)");
    }

    #[test]
    fn call_timeouts() {
        assert_eq!(parse_timeout("30s").unwrap().0, Some(Duration::from_secs(30)));
        assert_eq!(parse_timeout("off").unwrap().0, None);
        assert_eq!(parse_timeout("0s").unwrap_err(), "`0s`: expected a duration such as 30s or 10m, or `off`");
    }
}
