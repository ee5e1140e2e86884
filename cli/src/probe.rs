//! `corsgate probe`: send what a browser would send to a live URL (the
//! preflight when one is needed, then the request, following redirects as
//! Fetch does) and judge the answers with the browser model (corsgate-browser).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use corsgate_browser::{
    check_actual, check_preflight, follow_redirect, is_redirect_status, BrowserError, Fetch,
    Location, Response, Step,
};
use serde_json::{json, Value};
use url::Url;

/// Ask a live server what a browser would: would this cross-origin request succeed?
///
/// Sends the CORS preflight when the browser would, then the request itself,
/// follows redirects as the browser's fetch does (preflighting again where
/// needed, `Origin: null` after a hop through another origin), and checks
/// each answer as a browser does. Exits 0 when the browser would succeed, 1
/// when it would block the request, 2 when the probe could not run.
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
    url: String,
    method: String,
    sent: Vec<(String, String)>,
    response: Response,
    passed: bool,
}

impl Exchange {
    fn to_json(&self) -> Value {
        json!({
            "url": self.url,
            "method": self.method,
            "request_headers": pairs(&self.sent),
            "status": self.response.status,
            "response_headers": pairs(&relevant(&self.response)),
            "passed": self.passed,
        })
    }
}

/// The requests made for one URL: the preflight when needed, the request,
/// and where a redirect sent the browser next.
struct Hop {
    preflight: Option<Exchange>,
    max_age: Option<u64>,
    actual: Option<Exchange>,
    redirect: Option<Redirect>,
}

/// A redirect the browser follows.
struct Redirect {
    to: String,
    method: String,
    /// This redirect tainted the request's origin.
    taints: bool,
}

impl Hop {
    fn to_json(&self) -> Value {
        json!({
            "preflight": self.preflight.as_ref().map(Exchange::to_json),
            "preflight_max_age": self.max_age,
            "actual": self.actual.as_ref().map(Exchange::to_json),
            "redirect": self.redirect.as_ref().map(|r| json!({
                "to": r.to,
                "method": r.method,
                "taints_origin": r.taints,
            })),
        })
    }
}

/// Everything the probe saw: the hops in order, the request as it stood at
/// the end (its URL, method, taint), and the browser's verdict.
struct Outcome {
    hops: Vec<Hop>,
    last: Fetch,
    failure: Option<BrowserError>,
}

fn pairs(list: &[(String, String)]) -> Value {
    Value::Array(list.iter().map(|(n, v)| json!([n, v])).collect())
}

/// The response headers that matter to CORS: `Access-Control-*`, `Vary`,
/// and `Location` (where a redirect leads).
fn relevant(response: &Response) -> Vec<(String, String)> {
    response
        .headers
        .iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            n.starts_with("access-control-") || n == "vary" || n == "location"
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
    // Redirects are followed here, by Fetch's rules, not by ureq's.
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(args.timeout))
        .timeout(Duration::from_secs(args.timeout))
        .redirects(0)
        .build();
    let outcome = match follow(&agent, fetch.clone()) {
        Ok(outcome) => outcome,
        Err(e) => return fail_to_run(args, &e),
    };

    let mut out = std::io::stdout().lock();
    let written = if args.json {
        writeln!(out, "{}", report_json(&fetch, &outcome))
    } else {
        write_text(&mut out, &fetch, &outcome)
    };
    if let Err(e) = written {
        eprintln!("corsgate: cannot write stdout: {e}");
        return ExitCode::from(2);
    }
    if outcome.failure.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Sends the requests for `fetch` and for every redirect after it, until an
/// answer is final or the browser would fail.
fn follow(agent: &ureq::Agent, mut fetch: Fetch) -> Result<Outcome, ProbeError> {
    let mut hops = Vec::new();
    loop {
        let (hop, next) = send_hop(agent, &fetch, hops.len())?;
        hops.push(hop);
        match next {
            Ok(Some(next)) => fetch = next,
            Ok(None) => return Ok(outcome(hops, fetch, None)),
            Err(e) => return Ok(outcome(hops, fetch, Some(e))),
        }
    }
}

fn outcome(hops: Vec<Hop>, last: Fetch, failure: Option<BrowserError>) -> Outcome {
    Outcome {
        hops,
        last,
        failure,
    }
}

/// One URL's requests (`redirects` followed before it): the hop, and the
/// request to send next (`None` when the answer is final) or the browser's
/// failure.
fn send_hop(
    agent: &ureq::Agent,
    fetch: &Fetch,
    redirects: usize,
) -> Result<(Hop, Result<Option<Fetch>, BrowserError>), ProbeError> {
    let mut hop = Hop {
        preflight: None,
        max_age: None,
        actual: None,
        redirect: None,
    };
    // No preflight cache: every URL that needs a preflight gets one.
    if fetch.needs_preflight() {
        let sent: Vec<(String, String)> = fetch
            .preflight_headers()
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        let response = send(agent, "OPTIONS", &fetch.url, &sent)?;
        let checked = check_preflight(fetch, &response);
        hop.preflight = Some(Exchange {
            url: fetch.url.clone(),
            method: "OPTIONS".into(),
            sent,
            response,
            passed: checked.is_ok(),
        });
        match checked {
            Ok(grant) => hop.max_age = grant.max_age,
            Err(e) => return Ok((hop, Err(e))),
        }
    }
    let mut sent = vec![("Origin".to_owned(), fetch.request_origin().to_owned())];
    sent.extend(fetch.headers.iter().cloned());
    let response = send(agent, &fetch.method, &fetch.url, &sent)?;
    // The CORS check applies to a redirect too, before it is followed.
    let next = check_actual(fetch, &response).and_then(|()| {
        let Some(target) = redirect_target(&fetch.url, &response) else {
            return Ok(None);
        };
        let current = origin_of(&fetch.url);
        follow_redirect(fetch, response.status, &current, &target, redirects).map(Some)
    });
    hop.actual = Some(Exchange {
        url: fetch.url.clone(),
        method: fetch.method.clone(),
        sent,
        response,
        passed: next.is_ok(),
    });
    if let Ok(Some(next)) = &next {
        hop.redirect = Some(Redirect {
            to: next.url.clone(),
            method: next.method.clone(),
            taints: next.tainted && !fetch.tainted,
        });
    }
    Ok((hop, next))
}

/// Where a redirect response leads, or `None` when the response is final
/// (not a redirect status, or no `Location`). Different `Location` values
/// are no URL at all (Fetch's "extract header list values" fails).
fn redirect_target(current: &str, response: &Response) -> Option<Location> {
    if !is_redirect_status(response.status) {
        return None;
    }
    let mut values: Vec<String> = response
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("location"))
        .map(|(_, v)| String::from_utf8_lossy(v).trim().to_owned())
        .collect();
    values.sort();
    values.dedup();
    match values.as_slice() {
        [] => None,
        [one] => Some(resolve(current, one)),
        several => Some(Location::Invalid(several.join(", "))),
    }
}

/// Parses a `Location` against the current URL, as the browser does.
fn resolve(current: &str, value: &str) -> Location {
    let Ok(base) = Url::parse(current) else {
        return Location::Invalid(value.to_owned());
    };
    let Ok(mut url) = base.join(value) else {
        return Location::Invalid(value.to_owned());
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Location::NotHttp(url.to_string());
    }
    // Fetch keeps the current URL's fragment when the Location has none.
    if url.fragment().is_none() {
        url.set_fragment(base.fragment());
    }
    Location::Http {
        origin: url.origin().ascii_serialization(),
        credentials: !url.username().is_empty() || url.password().is_some(),
        url: url.to_string(),
    }
}

/// The serialized origin of an http(s) URL the probe already parsed.
fn origin_of(url: &str) -> String {
    Url::parse(url).map_or_else(|_| "null".to_owned(), |u| u.origin().ascii_serialization())
}

fn report_json(fetch: &Fetch, outcome: &Outcome) -> Value {
    // `preflight` and `actual` describe the last URL requested; `hops` has
    // every one in order.
    let last = outcome.hops.last();
    let last_fetch = &outcome.last;
    json!({
        "url": fetch.url,
        "origin": fetch.origin,
        "method": fetch.method,
        "credentials": fetch.credentials,
        "final_url": last_fetch.url,
        "redirects": outcome.hops.len() - 1,
        "origin_tainted": last_fetch.tainted,
        "hops": outcome.hops.iter().map(Hop::to_json).collect::<Vec<_>>(),
        "preflight": last.and_then(|h| h.preflight.as_ref()).map(Exchange::to_json),
        "preflight_max_age": last.and_then(|h| h.max_age),
        "actual": last.and_then(|h| h.actual.as_ref()).map(Exchange::to_json),
        "allowed": outcome.failure.is_none(),
        "failure": outcome.failure.as_ref().map(|e| json!({
            "step": step_name(e.step),
            "url": last_fetch.url,
            "redirected_from": last_fetch.first_url,
            "chrome": e.chrome(last_fetch),
            "firefox": e.firefox(last_fetch),
            "fix": e.fix(),
        })),
    })
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
    let url = match Url::parse(&args.url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        _ => {
            return Err(usage(format!(
                "the URL '{}' is not an http:// or https:// URL",
                args.url
            )))
        }
    };
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
    // The URL as the browser serializes it (and quotes it in messages).
    let mut fetch =
        Fetch::new(url.as_str(), &args.origin, &args.method).credentials(args.credentials);
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

fn write_exchange(out: &mut impl Write, label: &str, x: &Exchange) -> std::io::Result<()> {
    writeln!(out, "{label}:")?;
    writeln!(
        out,
        "  > {} {}",
        corsgate::escape(x.method.as_bytes()),
        corsgate::escape(x.url.as_bytes())
    )?;
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

fn write_hop(out: &mut impl Write, hop: &Hop) -> std::io::Result<()> {
    match &hop.preflight {
        None => writeln!(out, "preflight: not needed (a simple request)")?,
        Some(x) => {
            write_exchange(out, "preflight", x)?;
            match (x.passed, hop.max_age) {
                (false, _) => writeln!(out, "  = failed")?,
                (true, Some(s)) => writeln!(out, "  = passed (cached for {s} s)")?,
                (true, None) => writeln!(out, "  = passed")?,
            }
        }
    }
    let Some(x) = &hop.actual else {
        return Ok(());
    };
    write_exchange(out, "request", x)?;
    match (&hop.redirect, x.passed) {
        (_, false) => writeln!(out, "  = failed"),
        (None, true) => writeln!(out, "  = passed"),
        (Some(r), true) => {
            let to = corsgate::escape(r.to.as_bytes());
            let method = corsgate::escape(r.method.as_bytes());
            writeln!(
                out,
                "  = passed: redirected, the browser sends {method} {to}"
            )?;
            if r.taints {
                writeln!(
                    out,
                    "  = origin tainted: a hop through another origin, later requests carry Origin: null"
                )?;
            }
            Ok(())
        }
    }
}

fn write_text(out: &mut impl Write, fetch: &Fetch, outcome: &Outcome) -> std::io::Result<()> {
    let mode = if fetch.credentials { "include" } else { "omit" };
    writeln!(
        out,
        "probe:     {} {} from {} (credentials: {mode})",
        corsgate::escape(fetch.method.as_bytes()),
        corsgate::escape(fetch.url.as_bytes()),
        corsgate::escape(fetch.origin.as_bytes()),
    )?;
    for hop in &outcome.hops {
        write_hop(out, hop)?;
    }
    let redirects = match outcome.hops.len() - 1 {
        0 => String::new(),
        1 => " after 1 redirect".to_owned(),
        n => format!(" after {n} redirects"),
    };
    let last = &outcome.last;
    match &outcome.failure {
        None => writeln!(
            out,
            "verdict:   allowed{redirects}: the browser would let the script read the response"
        )?,
        Some(e) => {
            writeln!(
                out,
                "verdict:   blocked at the {}{redirects}",
                step_name(e.step)
            )?;
            writeln!(out, "chrome:    {}", e.chrome(last))?;
            writeln!(out, "firefox:   {}", e.firefox(last))?;
            writeln!(out, "fix:       {}", e.fix())?;
        }
    }
    Ok(())
}
