//! The `plexus` command: parses arguments, dispatches, maps errors to an
//! exit code (0 success, 1 failure, 2 finished with failed frames) and
//! prints an error as its chain of causes, outermost first.

use std::process::ExitCode;

use clap::Parser;
use plexus_host::cli::{self, Cli};

fn main() -> ExitCode {
    plexus_host::budget::return_large_frees_to_the_system();
    let cli = Cli::parse();
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
