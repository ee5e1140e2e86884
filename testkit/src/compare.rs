//! The one SPEC §8 comparison of a decision with a case's `expect`, as
//! `tests/conformance/README.md` states it for every language: `kind`,
//! `allowed` and `status` exactly, `reason` when the case gives one, header
//! names ASCII-case-insensitively, the three list headers as sets of items
//! (methods case-sensitively, header names not), the other values byte for
//! byte, and `vary` as a case-insensitive set.

use std::collections::BTreeSet;

use corsgate::Decision;
use serde_json::Value;

/// A decision as any surface reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// `preflight`, `actual` or `not-cors`.
    pub kind: String,
    /// Whether the request was allowed.
    pub allowed: bool,
    /// The preflight status, if any.
    pub status: Option<u16>,
    /// The refusal reason code, if any.
    pub reason: Option<String>,
    /// The response headers, in order.
    pub headers: Vec<(String, String)>,
    /// The `Vary` tokens.
    pub vary: Vec<String>,
}

impl Observed {
    /// What the Rust API decided.
    pub fn from_decision(decision: &Decision<'_>) -> Self {
        Observed {
            kind: decision.kind().as_str().to_owned(),
            allowed: decision.allowed(),
            status: decision.status(),
            reason: decision.reason().map(|r| r.as_str().to_owned()),
            headers: decision
                .headers()
                .map(|h| {
                    (
                        h.name.as_str().to_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            vary: decision.vary().iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    /// A decision written as JSON in the vectors' `expect` shape (what
    /// `corsgate decide` prints); `Err` names what is missing.
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(Observed {
            kind: text("kind").ok_or("no kind")?,
            allowed: v
                .get("allowed")
                .and_then(Value::as_bool)
                .ok_or("no allowed")?,
            status: match v.get("status") {
                None | Some(Value::Null) => None,
                Some(s) => Some(
                    s.as_u64()
                        .and_then(|s| u16::try_from(s).ok())
                        .ok_or_else(|| format!("status {s}"))?,
                ),
            },
            reason: text("reason"),
            headers: pairs(v.get("headers").ok_or("no headers")?)?,
            vary: v
                .get("vary")
                .and_then(Value::as_array)
                .ok_or("no vary")?
                .iter()
                .map(|t| t.as_str().map(str::to_owned).ok_or("vary item"))
                .collect::<Result<_, _>>()?,
        })
    }
}

fn pairs(headers: &Value) -> Result<Vec<(String, String)>, String> {
    headers
        .as_array()
        .ok_or("headers is not a list")?
        .iter()
        .map(|pair| {
            match (
                pair.get(0).and_then(Value::as_str),
                pair.get(1).and_then(Value::as_str),
            ) {
                (Some(n), Some(v)) => Ok((n.to_owned(), v.to_owned())),
                _ => Err(format!("header {pair} is not [name, value]")),
            }
        })
        .collect()
}

const LIST_HEADERS: [&str; 3] = [
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
];

/// A header set normalized for SPEC §8 comparison.
fn normalize(headers: &[(String, String)]) -> BTreeSet<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = if LIST_HEADERS.contains(&name.as_str()) {
                // Methods are case-sensitive, header names are not.
                let fold = name != "access-control-allow-methods";
                let items: BTreeSet<String> = value
                    .split(',')
                    .map(|i| i.trim_matches([' ', '\t']))
                    .map(|i| {
                        if fold {
                            i.to_ascii_lowercase()
                        } else {
                            i.to_owned()
                        }
                    })
                    .collect();
                items.into_iter().collect::<Vec<_>>().join(",")
            } else {
                value.clone()
            };
            (name, value)
        })
        .collect()
}

fn vary_set(vary: &[String]) -> BTreeSet<String> {
    vary.iter().map(|v| v.to_ascii_lowercase()).collect()
}

/// The differences between what a surface decided and a case's `expect`
/// (empty when they agree).
pub fn compare(got: &Observed, expect: &Value) -> Vec<String> {
    let want = Observed::from_json(expect).unwrap_or_else(|e| panic!("expect {expect}: {e}"));
    let mut diffs = Vec::new();
    if got.kind != want.kind {
        diffs.push(format!("kind: got {}, want {}", got.kind, want.kind));
    }
    if got.allowed != want.allowed {
        diffs.push(format!(
            "allowed: got {}, want {}",
            got.allowed, want.allowed
        ));
    }
    if got.status != want.status {
        diffs.push(format!(
            "status: got {:?}, want {:?}",
            got.status, want.status
        ));
    }
    if expect.get("reason").is_some() && got.reason != want.reason {
        diffs.push(format!(
            "reason: got {:?}, want {:?}",
            got.reason, want.reason
        ));
    }
    let (g, w) = (normalize(&got.headers), normalize(&want.headers));
    if g != w {
        diffs.push(format!("headers: got {g:?}, want {w:?}"));
    }
    let (g, w) = (vary_set(&got.vary), vary_set(&want.vary));
    if g != w {
        diffs.push(format!("vary: got {g:?}, want {w:?}"));
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_are_sets_and_methods_keep_their_case() {
        let expect = json!({"kind": "preflight", "allowed": true, "status": 204,
            "headers": [["Access-Control-Allow-Methods", "PUT, patch"], ["Access-Control-Allow-Headers", "X-A,x-b"]],
            "vary": ["Origin"]});
        let mut got = Observed::from_json(&json!({"kind": "preflight", "allowed": true, "status": 204,
            "headers": [["access-control-allow-headers", "x-b, x-a"], ["access-control-allow-methods", "patch,PUT"]],
            "vary": ["origin"]})).unwrap();
        assert!(compare(&got, &expect).is_empty());
        got.headers[1].1 = "PATCH,PUT".into();
        assert_eq!(compare(&got, &expect).len(), 1);
        got.status = Some(200);
        got.vary.clear();
        assert_eq!(compare(&got, &expect).len(), 3);
    }

    #[test]
    fn reason_counts_only_when_expected() {
        let expect = json!({"kind": "actual", "allowed": false, "headers": [], "vary": ["Origin"]});
        let mut got = Observed::from_json(&expect).unwrap();
        got.reason = Some("origin-not-allowed".into());
        assert!(compare(&got, &expect).is_empty());
        let expect = json!({"kind": "actual", "allowed": false, "reason": "origin-malformed", "headers": [], "vary": ["Origin"]});
        assert_eq!(compare(&got, &expect).len(), 1);
    }
}
