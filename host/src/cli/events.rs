//! `plexus events`: read the event log, filtered by time and kind.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::Args;

use crate::events::{read_events, EventQuery};

/// Arguments of `plexus events`.
#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Only events since this time: RFC 3339 (`2026-11-22T10:00:00Z`) or an age (`10m`, `2h`).
    #[arg(long, value_parser = parse_since)]
    pub since: Option<SystemTime>,
    /// Only this kind (`frame.error`) or family (`plugin`).
    #[arg(long)]
    pub kind: Option<String>,
    /// Read this log instead of the default one.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// One line per event, as stored (JSON), instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Parses an RFC 3339 time or an age such as `10m`.
pub fn parse_since(s: &str) -> Result<SystemTime, String> {
    if let Ok(t) = humantime::parse_rfc3339_weak(s) {
        return Ok(t);
    }
    let age: Duration =
        humantime::parse_duration(s).map_err(|_| format!("`{s}`: expected an RFC 3339 time or an age such as 10m"))?;
    Ok(SystemTime::now().checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH))
}

pub(super) fn events(args: EventsArgs, default_log: &Path) -> anyhow::Result<ExitCode> {
    let path = args.file.clone().unwrap_or_else(|| default_log.to_path_buf());
    let query = EventQuery { since: args.since, kind: args.kind.clone() };
    let events =
        read_events(&path, &query).with_context(|| format!("cannot read the event log `{}`", path.display()))?;
    for e in events.iter().map(|e| e.to_json()) {
        if args.json {
            println!("{e}");
            continue;
        }
        let time = e.get("time").and_then(|v| v.as_str()).unwrap_or("");
        let kind = e.get("kind").and_then(|v| v.as_str()).unwrap_or("");
        let rest: Vec<String> = e
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| *k != "time" && *k != "kind").map(|(k, v)| format!("{k}={v}")).collect())
            .unwrap_or_default();
        println!("{time}  {kind:<22} {}", rest.join(" "));
    }
    Ok(ExitCode::SUCCESS)
}
