//! `corsgate decide`: line in, line out, bad lines answered in place.

mod support;

use serde_json::{json, Value};
use support::{corsgate, scratch_file, stdout};

const POLICY: &str = r#"{"origins": ["https://app.example"], "methods": ["PUT"]}"#;

fn decide(name: &str, input: &str) -> Vec<Value> {
    let policy = scratch_file(name, POLICY);
    let output = corsgate(&["decide", "--policy", policy.to_str().unwrap()], input);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

#[test]
fn a_bad_line_gets_an_error_and_the_rest_still_run() {
    let input = concat!(
        r#"{"method": "GET", "headers": [["Origin", "https://app.example"]]}"#,
        "\n",
        "not json\n",
        "\n",
        r#"{"method": "OPTIONS", "headers": {"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"}}"#,
        "\n",
        r#"{"method": "GET", "headers": [["Origin"]]}"#,
        "\n",
        r#"{"method": "GET", "headers": [["Origin", "https://evil.example"]]}"#,
        "\n",
    );
    let answers = decide("decide-bad-line.json", input);
    assert_eq!(answers.len(), 5, "{answers:?}");
    assert_eq!(
        answers[0],
        json!({"kind": "actual", "allowed": true, "status": null,
            "headers": [["access-control-allow-origin", "https://app.example"]],
            "vary": ["Origin"], "reason": null})
    );
    let error = answers[1]["error"].as_str().expect("an error object");
    assert!(error.starts_with("line 2: not JSON"), "{error}");
    assert_eq!(answers[1].as_object().unwrap().len(), 1);
    assert_eq!(
        answers[2],
        json!({"kind": "preflight", "allowed": true, "status": 204,
            "headers": [["access-control-allow-origin", "https://app.example"],
                        ["access-control-allow-methods", "PUT"]],
            "vary": ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"],
            "reason": null})
    );
    let error = answers[3]["error"].as_str().expect("an error object");
    assert!(error.starts_with("line 5: headers[0]"), "{error}");
    assert_eq!(
        answers[4],
        json!({"kind": "actual", "allowed": false, "status": null, "headers": [],
            "vary": ["Origin"], "reason": "origin-not-allowed"})
    );
}

#[test]
fn an_invalid_policy_exits_1_with_its_problems_on_stderr() {
    let policy = scratch_file(
        "decide-invalid.json",
        r#"{"origins": ["https://app.example/"]}"#,
    );
    let output = corsgate(&["decide", "--policy", policy.to_str().unwrap()], "{}\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(support::stderr(&output).contains("error[invalid-origin]"));
}

#[test]
fn answers_are_flushed_line_by_line() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    let policy = scratch_file("decide-coprocess.json", POLICY);
    let mut child = Command::new(env!("CARGO_BIN_EXE_corsgate"))
        .args(["decide", "--policy", policy.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    // Each answer must arrive while stdin is still open, or a co-process would hang.
    for origin in ["https://app.example", "https://evil.example"] {
        writeln!(
            input,
            r#"{{"method": "GET", "headers": [["Origin", "{origin}"]]}}"#
        )
        .unwrap();
        input.flush().unwrap();
        let mut line = String::new();
        output.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["allowed"], origin == "https://app.example");
    }
    drop(input);
    assert!(child.wait().unwrap().success());
}
