//! `corsgate check`: the report in words and its exit code.

mod support;

use support::{corsgate, repo_path, stdout};

fn check(args: &[&str]) -> (Option<i32>, String) {
    let example = repo_path("examples/policy.toml");
    let mut all = vec!["check", "--policy", example.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = corsgate(&all, "");
    (output.status.code(), stdout(&output))
}

#[test]
fn an_allowed_preflight_exits_0_and_prints_the_headers() {
    let (code, text) = check(&[
        "--origin",
        "https://app.example.com",
        "--request-method",
        "PUT",
        "--request-headers",
        "content-type",
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        text,
        "kind:    preflight\n\
         result:  allowed\n\
         status:  204\n\
         headers:\n  \
         Access-Control-Allow-Origin: https://app.example.com\n  \
         Access-Control-Allow-Credentials: true\n  \
         Access-Control-Allow-Methods: PUT, PATCH, DELETE\n  \
         Access-Control-Allow-Headers: content-type, authorization, x-request-id\n  \
         Access-Control-Max-Age: 7200\n\
         vary:    Origin, Access-Control-Request-Method, Access-Control-Request-Headers\n"
    );
}

#[test]
fn a_refused_preflight_exits_1_with_the_console_messages() {
    let (code, text) = check(&[
        "--origin",
        "https://evil.example",
        "--request-method",
        "DELETE",
        "--url",
        "https://api.example.com/items",
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("result:  refused (origin-not-allowed)\n"),
        "{text}"
    );
    assert!(text.contains("status:  403\n"), "{text}");
    assert!(text.contains("headers: none\n"), "{text}");
    assert!(
        text.contains("fix:     add \"https://evil.example\" to `origins`\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "chrome:  Access to fetch at 'https://api.example.com/items' from origin \
             'https://evil.example' has been blocked by CORS policy: Response to preflight \
             request doesn't pass access control check"
        ),
        "{text}"
    );
    assert!(
        text.contains("firefox: Cross-Origin Request Blocked"),
        "{text}"
    );
}

#[test]
fn a_refused_actual_request_uses_the_default_url() {
    let (code, text) = check(&["--origin", "https://evil.example"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.starts_with("kind:    actual\nresult:  refused (origin-not-allowed)\n"),
        "{text}"
    );
    assert!(!text.contains("status:"), "{text}");
    assert!(
        text.contains("Access to fetch at 'https://api.example.com/' from origin"),
        "{text}"
    );
}

#[test]
fn no_colour_when_stdout_is_not_a_terminal() {
    for origin in ["https://app.example.com", "https://evil.example"] {
        let (_, text) = check(&["--origin", origin, "--request-method", "PUT"]);
        assert!(!text.contains('\x1b'), "{text:?}");
    }
}

#[test]
fn an_invalid_policy_exits_2() {
    let policy = support::scratch_file("check-invalid.json", r#"{"origins": []}"#);
    let output = corsgate(
        &[
            "check",
            "--policy",
            policy.to_str().unwrap(),
            "--origin",
            "https://a.example",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(support::stderr(&output).contains("error[no-origins]"));
}

#[test]
fn version_and_help() {
    let output = corsgate(&["--version"], "");
    assert_eq!(
        stdout(&output),
        format!("corsgate {}\n", env!("CARGO_PKG_VERSION"))
    );
    for command in ["lint", "check", "decide"] {
        let output = corsgate(&[command, "--help"], "");
        assert!(output.status.success());
        assert!(
            stdout(&output).contains("Example"),
            "{command} --help has no example"
        );
    }
}

#[test]
fn a_route_file_names_the_route_that_answered() {
    let routes = repo_path("examples/routes.toml");
    let routes = routes.to_str().unwrap();
    let run = |path: &str| {
        let output = corsgate(
            &[
                "check",
                "--policy",
                routes,
                "--origin",
                "https://app.example.com",
                "--path",
                path,
            ],
            "",
        );
        (output.status.code(), stdout(&output))
    };
    let (code, text) = run("/api/users?page=2");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with(
            "route:   routes[2] \"/api/**\", policy \"app\"\nkind:    actual\nresult:  allowed\n"
        ),
        "{text}"
    );
    let (code, text) = run("/api/admin/users");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with("route:   routes[1] \"/api/admin/**\", policy = false (not CORS)\nkind:    not-cors\nresult:  not CORS on this path\nheaders: none\nvary:    none\n"),
        "{text}"
    );
    let (_, text) = run("/about");
    assert!(
        text.starts_with("route:   outside every route (not CORS)\n"),
        "{text}"
    );
    let (_, text) = run("/api/public/feed");
    assert!(text.contains("Access-Control-Allow-Origin: *\n"), "{text}");
    let lint = corsgate(&["lint", routes], "");
    assert_eq!(lint.status.code(), Some(0), "{}", stdout(&lint));
    assert_eq!(stdout(&lint), format!("{routes}: valid, 0 warnings\n"));
}
