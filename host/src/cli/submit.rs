//! `plexus submit PIPELINE --dataset FILE`: the service's client in one
//! command. Uploads the dataset (streamed from the file), submits the job
//! (a pipeline file is sent as it is; any other word names a pipeline in
//! the server's pipelines folder), follows its event stream with a
//! progress bar, and downloads its outputs into `--out`. Exits 0 when the
//! job is done, 1 otherwise, saying why.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::Args;
use serde_json::{json, Value};

use super::client::{self, Body, Client};

/// Arguments of `plexus submit`.
#[derive(Args, Debug)]
pub struct SubmitArgs {
    /// A pipeline file, or the name of one in the server's pipelines folder.
    pub pipeline: String,
    /// The dataset to upload.
    #[arg(long)]
    pub dataset: PathBuf,
    /// The service.
    #[arg(long, default_value = "http://127.0.0.1:8750")]
    pub server: String,
    /// File holding the API token [default: $PLEXUS_TOKEN, else
    /// $PLEXUS_HOME/token].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Override a parameter: `--set stage.param=value` (repeatable).
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    pub set: Vec<String>,
    /// Folder the outputs are downloaded into.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub(super) fn submit(args: SubmitArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new(&args.server, client::token(args.token_file.as_deref())?)?;
    let name = args
        .dataset
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| anyhow!("`{}` names no file", args.dataset.display()))?;
    let r = c.send("POST", &format!("/v1/datasets?name={}", client::encode(&name)), Body::File(&args.dataset))?;
    if r.status != 201 {
        return Err(r.error().context(format!("uploading `{}`", args.dataset.display())));
    }
    let dataset = r.json()?["id"].as_str().unwrap_or_default().to_string();
    let file = Path::new(&args.pipeline);
    let mut job = if file.is_file() {
        let toml =
            std::fs::read_to_string(file).with_context(|| format!("reading the pipeline `{}`", file.display()))?;
        json!({ "toml": toml, "dataset": dataset, "set": args.set })
    } else {
        json!({ "pipeline": args.pipeline, "dataset": dataset, "set": args.set })
    };
    let r = c.send("POST", "/v1/jobs", Body::Json(job.to_string()))?;
    if r.status != 202 {
        return Err(r.error().context(format!("submitting `{}`", args.pipeline)));
    }
    let id = r.json()?["id"].as_str().unwrap_or_default().to_string();
    job = follow(&c, &id, args.quiet)?;
    let state = job["state"].as_str().unwrap_or("");
    if state != "done" {
        let why = job["error"].as_str().unwrap_or("no reason given");
        eprintln!("job `{id}` {state}: {why}");
        return Ok(ExitCode::FAILURE);
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating `{}`", args.out.display()))?;
    let mut downloaded = 0;
    for o in job["outputs"].as_array().into_iter().flatten() {
        let (Some(url), Some(name)) = (o["url"].as_str(), o["name"].as_str()) else { continue };
        let dest = client::output_path(&args.out, name, &args.dataset)?;
        let bytes = c.download(url, &dest)?;
        println!("{} ({bytes} bytes)", dest.display());
        downloaded += 1;
    }
    println!("job `{id}` done: {downloaded} output(s) in {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// Follows the job's event stream until its last `state`; that state.
fn follow(c: &Client, id: &str, quiet: bool) -> anyhow::Result<Value> {
    use std::io::BufRead;
    let r = c.send("GET", &format!("/v1/jobs/{id}/events"), Body::Empty)?;
    if r.status != 200 {
        return Err(r.error());
    }
    let bar = if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(0) };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} chunks {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut event = String::new();
    let mut last = Value::Null;
    for line in std::io::BufReader::new(r.reader()).lines() {
        let line = line.context("reading the job's event stream")?;
        if let Some(e) = line.strip_prefix("event:") {
            event = e.trim().to_string();
        } else if let Some(data) = line.strip_prefix("data:") {
            let v: Value = serde_json::from_str(data.trim()).unwrap_or(Value::Null);
            match event.as_str() {
                "progress" => {
                    bar.set_length(v["chunks_total"].as_u64().unwrap_or(0));
                    bar.set_position(v["chunks_done"].as_u64().unwrap_or(0));
                }
                "state" => {
                    bar.set_message(v["state"].as_str().unwrap_or("").to_string());
                    last = v;
                }
                _ => {}
            }
        }
    }
    bar.finish_and_clear();
    if last["state"].as_str().is_none_or(|s| !["done", "failed", "cancelled"].contains(&s)) {
        bail!("the event stream of job `{id}` ended before the job did");
    }
    Ok(last)
}
