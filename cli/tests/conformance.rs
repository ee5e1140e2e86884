//! Runs every SPEC §8 vector in `tests/conformance/` through `corsgate decide`
//! and `corsgate lint --json`.

mod support;

use corsgate_testkit::{compare, load_route_vectors, load_vectors, Observed, Vector};
use serde_json::{json, Value};
use support::{corsgate, scratch_file, stdout};

#[test]
fn every_conformance_vector_passes_through_the_cli() {
    let (cases_run, invalid_run) = run(load_vectors());
    assert!(cases_run >= 200, "only {cases_run} request cases ran");
    assert!(invalid_run > 0, "no invalid-policy vectors ran");
    println!("conformance through the CLI: {cases_run} cases, {invalid_run} invalid policies");
}

#[test]
fn every_route_vector_passes_through_the_cli() {
    let (cases_run, invalid_run) = run(load_route_vectors());
    assert!(
        cases_run >= 25 && invalid_run >= 5,
        "{cases_run} cases, {invalid_run} invalid"
    );
}

/// Runs `vectors` through `decide` and `lint --json`: the counts of request
/// cases and invalid policies run; panics listing every failure.
fn run(vectors: Vec<Vector>) -> (usize, usize) {
    let mut failures = Vec::new();
    let (mut cases_run, mut invalid_run) = (0, 0);
    for vector in vectors {
        let file = &vector.file;
        let policy = scratch_file(&format!("conformance-{file}"), &vector.policy.to_string());
        let policy = policy.to_str().unwrap();
        if let Some(codes) = &vector.errors {
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
            for code in codes {
                if !got.contains(&code.as_str()) {
                    failures.push(format!("{file}: missing error {code}; got {got:?}"));
                }
            }
            continue;
        }
        let cases = &vector.cases;
        let input: String = cases
            .iter()
            .map(|case| {
                format!(
                    "{}\n",
                    json!({"method": case.method, "path": case.path, "headers": case.headers})
                )
            })
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
            let got = Observed::from_json(&got)
                .unwrap_or_else(|e| panic!("{file}: output {line:?}: {e}"));
            let diffs = compare(&got, &case.expect);
            if !diffs.is_empty() {
                failures.push(format!(
                    "{file} / {}:\n    {}",
                    case.name,
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
    (cases_run, invalid_run)
}
