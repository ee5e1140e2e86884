//! What the Rust server tests share: every SPEC §8 vector sent over real
//! HTTP (hyper's client, one connection per request, 127.0.0.1 only) to a
//! server that a test starts, and each answer compared with the vector by
//! the testkit's one comparison.
//!
//! A server parses what it receives: hyper trims the whitespace around a
//! header value, and the `http` crate refuses control bytes in a value
//! outright. So the server records the request as it parsed it (outside
//! the CORS layer), and a case whose request arrived changed is compared
//! with core's decision for what arrived; a case that cannot be sent at all
//! is listed as skipped with the reason.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use corsgate::host::is_cors_response_header;
use corsgate::{Policy, Request};
use corsgate_testkit::{compare, load_vectors, Observed};
use http::{HeaderName, HeaderValue, Method};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

/// A request as the server parsed it: method, then the header lines.
pub type Parsed = (String, Vec<(String, Vec<u8>)>);

/// Where a server puts the last request it parsed, before CORS sees it.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Option<Parsed>>>);

impl Recorder {
    /// Records a request head.
    pub fn record<'a>(&self, method: &str, headers: impl Iterator<Item = (&'a str, &'a [u8])>) {
        let lines = headers.map(|(n, v)| (n.to_owned(), v.to_vec())).collect();
        *self.0.lock().unwrap() = Some((method.to_owned(), lines));
    }

    fn take(&self) -> Option<Parsed> {
        self.0.lock().unwrap().take()
    }
}

/// The header every inner handler sets, so a test sees it was called.
pub const INNER: &str = "x-inner";

/// One answer, as the client received it.
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Every header line, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The lines named `name`.
    pub fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| std::str::from_utf8(v).unwrap_or("<not UTF-8>"))
    }

    /// The first line named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all(name).next()
    }

    /// The `Vary` tokens over all lines.
    pub fn vary(&self) -> Vec<String> {
        self.all("vary")
            .flat_map(|l| l.split(','))
            .map(|t| t.trim_matches([' ', '\t']).to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// Sends one request over a new connection to `addr`.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    headers: &[(String, Vec<u8>)],
) -> Result<Reply, String> {
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| format!("method: {e}"))?;
    let mut request = http::Request::builder().method(method).uri("/");
    request = request.header("host", addr.to_string());
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("{name}: {e}"))?;
        let value = HeaderValue::from_bytes(value).map_err(|_| {
            let shown = String::from_utf8_lossy(value);
            format!(
                "http::HeaderValue refuses the control bytes in {name}: \"{}\"",
                shown.escape_debug()
            )
        })?;
        request = request.header(name, value);
    }
    let request = request
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| e.to_string())?;
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let conn = tokio::spawn(conn);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes()
        .to_vec();
    drop(sender);
    let _ = conn.await;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// What the client saw, in the testkit's shape: the CORS headers in order,
/// the `Vary` tokens, and the status of an answered preflight.
pub fn observed(reply: &Reply, kind: &str) -> Observed {
    let headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(n, _)| is_cors_response_header(n.as_bytes()))
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    Observed {
        kind: kind.to_owned(),
        allowed: headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin")),
        status: (kind == "preflight").then_some(reply.status),
        reason: None,
        headers,
        vary: reply.vary(),
    }
}

/// A decision as a vector's `expect`, without the reason (which HTTP does
/// not carry).
pub fn expect_of(observed: &Observed) -> Value {
    json!({
        "kind": observed.kind,
        "allowed": observed.allowed,
        "status": observed.status,
        "headers": observed.headers,
        "vary": observed.vary,
    })
}

/// The tally of a vector run.
#[derive(Debug, Default)]
pub struct Tally {
    /// Cases that agreed.
    pub passed: usize,
    /// Of those, the cases compared with core's decision for the request
    /// as the server parsed it.
    pub reparsed: usize,
    /// Failures, with what differed.
    pub failed: Vec<String>,
    /// Cases that could not be sent, with the reason.
    pub skipped: Vec<String>,
}

impl Tally {
    /// Panics with every failure; prints the skips.
    pub fn check(&self, surface: &str) {
        for s in &self.skipped {
            println!("skipped {s}");
        }
        println!(
            "{surface}: {} passed ({} on the parsed request), {} failed, {} skipped",
            self.passed,
            self.reparsed,
            self.failed.len(),
            self.skipped.len()
        );
        assert!(
            self.failed.is_empty(),
            "{surface}: {} failed:\n{}",
            self.failed.len(),
            self.failed.join("\n")
        );
        assert!(
            self.passed > 300,
            "{surface}: too few cases ran: {}",
            self.passed
        );
    }
}

/// A running server: its address and its recorder.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it parsed last.
    pub recorder: Recorder,
}

/// Runs every case of every valid vector: `start` serves the policy (built,
/// and as the vector wrote it, for servers that build one per worker) with
/// an inner handler that sets [`INNER`], and returns the server; the server
/// is dropped after its vector.
pub async fn run_vectors<F, Fut, S>(mut start: F) -> Tally
where
    F: FnMut(Policy, Value, Recorder) -> Fut,
    Fut: std::future::Future<Output = (SocketAddr, S)>,
{
    let mut tally = Tally::default();
    for vector in load_vectors() {
        if vector.errors.is_some() {
            continue;
        }
        let policy = corsgate_testkit::build(&vector.policy)
            .unwrap_or_else(|e| panic!("{}: {e}", vector.file));
        let recorder = Recorder::default();
        let (addr, server) = start(policy, vector.policy.clone(), recorder.clone()).await;
        let oracle = corsgate_testkit::build(&vector.policy).unwrap();
        for case in &vector.cases {
            let label = format!("{} / {}", vector.file, case.name);
            let lines: Vec<(String, Vec<u8>)> = case
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
                .collect();
            let reply = match send(addr, &case.method, &lines).await {
                Ok(r) => r,
                Err(e) => {
                    tally.skipped.push(format!("{label}: {e}"));
                    continue;
                }
            };
            let parsed = recorder.take();
            let mut expect = case.expect.clone();
            if let Some(o) = expect.as_object_mut() {
                o.remove("reason");
            }
            let sent_as = (case.method.clone(), lines.clone());
            match &parsed {
                Some(p) if cors_lines(p) != cors_lines(&sent_as) => {
                    if std::env::var_os("SHOW_REPARSED").is_some() {
                        println!(
                            "{label}: sent {:?}, parsed {:?}",
                            cors_lines(&sent_as),
                            cors_lines(p)
                        );
                    }
                    let request = Request::from_headers(
                        p.0.as_bytes(),
                        p.1.iter().map(|(n, v)| (n.as_bytes(), v.as_slice())),
                    );
                    expect = expect_of(&Observed::from_decision(&oracle.decide(&request)));
                    tally.reparsed += 1;
                }
                Some(_) => {}
                None => {
                    tally
                        .failed
                        .push(format!("{label}: the server recorded no request"));
                    continue;
                }
            }
            let kind = expect["kind"].as_str().unwrap_or_default().to_owned();
            let got = observed(&reply, &kind);
            let mut diffs = compare(&got, &expect);
            let inner = reply.get(INNER).is_some();
            if inner == (kind == "preflight") {
                diffs.push(format!(
                    "inner handler called: {inner}, for a {kind} request"
                ));
            }
            if kind != "preflight" && reply.status != 200 {
                diffs.push(format!("status {} from the inner handler", reply.status));
            }
            if diffs.is_empty() {
                tally.passed += 1;
            } else {
                tally.failed.push(format!("{label}: {}", diffs.join("; ")));
            }
        }
        drop(server);
    }
    tally
}

/// The CORS request lines of a request, names lowercased, grouped by name
/// (servers keep the order of one name's lines, not always the order
/// between names, which the decision does not depend on).
fn cors_lines(p: &Parsed) -> Parsed {
    let mut lines: Vec<(String, Vec<u8>)> =
        p.1.iter()
            .filter(|(n, _)| corsgate::RequestHeader::from_name(n.as_bytes()).is_some())
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    (p.0.clone(), lines)
}
