//! Reading a policy file: the format follows the extension (SPEC §2).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use corsgate::{ErrorCode, Finding, PolicyError, PolicySet};

/// Why a policy file gave no policy.
pub enum LoadError {
    /// The file could not be read.
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file was read but the policy is invalid.
    Invalid(PolicyError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Unreadable { path, error } => {
                write!(f, "cannot read policy file {}: {error}", path.display())
            }
            LoadError::Invalid(error) => error.fmt(f),
        }
    }
}

/// Reads and validates the policy file at `path` (one policy, or routes):
/// `.json` as JSON, `.toml` as TOML, anything else as TOML and then as JSON.
pub fn load(path: &Path) -> Result<PolicySet, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|error| LoadError::Unreadable {
        path: path.to_owned(),
        error,
    })?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let result = match extension.as_deref() {
        Some("json") => PolicySet::from_json(&text),
        Some("toml") => PolicySet::from_toml(&text),
        _ => parse_unknown_format(&text),
    };
    result.map_err(LoadError::Invalid)
}

fn parse_unknown_format(text: &str) -> Result<PolicySet, PolicyError> {
    let toml_error = match PolicySet::from_toml(text) {
        Err(e) if e.has(ErrorCode::InvalidSyntax) => e,
        other => return other,
    };
    match PolicySet::from_json(text) {
        // Both failed to parse: the syntax error of the format it resembles helps most.
        Err(json_error) if json_error.has(ErrorCode::InvalidSyntax) => {
            if text.trim_start().starts_with(['{', '[']) {
                Err(json_error)
            } else {
                Err(toml_error)
            }
        }
        other => other,
    }
}

/// Prints each finding as `label[code]: message` and an indented fix line.
pub fn write_findings<C: fmt::Display>(
    out: &mut impl Write,
    label: &str,
    findings: &[Finding<C>],
) -> std::io::Result<()> {
    for finding in findings {
        // Parser messages can span lines; indenting keeps each finding one block.
        let message = finding.message.replace('\n', "\n  ");
        writeln!(out, "{label}[{}]: {message}", finding.code)?;
        writeln!(out, "  fix: {}", finding.fix)?;
    }
    Ok(())
}

/// Reports a load failure of the policy at `path` on stderr.
pub fn report(path: &Path, error: &LoadError) {
    let mut stderr = std::io::stderr().lock();
    // Nothing useful can be done when stderr itself is gone.
    let _ = match error {
        LoadError::Unreadable { .. } => writeln!(stderr, "corsgate: {error}"),
        LoadError::Invalid(problems) => write_findings(&mut stderr, "error", problems.problems())
            .and_then(|()| {
                writeln!(
                    stderr,
                    "corsgate: {}: invalid policy ({})",
                    path.display(),
                    count(problems.problems().len(), "problem")
                )
            }),
    };
}

/// `1 problem`, `2 problems`.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
