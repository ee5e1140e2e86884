//! `corsgate check`: one request against a policy, in plain words, with the
//! explanation and browser console messages for a refusal (SPEC §7).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use corsgate::{Decision, Explanation, Kind, PolicySet, Request};

use crate::policy_file;

/// Show what corsgate answers to one request.
///
/// The method is OPTIONS when --request-method is given (a preflight), GET
/// otherwise. Exits 0 when allowed (or not a CORS request), 1 when refused,
/// 2 on a usage or policy error.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
    corsgate check --policy policy.toml --origin https://app.example.com\n  \
    corsgate check --policy policy.toml --origin https://app.example.com \\\n    \
    --request-method PUT --request-headers content-type,x-request-id")]
pub struct CheckArgs {
    /// The policy file (`.json`, `.toml`, or either)
    #[arg(long)]
    policy: PathBuf,
    /// The request's Origin, e.g. https://app.example.com
    #[arg(long)]
    origin: String,
    /// The request method [default: OPTIONS with --request-method, else GET]
    #[arg(long)]
    method: Option<String>,
    /// Access-Control-Request-Method: the method the preflight asks for
    #[arg(long)]
    request_method: Option<String>,
    /// Access-Control-Request-Headers: the comma-separated names the preflight asks for
    #[arg(long)]
    request_headers: Option<String>,
    /// Send Access-Control-Request-Private-Network: true
    #[arg(long)]
    private_network: bool,
    /// The request path, which picks the route of a policy file with routes
    #[arg(long, default_value = "/")]
    path: String,
    /// The resource URL quoted in the browser console messages
    #[arg(long, default_value = "https://api.example.com/")]
    url: String,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let policy = match policy_file::load(&args.policy) {
        Ok(policy) => policy,
        Err(error) => {
            policy_file::report(&args.policy, &error);
            return ExitCode::from(2);
        }
    };
    let method = match (&args.method, &args.request_method) {
        (Some(method), _) => method.as_str(),
        (None, Some(_)) => "OPTIONS",
        (None, None) => "GET",
    };
    let mut request = Request::new(method.as_bytes()).header(b"Origin", args.origin.as_bytes());
    if let Some(value) = &args.request_method {
        request.push_header(b"Access-Control-Request-Method", value.as_bytes());
    }
    if let Some(value) = &args.request_headers {
        request.push_header(b"Access-Control-Request-Headers", value.as_bytes());
    }
    if args.private_network {
        request.push_header(b"Access-Control-Request-Private-Network", b"true");
    }
    let decision = policy.decide(args.path.as_bytes(), &request);
    let explanation = decision.explain(&args.url);
    let style = Style::for_stdout();
    let mut out = std::io::stdout().lock();
    let route = route_line(&policy, args.path.as_bytes());
    let outside = policy.policy_for(args.path.as_bytes()).is_none();
    if let Err(error) = write_report(
        &mut out,
        &style,
        route.as_deref(),
        outside,
        &decision,
        explanation.as_ref(),
    ) {
        eprintln!("corsgate: cannot write stdout: {error}");
        return ExitCode::from(2);
    }
    if decision.allowed() || decision.kind() == Kind::NotCors {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Which route answers `path`, for a policy file with routes.
fn route_line(policy: &PolicySet, path: &[u8]) -> Option<String> {
    if policy.as_single().is_some() {
        return None;
    }
    let index = policy.route_index(path);
    Some(match index.map(|i| (i, &policy.routes()[i])) {
        None => "outside every route (not CORS)".to_owned(),
        Some((i, route)) => {
            let target = match (route.policy(), route.policy_name()) {
                (None, _) => "policy = false (not CORS)".to_owned(),
                (Some(_), Some(name)) => format!("policy {name:?}"),
                (Some(_), None) => "its inline policy".to_owned(),
            };
            format!("routes[{i}] {:?}, {target}", route.pattern())
        }
    })
}

fn write_report(
    out: &mut impl Write,
    style: &Style,
    route: Option<&str>,
    outside: bool,
    decision: &Decision<'_>,
    explanation: Option<&Explanation>,
) -> std::io::Result<()> {
    let kind = decision.kind();
    if let Some(route) = route {
        writeln!(out, "{} {route}", style.label("route:  "))?;
    }
    writeln!(out, "{} {kind}", style.label("kind:   "))?;
    let result = match (kind, decision.reason()) {
        (Kind::NotCors, _) if outside => style.green("not CORS on this path"),
        (Kind::NotCors, _) => style.green("not a CORS request (no Origin)"),
        (_, Some(reason)) => style.red(&format!("refused ({reason})")),
        (_, None) => style.green("allowed"),
    };
    writeln!(out, "{} {result}", style.label("result: "))?;
    if let Some(status) = decision.status() {
        writeln!(out, "{} {status}", style.label("status: "))?;
    }
    let headers = decision.headers();
    if headers.len() == 0 {
        writeln!(out, "{} none", style.label("headers:"))?;
    } else {
        writeln!(out, "{}", style.label("headers:"))?;
        for header in headers {
            let value = String::from_utf8_lossy(header.value);
            writeln!(out, "  {}: {value}", style.cyan(header.name.as_str()))?;
        }
    }
    let vary = if decision.vary().is_empty() {
        "none".to_owned()
    } else {
        decision.vary().join(", ")
    };
    writeln!(out, "{} {vary}", style.label("vary:   "))?;
    if kind == Kind::Actual && !decision.allowed() {
        writeln!(
            out,
            "note:    the application still answers; the response just carries no CORS headers"
        )?;
    }
    if let Some(explanation) = explanation {
        writeln!(out)?;
        writeln!(out, "{} {}", style.label("why:    "), explanation.summary)?;
        writeln!(out, "{} {}", style.label("fix:    "), explanation.fix)?;
        writeln!(out, "{} {}", style.label("chrome: "), explanation.chrome)?;
        writeln!(out, "{} {}", style.label("firefox:"), explanation.firefox)?;
    }
    Ok(())
}

/// ANSI colours, only for a terminal and when NO_COLOR is not set (no-color.org).
struct Style {
    colour: bool,
}

impl Style {
    fn for_stdout() -> Style {
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            colour: std::io::stdout().is_terminal() && !no_colour,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn label(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }

    fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }

    fn cyan(&self, text: &str) -> String {
        self.paint("36", text)
    }
}
