//! A slow, obviously-correct reading of SPEC §5, written without the engine's
//! tables or tricks, for property tests to compare against.

use corsgate::fetch::{is_forbidden_method, is_forbidden_request_header, is_token};
use corsgate::limits::*;
use std::collections::BTreeSet;

use corsgate::{is_valid_origin, Policy, PolicyConfig, Request};

#[derive(Debug, PartialEq, Eq)]
pub struct Expected {
    pub kind: &'static str,
    pub allowed: bool,
    pub status: Option<u16>,
    /// (lowercase name, value)
    pub headers: Vec<(String, Vec<u8>)>,
    pub vary: Vec<&'static str>,
    pub reason: Option<&'static str>,
}

fn trim(v: &[u8]) -> Vec<u8> {
    let s: &[u8] = v;
    let start = s
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(start, |e| e + 1);
    s[start..end].to_vec()
}

fn lines<'a>(headers: &'a [(Vec<u8>, Vec<u8>)], name: &str) -> Vec<&'a [u8]> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v.as_slice())
        .collect()
}

/// Splits a valid origin into (scheme, host, port text or "").
fn split(origin: &str) -> (String, String, String) {
    let (scheme, rest) = origin.split_once("://").unwrap();
    let (host, port) = if rest.starts_with('[') {
        let end = rest.find(']').unwrap();
        (&rest[..=end], rest[end + 1..].trim_start_matches(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => (rest, ""),
        }
    };
    (scheme.to_owned(), host.to_owned(), port.to_owned())
}

fn pattern_matches(pattern: &str, origin: &str) -> bool {
    if pattern == origin {
        return true;
    }
    if pattern == "null" || !is_valid_origin(origin.as_bytes()) {
        return false;
    }
    let (ps, ph, pp) = split(pattern);
    let (os, oh, op) = split(origin);
    let host_ok = match ph.strip_prefix("*.") {
        Some(suffix) => oh.ends_with(&format!(".{suffix}")) && !oh.starts_with('['),
        None => ph == oh,
    };
    let port_ok = pp == "*" || pp == op;
    ps == os && host_ok && port_ok
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with("127.")
        || host == "[::1]"
}

pub fn decide(
    cfg: &PolicyConfig,
    predicate: Option<&dyn Fn(&str) -> bool>,
    method: &[u8],
    headers: &[(Vec<u8>, Vec<u8>)],
) -> Expected {
    let any_origin = cfg.origins.iter().any(|o| o == "*");
    let origins = lines(headers, "origin");
    let acrm = lines(headers, "access-control-request-method");
    let kind = if origins.is_empty() {
        "not-cors"
    } else if method == b"OPTIONS" && !acrm.is_empty() {
        "preflight"
    } else {
        "actual"
    };
    let preflight = kind == "preflight";
    let vary: Vec<&'static str> = if preflight {
        let mut v = vec![
            "Origin",
            "Access-Control-Request-Method",
            "Access-Control-Request-Headers",
        ];
        if cfg.private_network.allow || cfg.format.full_vary {
            v.push("Access-Control-Request-Private-Network");
        }
        v
    } else if any_origin && !cfg.format.full_vary {
        vec![]
    } else {
        vec!["Origin"]
    };
    let refuse = |reason: &'static str| Expected {
        kind,
        allowed: false,
        status: preflight.then_some(cfg.refused_preflight_status as u16),
        headers: vec![],
        vary: vary.clone(),
        reason: Some(reason),
    };
    let expose: Vec<(String, Vec<u8>)> = if cfg.expose_headers.is_empty() {
        vec![]
    } else {
        vec![(
            "access-control-expose-headers".into(),
            cfg.expose_headers.join(", ").into_bytes(),
        )]
    };

    // Origin.
    let allow_origin: Vec<u8> = if any_origin {
        b"*".to_vec()
    } else if origins.is_empty() {
        return Expected {
            kind,
            allowed: false,
            status: None,
            headers: vec![],
            vary,
            reason: None,
        };
    } else {
        if origins.len() != 1 || origins[0].len() > MAX_ORIGIN_LEN {
            return refuse("invalid-origin");
        }
        let o = trim(origins[0]);
        let Ok(text) = String::from_utf8(o.clone()) else {
            return refuse("invalid-origin");
        };
        if text == "null" {
            if cfg.origins.iter().any(|p| p == "null") {
                o
            } else {
                return refuse("origin-not-allowed");
            }
        } else if !is_valid_origin(&o) {
            return refuse("invalid-origin");
        } else if cfg.origins.iter().any(|p| pattern_matches(p, &text)) {
            o
        } else {
            let (scheme, host, _) = split(&text);
            let insecure = scheme == "http" && !is_loopback(&host);
            let refused_insecure = cfg.credentials
                && insecure
                && !cfg.dangerous.allow_insecure_origins_with_credentials;
            if !refused_insecure && predicate.is_some_and(|p| p(&text)) {
                o
            } else {
                return refuse("origin-not-allowed");
            }
        }
    };
    let mut out = vec![("access-control-allow-origin".to_owned(), allow_origin)];
    if cfg.credentials {
        out.push(("access-control-allow-credentials".into(), b"true".to_vec()));
    }
    if !preflight {
        out.extend(expose);
        return Expected {
            kind,
            allowed: true,
            status: None,
            headers: out,
            vary,
            reason: None,
        };
    }

    // Method.
    if acrm.len() != 1 || acrm[0].len() > MAX_REQUEST_METHOD_LEN {
        return refuse("invalid-method");
    }
    let m = trim(acrm[0]);
    if !is_token(&m) {
        return refuse("invalid-method");
    }
    let normalize = |c: &str| {
        if ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(c))
        {
            c.to_ascii_uppercase()
        } else {
            c.to_owned()
        }
    };
    let configured: Vec<String> = cfg
        .methods
        .iter()
        .filter(|c| *c != "*")
        .map(|c| normalize(c))
        .collect();
    let any_method = cfg.methods.iter().any(|c| c == "*");
    let method_ok = !is_forbidden_method(&m)
        && (m == b"GET"
            || m == b"HEAD"
            || m == b"POST"
            || (any_method && !(cfg.credentials && m == b"*"))
            || configured.iter().any(|c| c.as_bytes() == m.as_slice()));
    if !method_ok {
        return refuse("method-not-allowed");
    }

    // Headers: parse fully first; a malformed list beats a disallowed name.
    let acrh = lines(headers, "access-control-request-headers");
    let total: usize = acrh.iter().map(|l| l.len()).sum();
    if acrh.len() > MAX_REQUEST_HEADERS_LINES || total > MAX_REQUEST_HEADERS_LEN {
        return refuse("invalid-request-headers");
    }
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut empty = 0;
    for line in &acrh {
        for item in line.split(|b| *b == b',') {
            let t = trim(item);
            if t.is_empty() {
                empty += 1;
            } else {
                names.push(t);
            }
        }
    }
    if empty > MAX_REQUEST_HEADERS_EMPTY
        || names.len() > MAX_REQUEST_HEADERS_NAMES
        || names.iter().any(|n| !is_token(n))
    {
        return refuse("invalid-request-headers");
    }
    let any_header = cfg.request_headers.iter().any(|h| h == "*");
    let listed = |n: &[u8]| {
        cfg.request_headers
            .iter()
            .any(|h| h != "*" && h.as_bytes().eq_ignore_ascii_case(n))
    };
    for n in &names {
        let ok = if n.eq_ignore_ascii_case(b"authorization") {
            listed(n)
        } else if any_header {
            !(is_forbidden_request_header(n) || cfg.credentials && n.as_slice() == b"*")
        } else {
            listed(n)
        };
        if !ok {
            return refuse("header-not-allowed");
        }
    }

    if !cfg.methods.is_empty() {
        let v = if any_method {
            if cfg.credentials {
                m.clone()
            } else {
                b"*".to_vec()
            }
        } else {
            let mut uniq: Vec<String> = Vec::new();
            for c in configured {
                if !uniq.contains(&c) {
                    uniq.push(c);
                }
            }
            uniq.join(", ").into_bytes()
        };
        out.push(("access-control-allow-methods".into(), v));
    }
    if !cfg.request_headers.is_empty() {
        let lower: Vec<String> = cfg
            .request_headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        // With credentials Fetch reads `*` literally, so the names are echoed;
        // `format.request_headers_wildcard = "echo"` asks for that without.
        let echo = cfg.credentials || cfg.format.request_headers_wildcard == "echo";
        let v = if any_header && echo {
            let joined: Vec<String> = names
                .iter()
                .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase())
                .collect();
            (!joined.is_empty()).then(|| joined.join(",").into_bytes())
        } else if any_header {
            Some(if lower.iter().any(|h| h == "authorization") {
                b"*, authorization".to_vec()
            } else {
                b"*".to_vec()
            })
        } else {
            Some(lower.join(", ").into_bytes())
        };
        if let Some(v) = v {
            out.push(("access-control-allow-headers".into(), v));
        }
    }
    if let Some(age) = cfg.max_age {
        out.push((
            "access-control-max-age".into(),
            age.to_string().into_bytes(),
        ));
    }
    let pn = lines(headers, "access-control-request-private-network");
    if cfg.private_network.allow && pn.len() == 1 && trim(pn[0]) == b"true" {
        out.push((
            "access-control-allow-private-network".into(),
            b"true".to_vec(),
        ));
        if let Some(id) = &cfg.private_network.id {
            out.push(("private-network-access-id".into(), id.clone().into_bytes()));
        }
        if let Some(name) = &cfg.private_network.name {
            out.push((
                "private-network-access-name".into(),
                name.clone().into_bytes(),
            ));
        }
    }
    Expected {
        kind,
        allowed: true,
        status: Some(cfg.preflight_status as u16),
        headers: out,
        vary,
        reason: None,
    }
}

const LIST_HEADERS: [&str; 3] = [
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
];

/// Header values in SPEC §8 comparison form: list-valued headers as sorted
/// sets of trimmed items (header names case-folded, methods not).
fn normalize(headers: Vec<(String, Vec<u8>)>) -> BTreeSet<(String, Vec<u8>)> {
    headers
        .into_iter()
        .map(|(n, v)| {
            if LIST_HEADERS.contains(&n.as_str()) {
                let fold = n != "access-control-allow-methods";
                let items: BTreeSet<Vec<u8>> = v
                    .split(|b| *b == b',')
                    .map(|i| {
                        let t = String::from_utf8_lossy(i)
                            .trim_matches([' ', '\t'])
                            .to_owned();
                        if fold {
                            t.to_ascii_lowercase().into_bytes()
                        } else {
                            t.into_bytes()
                        }
                    })
                    .collect();
                (n, items.into_iter().collect::<Vec<_>>().join(&b","[..]))
            } else {
                (n, v)
            }
        })
        .collect()
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Decides `lines` with `policy` (built from `policy.config()` and
/// `predicate`), checks the SPEC §6 invariants, and compares with the oracle.
pub fn verify(
    policy: &Policy,
    predicate: Option<&dyn Fn(&str) -> bool>,
    method: &[u8],
    lines: &[(Vec<u8>, Vec<u8>)],
) -> Result<(), String> {
    let request = Request::from_headers(
        method,
        lines.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
    );
    let decision = policy.decide(&request);
    let headers: Vec<(String, Vec<u8>)> = decision
        .headers()
        .map(|h| (h.name.lowercase().to_owned(), h.value.to_vec()))
        .collect();

    // §6.2: no `*` anywhere once credentials are sent.
    if headers
        .iter()
        .any(|(n, _)| n == "access-control-allow-credentials")
    {
        for (n, v) in &headers {
            let star = v
                .split(|b| *b == b',')
                .any(|i| String::from_utf8_lossy(i).trim() == "*");
            ensure!(!star, "{n} carries * with credentials");
        }
    }
    // §6.5: at most one Allow-Origin, present exactly when allowed.
    let origin_values: Vec<&Vec<u8>> = headers
        .iter()
        .filter(|(n, _)| n == "access-control-allow-origin")
        .map(|(_, v)| v)
        .collect();
    ensure!(origin_values.len() <= 1, "several Allow-Origin headers");
    ensure!(
        origin_values.len() == 1 || !decision.allowed(),
        "allowed without Allow-Origin"
    );
    ensure!(
        origin_values.is_empty() || decision.allowed(),
        "Allow-Origin on a refusal"
    );
    // §6.3: an echoed origin is the request's own.
    if let Some(v) = origin_values.first() {
        if v.as_slice() != b"*" {
            let sent: Vec<Vec<u8>> = lines
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(b"origin"))
                .map(|(_, v)| trim(v))
                .collect();
            ensure!(
                sent.len() == 1 && &sent[0] == *v,
                "echoed {v:?}, request sent {sent:?}"
            );
        }
    }
    // §6.4: every value is a valid field value.
    for (n, v) in &headers {
        ensure!(
            v.iter().all(|b| (0x20..0x7f).contains(b) || *b == b'\t'),
            "{n} has a control byte: {v:?}"
        );
    }
    // §6.7 / §5: the oracle agrees.
    let want = decide(policy.config(), predicate, method, lines);
    let got = Expected {
        kind: decision.kind().as_str(),
        allowed: decision.allowed(),
        status: decision.status(),
        headers: vec![],
        vary: decision.vary().to_vec(),
        reason: decision.reason().map(|r| r.as_str()),
    };
    let want_headers = normalize(want.headers.clone());
    ensure!(
        got == Expected {
            headers: vec![],
            ..want
        },
        "engine {got:?} differs from the oracle"
    );
    let got_headers = normalize(headers);
    ensure!(
        got_headers == want_headers,
        "headers {got_headers:?}, oracle {want_headers:?}"
    );
    Ok(())
}
