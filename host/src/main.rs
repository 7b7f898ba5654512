//! The `plexus` command: parses arguments, dispatches, maps errors to an
//! exit code (0 success, 1 failure, 2 finished with failed frames).

use std::process::ExitCode;

use clap::Parser;
use plexus_host::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_logging(cli.verbose);
    match cli::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
