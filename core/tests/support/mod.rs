//! Loading the SPEC §8 conformance vectors and comparing decisions with them.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use corsgate::{Decision, Policy, PolicyBuilder, Request};
use serde_json::Value;

pub struct Vector {
    pub file: String,
    pub policy: Value,
    pub errors: Option<Vec<String>>,
    pub cases: Vec<Case>,
}

pub struct Case {
    pub name: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub expect: Value,
}

pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

pub fn load_vectors() -> Vec<Vector> {
    let mut files: Vec<_> = std::fs::read_dir(conformance_dir())
        .expect("tests/conformance exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no conformance vectors found");
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let errors = v.get("errors").map(|e| {
                e.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_owned())
                    .collect()
            });
            let cases = v
                .get("cases")
                .and_then(Value::as_array)
                .map(|cases| cases.iter().map(parse_case).collect())
                .unwrap_or_default();
            Vector {
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                policy: v["policy"].clone(),
                errors,
                cases,
            }
        })
        .collect()
}

fn parse_case(c: &Value) -> Case {
    let request = &c["request"];
    Case {
        name: c["name"].as_str().unwrap().to_owned(),
        method: request["method"].as_str().unwrap().to_owned(),
        headers: request["headers"]
            .as_array()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        (
                            h[0].as_str().unwrap().to_owned(),
                            h[1].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        expect: c["expect"].clone(),
    }
}

pub fn build(policy: &Value) -> Result<Policy, corsgate::PolicyError> {
    PolicyBuilder::from_value(policy).build()
}

pub fn request<'a>(case: &'a Case) -> Request<'a> {
    Request::from_headers(
        case.method.as_bytes(),
        case.headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
    )
}

const LIST_HEADERS: [&str; 3] = [
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
];

/// A header set normalized for SPEC §8 comparison.
fn normalize(headers: impl Iterator<Item = (String, String)>) -> BTreeSet<(String, String)> {
    headers
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = if LIST_HEADERS.contains(&name.as_str()) {
                let case_insensitive = name != "access-control-allow-methods";
                let items: BTreeSet<String> = value
                    .split(',')
                    .map(|i| i.trim_matches([' ', '\t']))
                    .map(|i| {
                        if case_insensitive {
                            i.to_ascii_lowercase()
                        } else {
                            i.to_owned()
                        }
                    })
                    .collect();
                items.into_iter().collect::<Vec<_>>().join(",")
            } else {
                value
            };
            (name, value)
        })
        .collect()
}

/// Compares a decision with a case's `expect`; returns the differences.
pub fn compare(decision: &Decision<'_>, expect: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let kind = decision.kind().as_str();
    if expect["kind"].as_str() != Some(kind) {
        diffs.push(format!("kind: got {kind}, want {}", expect["kind"]));
    }
    if expect["allowed"].as_bool() != Some(decision.allowed()) {
        diffs.push(format!(
            "allowed: got {}, want {}",
            decision.allowed(),
            expect["allowed"]
        ));
    }
    let status = decision.status().map_or(Value::Null, Value::from);
    if expect.get("status").unwrap_or(&Value::Null) != &status {
        diffs.push(format!("status: got {status}, want {}", expect["status"]));
    }
    if let Some(want) = expect.get("reason") {
        let got = decision.reason().map_or(Value::Null, |r| r.as_str().into());
        if *want != got {
            diffs.push(format!("reason: got {got}, want {want}"));
        }
    }
    let got = normalize(decision.headers().map(|h| {
        (
            h.name.as_str().to_owned(),
            String::from_utf8_lossy(h.value).into_owned(),
        )
    }));
    let want = normalize(
        expect["headers"]
            .as_array()
            .expect("expect.headers")
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap().to_owned(),
                )
            }),
    );
    if got != want {
        diffs.push(format!("headers: got {got:?}, want {want:?}"));
    }
    let got: BTreeSet<String> = decision
        .vary()
        .iter()
        .map(|v| v.to_ascii_lowercase())
        .collect();
    let want: BTreeSet<String> = expect["vary"]
        .as_array()
        .expect("expect.vary")
        .iter()
        .map(|v| v.as_str().unwrap().to_ascii_lowercase())
        .collect();
    if got != want {
        diffs.push(format!("vary: got {got:?}, want {want:?}"));
    }
    diffs
}
