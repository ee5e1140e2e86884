//! Loading the SPEC §8 conformance vectors in `tests/conformance/`.

use std::path::{Path, PathBuf};

use corsgate::{Policy, PolicyBuilder, PolicyError, PolicySet, Request};
use serde_json::Value;

/// One vector file: a policy, and either the error codes building it must
/// report or the request cases to decide.
pub struct Vector {
    /// The file name, for messages.
    pub file: String,
    /// The policy as written.
    pub policy: Value,
    /// The codes building must report (an invalid-policy vector).
    pub errors: Option<Vec<String>>,
    /// The requests and their expected decisions.
    pub cases: Vec<Case>,
}

/// One request and its expected decision.
pub struct Case {
    /// The case's name.
    pub name: String,
    /// The request method.
    pub method: String,
    /// The request path (`/` when the case gives none).
    pub path: String,
    /// The header lines, in order.
    pub headers: Vec<(String, String)>,
    /// The `expect` object, compared by [`crate::compare`].
    pub expect: Value,
}

/// `tests/conformance/` of this repository.
pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

/// Every vector, in file order; panics when there are none or one does not
/// parse, so a missing directory cannot pass as green.
pub fn load_vectors() -> Vec<Vector> {
    load_dir(&conformance_dir())
}

/// Every route vector (`tests/conformance/routes/`): a policy file with
/// `routes`, and cases whose requests carry a `path`.
pub fn load_route_vectors() -> Vec<Vector> {
    load_dir(&conformance_dir().join("routes"))
}

fn load_dir(dir: &Path) -> Vec<Vector> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/conformance exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no conformance vectors found");
    files.iter().map(|path| load(path)).collect()
}

fn load(path: &Path) -> Vector {
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
}

fn parse_case(c: &Value) -> Case {
    let request = &c["request"];
    Case {
        name: c["name"].as_str().unwrap().to_owned(),
        method: request["method"].as_str().unwrap().to_owned(),
        path: request["path"].as_str().unwrap_or("/").to_owned(),
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

/// Builds a vector's policy.
pub fn build(policy: &Value) -> Result<Policy, PolicyError> {
    PolicyBuilder::from_value(policy).build()
}

/// Builds a vector's policy file as a [`PolicySet`] (with or without routes).
pub fn build_set(policy: &Value) -> Result<PolicySet, PolicyError> {
    PolicySet::from_value(policy)
}

/// Every valid policy among the vectors, in file order.
pub fn valid_policies() -> Vec<Policy> {
    load_vectors()
        .iter()
        .filter_map(|v| build(&v.policy).ok())
        .collect()
}

/// A case's request, borrowing it.
pub fn request(case: &Case) -> Request<'_> {
    Request::from_headers(
        case.method.as_bytes(),
        case.headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
    )
}
