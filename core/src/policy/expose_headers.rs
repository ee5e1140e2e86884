//! `expose_headers`: validation and the joined
//! `Access-Control-Expose-Headers` value.

use crate::config::PolicyConfig;
use crate::error::{ErrorCode, Problem};
use crate::fetch::{is_forbidden_response_header, is_token};

use super::{invalid_header_name, join};

/// Validates `expose_headers` (pushing every problem); the header's value,
/// or `None` when nothing is exposed.
pub(crate) fn compile(config: &PolicyConfig, problems: &mut Vec<Problem>) -> Option<Box<[u8]>> {
    let any = config.expose_headers.iter().any(|h| h == "*");
    if any && config.expose_headers.len() > 1 {
        problems.push(Problem::new(
            ErrorCode::WildcardNotAlone,
            "expose_headers",
            "*",
            "`expose_headers` lists `*` beside other names",
            "use `[\"*\"]` alone to expose every header, or list the names without `*`",
        ));
    }
    if any && config.credentials {
        problems.push(Problem::new(
            ErrorCode::ExposeAnyWithCredentials,
            "expose_headers",
            "*",
            "`expose_headers = [\"*\"]` is treated as the literal name `*` by browsers on credentialed requests",
            "list the response header names scripts need to read",
        ));
    }
    let mut expose: Vec<Box<[u8]>> = Vec::new();
    for h in &config.expose_headers {
        if h == "*" {
            continue;
        }
        if !is_token(h.as_bytes()) {
            problems.push(invalid_header_name("expose_headers", h));
            continue;
        }
        if is_forbidden_response_header(h.as_bytes()) {
            problems.push(Problem::new(
                ErrorCode::ForbiddenResponseHeader,
                "expose_headers",
                h,
                format!("`expose_headers` lists {h:?}, which scripts can never read"),
                format!("remove {h:?} from `expose_headers`"),
            ));
            continue;
        }
        if !expose.iter().any(|e| e.eq_ignore_ascii_case(h.as_bytes())) {
            expose.push(h.as_bytes().into());
        }
    }
    if any {
        Some(b"*".to_vec().into_boxed_slice())
    } else {
        (!expose.is_empty()).then(|| join(&expose, &config.format.expose_headers_separator))
    }
}
