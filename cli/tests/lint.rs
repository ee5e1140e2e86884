//! `corsgate lint`: exit codes and the text and JSON reports.

mod support;

use serde_json::Value;
use support::{corsgate, repo_path, scratch_file, stderr, stdout};

#[test]
fn the_example_policy_is_valid() {
    let example = repo_path("examples/policy.toml");
    let output = corsgate(&["lint", example.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout(&output).ends_with(": valid, 0 warnings\n"),
        "{}",
        stdout(&output)
    );
}

const THREE_PROBLEMS: &str = r#"
origins = ["https://app.example.com/"]
methods = ["TRACE"]
max_age = 90000
"#;

#[test]
fn an_invalid_policy_exits_1_and_names_every_problem() {
    let policy = scratch_file("lint-three-problems.toml", THREE_PROBLEMS);
    let output = corsgate(&["lint", policy.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    for code in ["invalid-origin", "forbidden-method", "max-age-out-of-range"] {
        assert!(
            text.contains(&format!("error[{code}]: ")),
            "{code} missing from:\n{text}"
        );
    }
    assert_eq!(text.matches("\n  fix: ").count(), 3, "{text}");
    assert!(text.ends_with(": invalid, 3 errors\n"), "{text}");
}

#[test]
fn json_report_has_exactly_the_documented_keys() {
    let policy = scratch_file("lint-three-problems-json.toml", THREE_PROBLEMS);
    let output = corsgate(&["lint", "--json", policy.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["errors", "warnings"]);
    let errors = report["errors"].as_array().unwrap();
    let codes: Vec<&str> = errors.iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["invalid-origin", "forbidden-method", "max-age-out-of-range"]
    );
    for error in errors {
        let mut keys: Vec<&String> = error.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["code", "fix", "message", "value"]);
    }
    assert_eq!(errors[0]["value"], "https://app.example.com/");
}

#[test]
fn warnings_leave_the_exit_code_at_0() {
    // No extension: read as TOML, then as JSON.
    let policy = scratch_file(
        "lint-warnings",
        r#"{"origins": ["https://app.example"], "max_age": 9000}"#,
    );
    let output = corsgate(&["lint", "--json", policy.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["errors"], Value::Array(vec![]));
    assert_eq!(report["warnings"][0]["code"], "max-age-above-chrome-cap");
}

#[test]
fn an_unreadable_path_exits_2_naming_it() {
    let missing = repo_path("no-such-policy.toml");
    let missing = missing.to_str().unwrap();
    let output = corsgate(&["lint", missing], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(missing), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
}
