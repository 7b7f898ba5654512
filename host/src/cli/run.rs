//! `plexus run PIPELINE`: compile, start the job, draw its progress, print
//! a summary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::signals::{self, Signals};
use crate::error::HostError;
use crate::events::EventKind;
use crate::host::Host;
use crate::pipeline::spec::SweepOutput;
use crate::pipeline::sweep::Sweep;
use crate::pipeline::{compile, PipelineSpec};
use crate::runtime::deadline::Abandon;
use crate::runtime::sweep::SweepReport;
use crate::runtime::{Job, ProgressSnapshot, RunReport};

/// Arguments of `plexus run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The pipeline file.
    pub pipeline: PathBuf,
    /// Override a parameter: `--set stage.param=value` (repeatable).
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    pub set: Vec<String>,
    /// Read this file instead of the pipeline's `[input] path`.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Keep watching the plugin folders and hot-reload changed plugins mid-run.
    #[arg(long)]
    pub watch_plugins: bool,
    /// Pick up the partial outputs of a killed run of this pipeline and
    /// compute only the chunks it had not finished.
    #[arg(long)]
    pub resume: bool,
    /// Run once per value of a parameter: `stage.param=start:stop:step`
    /// (stop included) or `stage.param=v1,v2,…`; overrides `[[sweep]]`.
    #[arg(long, value_name = "STAGE.PARAM=VALUES")]
    pub sweep: Option<String>,
    /// With a sweep: `each` (one output per value, `out_<param>-<value>`)
    /// or `stacked` (one output per `[[output]]`, values along a new first
    /// axis) [default: the `[[sweep]]`'s, else each].
    #[arg(long, value_name = "each|stacked")]
    pub sweep_output: Option<String>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub exec: super::ExecArgs,
}

/// Loads a pipeline file, applies `--set` overrides and `--input`.
pub fn load_spec(path: &Path, set: &[String], input: Option<&Path>) -> Result<PipelineSpec, HostError> {
    let mut spec = PipelineSpec::load(path)?;
    for s in set {
        spec.apply_override(s).map_err(|expected| HostError::Argument { flag: "--set", value: s.clone(), expected })?;
    }
    if let Some(i) = input {
        let abs = std::path::absolute(i).map_err(|e| HostError::system("resolve", i, e))?;
        match &mut spec.input {
            Some(inp) => inp.path = abs,
            None => {
                spec.input =
                    Some(crate::pipeline::spec::InputSpec { path: abs, chunk: None, select: None, preview: None })
            }
        }
    }
    Ok(spec)
}

/// The sweep asked for: `--sweep` first, else the pipeline's `[[sweep]]`.
fn sweep_of(args: &RunArgs, spec: &PipelineSpec) -> Result<Option<Sweep>, HostError> {
    let output = match args.sweep_output.as_deref() {
        None => None,
        Some("each") => Some(SweepOutput::Each),
        Some("stacked") => Some(SweepOutput::Stacked),
        Some(other) => {
            return Err(HostError::Argument {
                flag: "--sweep-output",
                value: other.to_string(),
                expected: "expected `each` or `stacked`".into(),
            })
        }
    };
    let sweep = match (&args.sweep, spec.sweeps.first()) {
        (Some(arg), _) => Sweep::parse_arg(arg, output.unwrap_or_default())
            .map_err(|expected| HostError::Argument { flag: "--sweep", value: arg.clone(), expected })?,
        (None, Some(s)) => {
            let mut sweep = Sweep::from_spec(s).map_err(|expected| HostError::Argument {
                flag: "[[sweep]]",
                value: format!("{}.{}", s.stage, s.param),
                expected,
            })?;
            if let Some(o) = output {
                sweep.output = o;
            }
            sweep
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(sweep))
}

pub(super) fn run(args: RunArgs, extra: &[PathBuf], events: &Path) -> anyhow::Result<ExitCode> {
    let spec = load_spec(&args.pipeline, &args.set, args.input.as_deref())?;
    let sweep = sweep_of(&args, &spec)?;
    let host = Host::start(extra, events, args.watch_plugins)?;
    if let Some(sweep) = sweep {
        let mut options = args.exec.options();
        if args.resume {
            options.resume = crate::runtime::Resume::Required;
        }
        let report = crate::runtime::sweep::run(&spec, &args.pipeline, &sweep, &host.registry, &host.bus, &options);
        host.shutdown();
        let report = report?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&sweep_json(&report))?);
        } else {
            for (v, r) in &report.runs {
                println!("{}.{} = {v}", sweep.stage, sweep.param);
                print_report(r);
                println!();
            }
            for (path, error) in &report.stacked {
                match error {
                    None => println!("stacked: {}", path.display()),
                    Some(e) => println!("stacked: {}  FAILED: {e}", path.display()),
                }
            }
        }
        return Ok(if report.errors() > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS });
    }
    let plan = match compile(&spec, &args.pipeline, &host.registry) {
        Ok(p) => p,
        Err(e) => {
            host.shutdown();
            return Err(HostError::from(e).into());
        }
    };
    let mut options = args.exec.options();
    if args.resume {
        options.resume = crate::runtime::Resume::Required;
    }
    let mut signals = Signals::register(options.stop.clone(), false)
        .map_err(|e| HostError::system("handle the signals of", "plexus run", e))?;
    let progress = !args.quiet && !args.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (abandon, grace, name) = (options.abandon.clone(), args.exec.grace(), plan.name.clone());
    let ended = Job::start(plan, host.registry.clone(), host.bus.clone(), options)
        .map(|job| wait_within_grace(job, &mut signals, grace, &abandon, progress));
    let ended = match ended {
        Ok(e) => e,
        Err(e) => {
            host.shutdown();
            return Err(e.into());
        }
    };
    if signals.arrived() {
        let (done, outputs_closed) = match &ended {
            Ended::Report(_, p) => (*p, true),
            Ended::GaveUp(p) => (*p, false),
        };
        let abandoned = abandon.calls();
        host.bus.emit(EventKind::Stopped {
            pipeline: name,
            signal: signals.name().to_string(),
            grace_s: grace.as_secs_f64(),
            chunks_done: done.chunks_done,
            chunks_total: done.chunks_total,
            abandoned: abandoned.iter().filter_map(|c| serde_json::to_value(c).ok()).collect(),
            outputs_closed,
        });
        for c in &abandoned {
            let what = c.seq.map(|s| format!("frame {s}")).unwrap_or_else(|| "finish".into());
            eprintln!("abandoned: stage `{}` (`{}`) in {what} after {:.1} s", c.stage, c.uses, c.running_s);
        }
    }
    let report = match ended {
        Ended::Report(report, _) => *report,
        Ended::GaveUp(p) => {
            host.shutdown();
            eprintln!(
                "stopped by signal ({}): the run did not wind down within the grace of {}; {} of {} chunk(s) were finished, partial outputs and their journals are kept for `--resume`",
                signals.name(),
                humantime::format_duration(grace),
                p.chunks_done,
                p.chunks_total
            );
            // The stuck threads end with the process.
            return Ok(ExitCode::from(2));
        }
    };
    host.shutdown();
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
    } else {
        print_report(&report);
    }
    if signals.arrived() {
        eprintln!("stopped by signal ({}): in-flight frames were finished and outputs written", signals.name());
    }
    Ok(if report.errors() > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// How a run ended: with its report (and the progress at the end), or,
/// after a signal, still running when the grace ran out.
enum Ended {
    Report(Box<Result<RunReport, HostError>>, ProgressSnapshot),
    GaveUp(ProgressSnapshot),
}

/// Waits for the job, drawing its progress when asked. After a signal it
/// waits at most `grace`: calls still running are abandoned a little
/// before the grace ends so the stages drain and the outputs of what
/// finished are closed; a job still running when it ends is given up.
fn wait_within_grace(job: Job, signals: &mut Signals, grace: Duration, abandon: &Abandon, bar: bool) -> Ended {
    let bar = bar.then(|| progress_bar(&job));
    while !job.is_finished() {
        if let Some(bar) = &bar {
            bar.set_position(job.progress().chunks_done);
            bar.tick();
        }
        if signals.arrived() {
            if signals.since() >= signals::abandon_after(grace) && !abandon.is_set() {
                abandon.now();
            }
            if signals.since() >= grace {
                bar.inspect(|b| b.finish_and_clear());
                return Ended::GaveUp(job.progress());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bar.inspect(|b| b.finish_and_clear());
    let progress = job.progress();
    Ended::Report(Box::new(job.wait()), progress)
}

/// Draws the job's progress (chunks done of total) until it ends.
pub fn watch(job: Job) -> Result<RunReport, HostError> {
    let bar = progress_bar(&job);
    while !job.is_finished() {
        bar.set_position(job.progress().chunks_done);
        bar.tick();
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
    job.wait()
}

fn progress_bar(job: &Job) -> indicatif::ProgressBar {
    let p = job.progress();
    let bar = if p.chunks_total > 0 {
        indicatif::ProgressBar::new(p.chunks_total).with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} chunks {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
    } else {
        indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        )
    };
    bar.set_message(job.pipeline().to_string());
    bar
}

/// A sweep's report as JSON: the sweep, each value's run, the stacked
/// outputs.
pub fn sweep_json(r: &SweepReport) -> serde_json::Value {
    serde_json::json!({
        "sweep": { "stage": r.sweep.stage, "param": r.sweep.param, "values": r.sweep.values },
        "runs": r.runs.iter().map(|(v, run)| {
            let mut j = report_json(run);
            j["value"] = v.clone();
            j
        }).collect::<Vec<_>>(),
        "stacked": r.stacked.iter().map(|(p, e)| serde_json::json!({
            "path": p, "error": e.as_ref().map(|e| e.to_string()),
        })).collect::<Vec<_>>(),
        "errors": r.errors(),
    })
}

/// The report as JSON (for scripts and tests).
pub fn report_json(r: &RunReport) -> serde_json::Value {
    serde_json::json!({
        "pipeline": r.pipeline,
        "dataset": r.dataset,
        "wall_s": r.wall.as_secs_f64(),
        "chunks": r.chunks,
        "input_errors": r.input_errors,
        "errors": r.errors(),
        "progress": r.progress,
        "peak_rss_bytes": peak_rss(),
        "stages": r.stages.iter().map(|s| serde_json::json!({
            "id": s.id, "use": s.uses, "frames_in": s.frames_in, "frames_out": s.frames_out,
            "calls": s.calls, "errors": s.errors, "busy_s": s.busy.as_secs_f64(),
            "versions": s.versions.iter().map(|(v, _)| v.clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "outputs": r.outputs.iter().map(|(w, side)| serde_json::json!({
            "path": w.path, "frames": w.frames, "shape": w.shape, "dtype": w.dtype,
            "error": w.error.as_ref().map(|e| e.to_string()), "sidecar": side,
        })).collect::<Vec<_>>(),
        "results": r.results,
        "plots": r.plots.iter().map(|(p, e)| serde_json::json!({"path": p, "error": e})).collect::<Vec<_>>(),
    })
}

/// This process's peak resident memory so far (`VmHWM`), where the system
/// says (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim();
    kib.parse::<u64>().ok().map(|k| k * 1024)
}

/// Prints the summary table.
pub fn print_report(r: &RunReport) {
    println!("pipeline `{}` on `{}`: {} chunk(s) in {:.3} s", r.pipeline, r.dataset, r.chunks, r.wall.as_secs_f64());
    println!();
    println!(
        "{:<14} {:<28} {:>9} {:>9} {:>8} {:>7} {:>10}  version",
        "stage", "use", "in", "out", "calls", "errors", "time (s)"
    );
    for s in &r.stages {
        let versions: Vec<&str> = s.versions.iter().map(|(v, _)| v.as_str()).collect();
        println!(
            "{:<14} {:<28} {:>9} {:>9} {:>8} {:>7} {:>10.3}  {}",
            s.id,
            s.uses,
            s.frames_in,
            s.frames_out,
            s.calls,
            s.errors,
            s.busy.as_secs_f64(),
            versions.join(" → ")
        );
    }
    if !r.results.is_empty() {
        println!();
        println!("results:");
        for (stage, res) in &r.results {
            if let serde_json::Value::Object(m) = res {
                for (k, v) in m {
                    let text = v.to_string();
                    let text = if text.len() > 100 { format!("{}…", &text[..100]) } else { text };
                    println!("  {stage}.{k} = {text}");
                }
            }
        }
    }
    if !r.outputs.is_empty() {
        println!();
        println!("outputs:");
        for (w, side) in &r.outputs {
            match &w.error {
                None => println!(
                    "  {}  {} {:?}, {} frame(s){}",
                    w.path.display(),
                    w.dtype,
                    w.shape,
                    w.frames,
                    side.as_ref().map(|s| format!(", sidecar {}", s.display())).unwrap_or_default()
                ),
                Some(e) => println!("  {}  FAILED: {e}", w.path.display()),
            }
        }
    }
    if !r.plots.is_empty() {
        println!();
        println!("plots:");
        for (p, e) in &r.plots {
            match e {
                None => println!("  {}", p.display()),
                Some(e) => println!("  {}  FAILED: {e}", p.display()),
            }
        }
    }
    let errors = r.errors();
    if errors > 0 {
        println!();
        for line in error_lines(r) {
            println!("{line}");
        }
    }
}

/// What failed, by kind, each with the event kind that says more.
fn error_lines(r: &RunReport) -> Vec<String> {
    let stage_errors: u64 = r.stages.iter().map(|s| s.errors).sum();
    let outputs = r.outputs.iter().filter(|o| o.0.error.is_some()).count();
    let plots = r.plots.iter().filter(|p| p.1.is_some()).count();
    let mut lines = Vec::new();
    if r.input_errors > 0 {
        lines.push(format!(
            "{} input file(s) could not be read; see `plexus events --kind input.error`",
            r.input_errors
        ));
    }
    if stage_errors > 0 {
        lines.push(format!(
            "{stage_errors} frame or stage error(s); see `plexus events --kind frame.error` and `--kind stage.error`"
        ));
    }
    if outputs > 0 {
        lines.push(format!("{outputs} output(s) could not be written; see `plexus events --kind output.failed`"));
    }
    if plots > 0 {
        lines.push(format!("{plots} plot(s) could not be drawn; see `plexus events --kind plot.failed`"));
    }
    lines.push(format!("{} error(s) in all", r.errors()));
    lines
}
