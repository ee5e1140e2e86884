//! Runs every SPEC §8 vector in `tests/conformance/` through `corsgate decide`
//! and `corsgate lint --json`.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::{corsgate, repo_path, scratch_file, stdout};

const LIST_HEADERS: [&str; 3] = [
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
];

/// A `[[name, value], ...]` list normalized for SPEC §8 comparison.
fn header_set(headers: &Value) -> Option<BTreeSet<(String, String)>> {
    headers
        .as_array()?
        .iter()
        .map(|pair| {
            let name = pair.get(0)?.as_str()?.to_ascii_lowercase();
            let value = pair.get(1)?.as_str()?;
            let value = if LIST_HEADERS.contains(&name.as_str()) {
                // Methods are case-sensitive, header names are not.
                let fold = name != "access-control-allow-methods";
                let items: BTreeSet<String> = value
                    .split(',')
                    .map(|item| item.trim_matches([' ', '\t']))
                    .map(|item| {
                        if fold {
                            item.to_ascii_lowercase()
                        } else {
                            item.to_owned()
                        }
                    })
                    .collect();
                items.into_iter().collect::<Vec<_>>().join(",")
            } else {
                value.to_owned()
            };
            Some((name, value))
        })
        .collect()
}

fn vary_set(vary: &Value) -> Option<BTreeSet<String>> {
    vary.as_array()?
        .iter()
        .map(|token| Some(token.as_str()?.to_ascii_lowercase()))
        .collect()
}

/// The differences between a decision object and a case's `expect`.
fn compare(got: &Value, expect: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    for key in ["kind", "allowed", "status"] {
        let want = expect.get(key).unwrap_or(&Value::Null);
        if got.get(key) != Some(want) {
            diffs.push(format!("{key}: got {:?}, want {want}", got.get(key)));
        }
    }
    if let Some(want) = expect.get("reason") {
        if got.get("reason") != Some(want) {
            diffs.push(format!("reason: got {:?}, want {want}", got.get("reason")));
        }
    }
    let got_headers = got.get("headers").and_then(header_set);
    let want_headers = header_set(&expect["headers"]).expect("expect.headers");
    if got_headers.as_ref() != Some(&want_headers) {
        diffs.push(format!(
            "headers: got {got_headers:?}, want {want_headers:?}"
        ));
    }
    let got_vary = got.get("vary").and_then(vary_set);
    let want_vary = vary_set(&expect["vary"]).expect("expect.vary");
    if got_vary.as_ref() != Some(&want_vary) {
        diffs.push(format!("vary: got {got_vary:?}, want {want_vary:?}"));
    }
    diffs
}

#[test]
fn every_conformance_vector_passes_through_the_cli() {
    let mut files: Vec<_> = std::fs::read_dir(repo_path("tests/conformance"))
        .expect("tests/conformance exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let (mut cases_run, mut invalid_run) = (0, 0);
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let vector: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let policy = scratch_file(
            &format!("conformance-{file}"),
            &vector["policy"].to_string(),
        );
        let policy = policy.to_str().unwrap();
        if let Some(codes) = vector.get("errors") {
            invalid_run += 1;
            let output = corsgate(&["lint", "--json", policy], "");
            if output.status.code() != Some(1) {
                failures.push(format!(
                    "{file}: lint exited {:?}, want 1",
                    output.status.code()
                ));
            }
            let report: Value = serde_json::from_str(&stdout(&output))
                .unwrap_or_else(|e| panic!("{file}: lint --json output: {e}"));
            let got: Vec<&str> = report["errors"]
                .as_array()
                .expect("errors list")
                .iter()
                .map(|e| e["code"].as_str().expect("code"))
                .collect();
            for code in codes.as_array().unwrap() {
                if !got.contains(&code.as_str().unwrap()) {
                    failures.push(format!("{file}: missing error {code}; got {got:?}"));
                }
            }
            continue;
        }
        let cases = vector["cases"].as_array().expect("cases");
        let input: String = cases
            .iter()
            .map(|case| format!("{}\n", case["request"]))
            .collect();
        let output = corsgate(&["decide", "--policy", policy], &input);
        if !output.status.success() {
            failures.push(format!("{file}: decide exited {:?}", output.status.code()));
            continue;
        }
        let text = stdout(&output);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), cases.len(), "{file}: one output line per case");
        for (case, line) in cases.iter().zip(lines) {
            cases_run += 1;
            let got: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{file}: output {line:?}: {e}"));
            let diffs = compare(&got, &case["expect"]);
            if !diffs.is_empty() {
                failures.push(format!(
                    "{file} / {}:\n    {}",
                    case["name"],
                    diffs.join("\n    ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} conformance failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases_run >= 200, "only {cases_run} request cases ran");
    assert!(invalid_run > 0, "no invalid-policy vectors ran");
    println!("conformance through the CLI: {cases_run} cases, {invalid_run} invalid policies");
}
