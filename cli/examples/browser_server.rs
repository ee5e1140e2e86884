//! The test server of the browser harness (tests/browser): a page on one
//! origin and CORS APIs on two others, answered with corsgate.
//!
//! Usage: `browser_server SCENARIOS.json` where the file maps scenario ids
//! to policies (JSON, SPEC §2; the origins `PAGE` and `PAGE_LOCALHOST`
//! stand for the page's origin reached as 127.0.0.1 and as localhost).
//! Listens on 127.0.0.1 only, exits when its stdin closes (so it never
//! outlives the harness), and prints one line of JSON:
//! `{"page": PORT, "api": PORT, "api2": PORT}`. The page port serves:
//!
//! - `GET /`: an empty HTML page.
//!
//! Both API ports serve the same routes:
//!
//! - `/s/ID/...`: any method, decided by scenario ID's policy (preflights
//!   answered by corsgate, other requests `200 ok`, or the status in
//!   `?status=NNN`, plus the CORS headers and the application headers
//!   `X-Total` and `X-Secret` that scripts may read only when exposed);
//!   every decision is logged under ID;
//! - `/r/ID/HOST:PORT/TARGET`: the same, but a request that is not a
//!   preflight is answered `307` (or `?status=NNN`) with
//!   `Location: http://HOST:PORT/s/TARGET/resource`;
//! - `/p/ID/...`: as `/s/ID/...` but not logged (for `corsgate probe`);
//! - `/rp/ID/HOST:PORT/TARGET`: as `/r/...` but not logged, redirecting to
//!   `http://HOST:PORT/p/TARGET/resource` (for `corsgate probe`);
//! - `GET /cookie`: sets the cookie `session=corsgate` on this host;
//! - `GET /log/ID`: the logged decisions as a JSON array of `{kind, method,
//!   origin, cookie, allowed, reason, headers, chrome, chrome_xhr}` (`origin`:
//!   the request's Origin or null; `cookie`: whether the session cookie came
//!   along; `headers`: the CORS headers corsgate set; `chrome`, `chrome_xhr`:
//!   explain()'s console message for `fetch` and for `XMLHttpRequest`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use corsgate::{Decision, Explanation, Initiator, Kind, Policy, Request};
use serde_json::{json, Value};

const COOKIE: &str = "session=corsgate";

struct State {
    policies: HashMap<String, Policy>,
    log: Mutex<HashMap<String, Vec<Value>>>,
}

/// A parsed request head: method, path, query and header lines.
struct Head {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn status_param(&self) -> Option<u16> {
        self.query
            .split('&')
            .find_map(|p| p.strip_prefix("status="))
            .and_then(|s| s.parse().ok())
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: browser_server SCENARIOS.json");
    let scenarios: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("scenarios file"))
            .expect("JSON");
    let page = bind();
    let apis = [bind(), bind()];
    let page_port = page.local_addr().unwrap().port();
    let state = Arc::new(State {
        policies: build_policies(&scenarios, page_port),
        log: Mutex::new(HashMap::new()),
    });
    println!(
        "{}",
        json!({
            "page": page_port,
            "api": apis[0].local_addr().unwrap().port(),
            "api2": apis[1].local_addr().unwrap().port(),
        })
    );
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    for api in apis {
        let state = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in api.incoming().flatten() {
                let state = Arc::clone(&state);
                std::thread::spawn(move || serve_api(stream, &state));
            }
        });
    }
    for stream in page.incoming().flatten() {
        std::thread::spawn(move || serve_page(stream));
    }
}

fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1")
}

fn build_policies(scenarios: &Value, page_port: u16) -> HashMap<String, Policy> {
    let mut policies = HashMap::new();
    for (id, policy) in scenarios.as_object().expect("an object of policies") {
        let text = policy
            .to_string()
            .replace("\"PAGE\"", &format!("\"http://127.0.0.1:{page_port}\""))
            .replace(
                "\"PAGE_LOCALHOST\"",
                &format!("\"http://localhost:{page_port}\""),
            );
        let policy = Policy::from_json(&text)
            .unwrap_or_else(|e| panic!("scenario {id}: invalid policy: {e}"));
        policies.insert(id.clone(), policy);
    }
    policies
}

fn read_head(stream: &TcpStream) -> Option<Head> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split(' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (path, query) = (path.to_owned(), query.to_owned());
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            break;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
    }
    Some(Head {
        method,
        path,
        query,
        headers,
    })
}

fn respond(mut stream: TcpStream, status: u16, headers: &[(String, String)], body: &str) {
    let mut text = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nCache-Control: no-store\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let _ = stream.write_all(text.as_bytes());
}

fn pair(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_owned(), value.into())
}

fn serve_page(stream: TcpStream) {
    if read_head(&stream).is_some() {
        let html = [pair("Content-Type", "text/html")];
        respond(stream, 200, &html, "<!doctype html><title>page</title>");
    }
}

fn serve_api(stream: TcpStream, state: &State) {
    let Some(head) = read_head(&stream) else {
        return;
    };
    if let Some(id) = head.path.strip_prefix("/log/") {
        let log = state
            .log
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or_default();
        let json = [pair("Content-Type", "application/json")];
        return respond(stream, 200, &json, &Value::Array(log).to_string());
    }
    if head.path == "/cookie" {
        let cookie = [pair("Set-Cookie", format!("{COOKIE}; Path=/"))];
        return respond(stream, 200, &cookie, "cookie set");
    }
    let mut segments = head.path.splitn(4, '/').skip(1);
    let (route, id, rest) = (
        segments.next().unwrap_or_default(),
        segments.next().unwrap_or_default(),
        segments.next(),
    );
    let Some((id, policy)) = state.policies.get_key_value(id) else {
        return respond(stream, 404, &[], "no such scenario");
    };
    let location = match (route, rest) {
        ("s" | "p", _) => None,
        ("r" | "rp", Some(rest)) => match rest.split_once('/') {
            Some((authority, target)) => {
                let to = if route == "r" { "s" } else { "p" };
                Some(format!("http://{authority}/{to}/{target}/resource"))
            }
            None => return respond(stream, 404, &[], "no redirect target"),
        },
        _ => return respond(stream, 404, &[], "no such route"),
    };

    let query = if head.query.is_empty() { "" } else { "?" };
    let url = format!(
        "http://{}{}{query}{}",
        head.header("host").unwrap_or_default(),
        head.path,
        head.query
    );
    let mut request = Request::new(head.method.as_bytes());
    for (n, v) in &head.headers {
        request.push_header(n.as_bytes(), v.as_bytes());
    }
    let decision = policy.decide(&request);
    let mut out = cors_headers(&decision);
    // The probe's requests stay out of the log the browser is judged by.
    if !matches!(route, "p" | "rp") {
        let explanation = decision.explain(&url);
        let entry = log_entry(&head, &decision, &out, explanation.as_ref());
        let mut log = state.log.lock().unwrap();
        log.entry(id.clone()).or_default().push(entry);
    }
    if !decision.vary().is_empty() {
        out.push(pair("Vary", decision.vary().join(", ")));
    }
    if decision.kind() == Kind::Preflight {
        return respond(stream, decision.status().unwrap_or(204), &out, "");
    }
    out.push(pair("Content-Type", "text/plain"));
    out.push(pair("X-Total", "3"));
    out.push(pair("X-Secret", "s3cret"));
    match location {
        Some(location) => {
            out.push(pair("Location", location));
            respond(stream, head.status_param().unwrap_or(307), &out, "")
        }
        None => respond(stream, head.status_param().unwrap_or(200), &out, "ok"),
    }
}

fn cors_headers(decision: &Decision<'_>) -> Vec<(String, String)> {
    decision
        .headers()
        .map(|h| {
            (
                h.name.as_str().to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

fn log_entry(
    head: &Head,
    decision: &Decision<'_>,
    headers: &[(String, String)],
    explanation: Option<&Explanation>,
) -> Value {
    let cookie = head
        .header("cookie")
        .is_some_and(|c| c.split(';').any(|c| c.trim() == COOKIE));
    json!({
        "kind": decision.kind().as_str(),
        "method": head.method,
        "origin": head.header("origin"),
        "cookie": cookie,
        "allowed": decision.allowed(),
        "reason": decision.reason().map(|r| r.as_str()),
        "headers": headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "chrome": explanation.map(|x| &x.chrome),
        "chrome_xhr": explanation.map(|x| x.chrome_for(Initiator::XmlHttpRequest)),
    })
}
