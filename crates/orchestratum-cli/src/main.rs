//! The `orchestratum` binary: parse, run, print the one-line error, exit with its class's
//! code (see `orchestratum --help`). The work is in the library part of this crate.

fn main() -> std::process::ExitCode {
    orchestratum_cli::main()
}
