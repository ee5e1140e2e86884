//! `format`: the bytes of list-valued headers (the separator between items,
//! the spelling of configured request header names). Browsers read every
//! choice alike; a drop-in picks the one its peer sends.

use crate::config::PolicyConfig;
use crate::error::{ErrorCode, Problem};

/// The separators a list may be joined with (RFC 9110 §5.6.1 allows both).
const SEPARATORS: [&str; 2] = [", ", ","];
/// The values of `format.request_headers_case`.
const CASES: [&str; 2] = ["lowercase", "as-configured"];
/// The values of `format.vary_case`.
const VARY_CASES: [&str; 2] = ["canonical", "lowercase"];
/// The values of `format.request_headers_wildcard`.
const WILDCARDS: [&str; 2] = ["star", "echo"];

/// Validates the `format` table, pushing a problem per bad value.
pub(crate) fn validate(config: &PolicyConfig, problems: &mut Vec<Problem>) {
    let f = &config.format;
    for (key, value) in [
        ("format.methods_separator", &f.methods_separator),
        (
            "format.request_headers_separator",
            &f.request_headers_separator,
        ),
        (
            "format.expose_headers_separator",
            &f.expose_headers_separator,
        ),
    ] {
        if !SEPARATORS.contains(&value.as_str()) {
            problems.push(Problem::new(
                ErrorCode::InvalidFormat,
                key,
                value,
                format!("`{key}` is {value:?}; a list is joined with \", \" or \",\""),
                "use \", \" (the default) or \",\"",
            ));
        }
    }
    let case = &f.request_headers_case;
    if !CASES.contains(&case.as_str()) {
        problems.push(Problem::new(
            ErrorCode::InvalidFormat,
            "format.request_headers_case",
            case,
            format!("`format.request_headers_case` is {case:?}"),
            "use \"lowercase\" (the default) or \"as-configured\"",
        ));
    }
    let vary = &f.vary_case;
    if !VARY_CASES.contains(&vary.as_str()) {
        problems.push(Problem::new(
            ErrorCode::InvalidFormat,
            "format.vary_case",
            vary,
            format!("`format.vary_case` is {vary:?}"),
            "use \"canonical\" (`Origin`, the default) or \"lowercase\" (`origin`)",
        ));
    }
    let wildcard = &f.request_headers_wildcard;
    if !WILDCARDS.contains(&wildcard.as_str()) {
        problems.push(Problem::new(
            ErrorCode::InvalidFormat,
            "format.request_headers_wildcard",
            wildcard,
            format!("`format.request_headers_wildcard` is {wildcard:?}"),
            "use \"star\" (send `*`, the default) or \"echo\" (send the requested names)",
        ));
    }
}

/// The bytes between items for a separator setting (a bad one is reported
/// by [`validate`]; the default stands in for it).
pub(crate) fn separator(setting: &str) -> &'static [u8] {
    if setting == "," {
        b","
    } else {
        b", "
    }
}

/// Whether configured request header names keep their spelling in
/// `Access-Control-Allow-Headers`.
pub(crate) fn keeps_case(config: &PolicyConfig) -> bool {
    config.format.request_headers_case == "as-configured"
}

/// Whether `request_headers = ["*"]` echoes the requested names even
/// without credentials.
pub(crate) fn echoes_wildcard(config: &PolicyConfig) -> bool {
    config.format.request_headers_wildcard == "echo"
}

/// Whether `Vary` tokens are written lowercase (`origin`).
pub(crate) fn lowercase_vary(config: &PolicyConfig) -> bool {
    config.format.vary_case == "lowercase"
}
