//! The `plexus` command: parses arguments, dispatches, maps errors to an
//! exit code (0 success, 1 failure, 2 finished with failed frames) and
//! prints an error as its chain of causes, outermost first.

use std::process::ExitCode;

use clap::Parser;
use plexus_host::cli::{self, Cli};

fn main() -> ExitCode {
    plexus_host::budget::return_large_frees_to_the_system();
    let cli = Cli::parse();
    if !matches!(cli.command, cli::Command::Serve(_)) {
        die_quietly_on_a_closed_pipe();
    }
    cli::init_logging(cli.verbose);
    match cli::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            let lines = plexus_host::error::chain(e.as_ref());
            eprintln!("error: {}", lines[0]);
            for cause in &lines[1..] {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}

/// Lets a closed stdout end the process as `SIGPIPE` does for any Unix
/// tool (`plexus plugins list | head`), instead of the panic Rust's
/// ignored `SIGPIPE` turns the failed write into. Not for `plexus serve`:
/// a daemon must outlive a client that went away.
fn die_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal, before any thread
    // is spawned.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
