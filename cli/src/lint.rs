//! `corsgate lint`: every problem and warning of a policy file (SPEC §4, §7).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use corsgate::{Finding, Problem, Warning};
use serde_json::{json, Value};

use crate::policy_file::{self, count, write_findings, LoadError};

/// Validate a policy file and report risky choices.
///
/// Exits 0 when the policy is valid (warnings allowed), 1 when it is
/// invalid, 2 when the file cannot be read.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  corsgate lint policy.toml\n  corsgate lint --json policy.json"
)]
pub struct LintArgs {
    /// The policy file: `.json` is JSON, `.toml` is TOML, anything else is tried as TOML then JSON
    policy: PathBuf,
    /// Print {"errors": [...], "warnings": [...]} instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(args: &LintArgs) -> ExitCode {
    // Warnings need a built policy, so an invalid one reports only its problems.
    let (problems, warnings): (Vec<Problem>, Vec<Warning>) = match policy_file::load(&args.policy) {
        Ok(policy) => (Vec::new(), policy.lint()),
        Err(LoadError::Invalid(error)) => (error.problems().to_vec(), Vec::new()),
        Err(error) => {
            policy_file::report(&args.policy, &error);
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        let report = json!({
            "errors": problems.iter().map(finding_json).collect::<Vec<_>>(),
            "warnings": warnings.iter().map(finding_json).collect::<Vec<_>>(),
        });
        writeln!(out, "{report}")
    } else {
        write_text(&mut out, args, &problems, &warnings)
    };
    match written {
        Err(_) => ExitCode::from(2),
        Ok(()) if problems.is_empty() => ExitCode::SUCCESS,
        Ok(()) => ExitCode::from(1),
    }
}

fn finding_json<C: std::fmt::Display>(finding: &Finding<C>) -> Value {
    json!({
        "code": finding.code.to_string(),
        "value": finding.value,
        "message": finding.message,
        "fix": finding.fix,
    })
}

fn write_text(
    out: &mut impl Write,
    args: &LintArgs,
    problems: &[Problem],
    warnings: &[Warning],
) -> std::io::Result<()> {
    write_findings(out, "error", problems)?;
    write_findings(out, "warning", warnings)?;
    let path = args.policy.display();
    if problems.is_empty() {
        writeln!(out, "{path}: valid, {}", count(warnings.len(), "warning"))
    } else {
        writeln!(out, "{path}: invalid, {}", count(problems.len(), "error"))
    }
}
