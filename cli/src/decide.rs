//! `corsgate decide`: one SPEC §8 request object per stdin line in, one
//! decision object per stdout line out, flushed line by line.

use std::io::{BufRead, ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use corsgate::{Decision, PolicySet, Request};
use serde_json::{json, Value};

use crate::policy_file::{self, LoadError};

/// Decide requests read as JSON lines on stdin.
///
/// Each line is {"method": "...", "path": "/...", "headers": [["Name", "value"], ...]}
/// (`headers` may also be an object of name to value; `path`, the request
/// path that picks the route of a policy file with routes, defaults to `/`). Each answer is
/// {"kind", "allowed", "status", "headers", "vary", "reason"} on its own line;
/// a line that cannot be read gets {"error": "line N: ..."} and the rest still
/// run. Exits 0, or 1 when the policy is invalid, 2 when it cannot be read.
#[derive(Args)]
#[command(after_help = "Example:\n  \
    echo '{\"method\": \"OPTIONS\", \"headers\": [[\"Origin\", \"https://app.example.com\"], [\"Access-Control-Request-Method\", \"PUT\"]]}' \\\n    \
    | corsgate decide --policy policy.toml")]
pub struct DecideArgs {
    /// The policy file (`.json`, `.toml`, or either)
    #[arg(long)]
    policy: PathBuf,
}

pub fn run(args: &DecideArgs) -> ExitCode {
    let policy = match policy_file::load(&args.policy) {
        Ok(policy) => policy,
        Err(error) => {
            policy_file::report(&args.policy, &error);
            return ExitCode::from(match error {
                LoadError::Invalid(_) => 1,
                LoadError::Unreadable { .. } => 2,
            });
        }
    };
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => return ExitCode::SUCCESS,
            Ok(_) => number += 1,
            Err(error) => {
                eprintln!("corsgate: cannot read stdin: {error}");
                return ExitCode::from(2);
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let answer = match answer_line(&policy, &line) {
            Ok(decision) => decision,
            Err(message) => json!({ "error": format!("line {number}: {message}") }).to_string(),
        };
        // A co-process waits for each answer, so every line is flushed at once.
        if let Err(error) = writeln!(out, "{answer}").and_then(|()| out.flush()) {
            if error.kind() == ErrorKind::BrokenPipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("corsgate: cannot write stdout: {error}");
            return ExitCode::from(2);
        }
    }
}

fn answer_line(policy: &PolicySet, line: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8".to_owned())?;
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let wire = WireRequest::read(&value)?;
    let request = Request::from_headers(
        wire.method.as_bytes(),
        wire.headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
    );
    Ok(decision_json(
        &policy.decide(wire.path.as_bytes(), &request),
    ))
}

/// A SPEC §8 request object: the method and the header lines, in order.
struct WireRequest<'v> {
    method: &'v str,
    path: &'v str,
    headers: Vec<(&'v str, &'v str)>,
}

impl<'v> WireRequest<'v> {
    fn read(value: &'v Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or("expected an object {\"method\": ..., \"headers\": [...]}")?;
        let method = match object.get("method") {
            Some(Value::String(method)) => method.as_str(),
            Some(_) => return Err("\"method\" must be a string".to_owned()),
            None => return Err("missing \"method\"".to_owned()),
        };
        let path = match object.get("path") {
            None | Some(Value::Null) => "/",
            Some(Value::String(path)) => path.as_str(),
            Some(_) => return Err("\"path\" must be a string, like \"/api/users\"".to_owned()),
        };
        let headers = match object.get("headers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(lines)) => lines
                .iter()
                .enumerate()
                .map(|(i, line)| header_pair(i, line))
                .collect::<Result<_, _>>()?,
            Some(Value::Object(map)) => map
                .iter()
                .map(|(name, value)| match value {
                    Value::String(value) => Ok((name.as_str(), value.as_str())),
                    _ => Err(format!("headers.{name} must be a string")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(HEADERS_SHAPE.to_owned()),
        };
        Ok(WireRequest {
            method,
            path,
            headers,
        })
    }
}

const HEADERS_SHAPE: &str =
    "\"headers\" must be a list of [name, value] pairs or an object of name to value";

fn header_pair(index: usize, line: &Value) -> Result<(&str, &str), String> {
    match line.as_array().map(Vec::as_slice) {
        Some([Value::String(name), Value::String(value)]) => Ok((name.as_str(), value.as_str())),
        _ => Err(format!(
            "headers[{index}] must be a [name, value] pair of strings"
        )),
    }
}

/// The SPEC §8 decision object, keys in the documented order.
fn decision_json(decision: &Decision<'_>) -> String {
    let headers: Vec<Value> = decision
        .headers()
        .map(|h| json!([h.name.lowercase(), String::from_utf8_lossy(h.value)]))
        .collect();
    format!(
        r#"{{"kind":{},"allowed":{},"status":{},"headers":{},"vary":{},"reason":{}}}"#,
        Value::from(decision.kind().as_str()),
        decision.allowed(),
        decision.status().map_or(Value::Null, Value::from),
        Value::Array(headers),
        Value::from(decision.vary().to_vec()),
        decision.reason().map_or(Value::Null, |r| r.as_str().into()),
    )
}
