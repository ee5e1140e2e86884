//! `corsgate probe`: send what a browser would send to a live URL (the
//! preflight when one is needed, then the request) and judge the answers with
//! core's browser checks.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use corsgate::browser::{check_actual, check_preflight, BrowserError, Fetch, Response, Step};
use serde_json::{json, Value};

/// Ask a live server what a browser would: would this cross-origin request succeed?
///
/// Sends the CORS preflight when the browser would, then the request itself,
/// and checks each answer as a browser does. Exits 0 when the browser would
/// succeed, 1 when it would block the request, 2 when the probe could not run.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
    corsgate probe https://api.example.com/items --origin https://app.example.com\n  \
    corsgate probe https://api.example.com/items --origin https://app.example.com \\\n    \
    --method PUT --header 'Content-Type: application/json' --credentials")]
pub struct ProbeArgs {
    /// The resource URL (http:// or https://)
    url: String,
    /// The page's origin, e.g. https://app.example.com
    #[arg(long)]
    origin: String,
    /// The method, sent exactly as given (browsers upper-case only DELETE, GET, HEAD, OPTIONS, POST, PUT)
    #[arg(long, default_value = "GET")]
    method: String,
    /// A header the script sets, 'Name: value' (repeatable)
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Credentials mode 'include' (cookies, withCredentials)
    #[arg(long)]
    credentials: bool,
    /// Print one JSON object instead of text
    #[arg(long)]
    json: bool,
    /// Seconds to wait for each answer
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

/// One request sent and its answer.
struct Exchange {
    method: String,
    sent: Vec<(String, String)>,
    response: Response,
}

impl Exchange {
    fn to_json(&self) -> Value {
        json!({
            "method": self.method,
            "request_headers": pairs(&self.sent),
            "status": self.response.status,
            "response_headers": pairs(&relevant(&self.response)),
        })
    }
}

fn pairs(list: &[(String, String)]) -> Value {
    Value::Array(list.iter().map(|(n, v)| json!([n, v])).collect())
}

/// The response headers that matter to CORS: `Access-Control-*` and `Vary`.
fn relevant(response: &Response) -> Vec<(String, String)> {
    response
        .headers
        .iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            n.starts_with("access-control-") || n == "vary"
        })
        .map(|(n, v)| (n.clone(), corsgate::escape(v)))
        .collect()
}

/// Why the probe could not run.
struct ProbeError {
    kind: &'static str,
    message: String,
}

fn usage(message: String) -> ProbeError {
    ProbeError {
        kind: "usage",
        message,
    }
}

pub fn run(args: &ProbeArgs) -> ExitCode {
    let fetch = match build_fetch(args) {
        Ok(fetch) => fetch,
        Err(e) => return fail_to_run(args, &e),
    };
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(args.timeout))
        .timeout(Duration::from_secs(args.timeout))
        .redirects(0)
        .build();

    let mut preflight = None;
    let mut failure: Option<BrowserError> = None;
    let mut max_age = None;
    if fetch.needs_preflight() {
        let sent: Vec<(String, String)> = fetch
            .preflight_headers()
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        let response = match send(&agent, "OPTIONS", &fetch.url, &sent) {
            Ok(r) => r,
            Err(e) => return fail_to_run(args, &e),
        };
        match check_preflight(&fetch, &response) {
            Ok(grant) => max_age = grant.max_age,
            Err(e) => failure = Some(e),
        }
        preflight = Some(Exchange {
            method: "OPTIONS".into(),
            sent,
            response,
        });
    }
    let mut actual = None;
    if failure.is_none() {
        let mut sent = vec![("Origin".to_owned(), fetch.origin.clone())];
        sent.extend(fetch.headers.iter().cloned());
        let response = match send(&agent, &fetch.method, &fetch.url, &sent) {
            Ok(r) => r,
            Err(e) => return fail_to_run(args, &e),
        };
        if let Err(e) = check_actual(&fetch, &response) {
            failure = Some(e);
        }
        actual = Some(Exchange {
            method: fetch.method.clone(),
            sent,
            response,
        });
    }

    let mut out = std::io::stdout().lock();
    let written = if args.json {
        let report = json!({
            "url": fetch.url,
            "origin": fetch.origin,
            "method": fetch.method,
            "credentials": fetch.credentials,
            "preflight": preflight.as_ref().map(Exchange::to_json),
            "preflight_max_age": max_age,
            "actual": actual.as_ref().map(Exchange::to_json),
            "allowed": failure.is_none(),
            "failure": failure.as_ref().map(|e| json!({
                "step": step_name(e.step),
                "chrome": e.chrome(&fetch),
                "firefox": e.firefox(&fetch),
                "fix": e.fix(),
            })),
        });
        writeln!(out, "{report}")
    } else {
        write_text(
            &mut out,
            &fetch,
            preflight.as_ref(),
            max_age,
            actual.as_ref(),
            failure.as_ref(),
        )
    };
    if let Err(e) = written {
        eprintln!("corsgate: cannot write stdout: {e}");
        return ExitCode::from(2);
    }
    if failure.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn step_name(step: Step) -> &'static str {
    match step {
        Step::Preflight => "preflight",
        Step::Actual => "actual",
    }
}

fn fail_to_run(args: &ProbeArgs, e: &ProbeError) -> ExitCode {
    eprintln!("corsgate probe: {}: {}", e.kind, e.message);
    if args.json {
        println!("{}", json!({"error": e.kind, "message": e.message}));
    }
    ExitCode::from(2)
}

fn build_fetch(args: &ProbeArgs) -> Result<Fetch, ProbeError> {
    if !(args.url.starts_with("http://") || args.url.starts_with("https://")) {
        return Err(usage(format!(
            "the URL '{}' is not http:// or https://",
            args.url
        )));
    }
    if args.origin != "null" && !corsgate::is_valid_origin(args.origin.as_bytes()) {
        return Err(usage(format!(
            "--origin '{}' is not a serialized origin (scheme://host[:port], no path)",
            args.origin
        )));
    }
    if !corsgate::fetch::is_token(args.method.as_bytes()) {
        return Err(usage(format!(
            "--method '{}' is not a method token",
            args.method
        )));
    }
    let mut fetch = Fetch::new(&args.url, &args.origin, &args.method).credentials(args.credentials);
    for line in &args.headers {
        let Some((name, value)) = line.split_once(':') else {
            return Err(usage(format!("--header '{line}' is not 'Name: value'")));
        };
        let value = value.trim_matches([' ', '\t']);
        if !corsgate::fetch::is_token(name.as_bytes())
            || value.bytes().any(|b| b.is_ascii_control() && b != b'\t')
        {
            return Err(usage(format!("--header '{line}' is not 'Name: value'")));
        }
        if corsgate::fetch::is_forbidden_request_header(name.as_bytes()) {
            return Err(usage(format!(
                "--header '{name}' is a header scripts cannot set (the browser owns it)"
            )));
        }
        fetch = fetch.header(name, value);
    }
    Ok(fetch)
}

fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(String, String)],
) -> Result<Response, ProbeError> {
    let mut request = agent.request(method, url);
    for (n, v) in headers {
        request = request.set(n, v);
    }
    let answer = match request.call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(ureq::Error::Transport(t)) => {
            let message = t.to_string();
            let kind = match t.kind() {
                ureq::ErrorKind::Dns => "DNS lookup failed",
                ureq::ErrorKind::ConnectionFailed => "could not connect",
                ureq::ErrorKind::Io if message.contains("timed out") => "timed out",
                ureq::ErrorKind::Io if is_timeout(&t) => "timed out",
                ureq::ErrorKind::BadStatus | ureq::ErrorKind::BadHeader => "not an HTTP answer",
                ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => "bad URL",
                _ => "request failed",
            };
            return Err(ProbeError { kind, message });
        }
    };
    let mut response = Response::new(answer.status());
    let mut names = answer.headers_names();
    names.dedup();
    let mut seen = Vec::new();
    for name in names {
        if seen.contains(&name) {
            continue;
        }
        for value in answer.all(&name) {
            response = response.header(&name, value);
        }
        seen.push(name);
    }
    Ok(response)
}

fn is_timeout(t: &ureq::Transport) -> bool {
    let mut source = std::error::Error::source(t);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            );
        }
        source = e.source();
    }
    false
}

fn write_exchange(
    out: &mut impl Write,
    label: &str,
    x: &Exchange,
    url: &str,
) -> std::io::Result<()> {
    writeln!(out, "{label}:")?;
    writeln!(out, "  > {} {url}", corsgate::escape(x.method.as_bytes()))?;
    for (n, v) in &x.sent {
        writeln!(out, "  > {n}: {}", corsgate::escape(v.as_bytes()))?;
    }
    writeln!(out, "  < {}", x.response.status)?;
    let shown = relevant(&x.response);
    if shown.is_empty() {
        writeln!(out, "  < (no Access-Control-* or Vary header)")?;
    }
    for (n, v) in shown {
        writeln!(out, "  < {n}: {v}")?;
    }
    Ok(())
}

fn write_text(
    out: &mut impl Write,
    fetch: &Fetch,
    preflight: Option<&Exchange>,
    max_age: Option<u64>,
    actual: Option<&Exchange>,
    failure: Option<&BrowserError>,
) -> std::io::Result<()> {
    let url = corsgate::escape(fetch.url.as_bytes());
    let mode = if fetch.credentials { "include" } else { "omit" };
    writeln!(
        out,
        "probe:     {} {url} from {} (credentials: {mode})",
        corsgate::escape(fetch.method.as_bytes()),
        corsgate::escape(fetch.origin.as_bytes()),
    )?;
    match preflight {
        None => writeln!(out, "preflight: not needed (a simple request)")?,
        Some(x) => {
            write_exchange(out, "preflight", x, &url)?;
            match failure {
                Some(e) if e.step == Step::Preflight => writeln!(out, "  = failed")?,
                _ => match max_age {
                    Some(s) => writeln!(out, "  = passed (cached for {s} s)")?,
                    None => writeln!(out, "  = passed")?,
                },
            }
        }
    }
    if let Some(x) = actual {
        write_exchange(out, "request", x, &url)?;
        if failure.is_some() {
            writeln!(out, "  = failed")?;
        } else {
            writeln!(out, "  = passed")?;
        }
    }
    match failure {
        None => writeln!(
            out,
            "verdict:   allowed: the browser would let the script read the response"
        )?,
        Some(e) => {
            writeln!(out, "verdict:   blocked at the {}", step_name(e.step))?;
            writeln!(out, "chrome:    {}", e.chrome(fetch))?;
            writeln!(out, "firefox:   {}", e.firefox(fetch))?;
            writeln!(out, "fix:       {}", e.fix())?;
        }
    }
    Ok(())
}
