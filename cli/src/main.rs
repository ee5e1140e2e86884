//! `corsgate`: lint a CORS policy, check one request against it, or decide a
//! stream of requests. Every CORS rule comes from the `corsgate` crate.

mod check;
mod decide;
mod export;
mod lint;
mod policy_file;
mod probe;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "corsgate",
    version,
    about = "Lint CORS policies and see exactly which headers corsgate sends",
    after_help = "Examples:\n  \
        corsgate lint policy.toml\n  \
        corsgate check --policy policy.toml --origin https://app.example.com --request-method PUT\n  \
        corsgate decide --policy policy.toml < requests.jsonl\n  \
        corsgate probe https://api.example.com/items --origin https://app.example.com --method PUT\n  \
        corsgate export --to s3 policy.toml"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Lint(lint::LintArgs),
    Check(check::CheckArgs),
    Decide(decide::DecideArgs),
    Probe(probe::ProbeArgs),
    Export(export::ExportArgs),
    Import(export::ImportArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Lint(args) => lint::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Decide(args) => decide::run(&args),
        Command::Probe(args) => probe::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Import(args) => export::run_import(&args),
    }
}
