//! `request_headers`: validation, the joined `Access-Control-Allow-Headers`
//! value, and whether a preflight's requested names are allowed.

use crate::ascii::eq_lowercase;
use crate::config::PolicyConfig;
use crate::decision::Check;
use crate::error::{ErrorCode, Problem};
use crate::fetch::{is_forbidden_request_header, is_token};
use crate::hash::{ByteSet, FastSet};

use super::{invalid_header_name, join};

/// Up to this many configured request header names, a linear scan beats
/// hashing the requested name.
const LINEAR_HEADER_LOOKUP: usize = 8;
/// Up to this many listed request headers, every list a browser can send for
/// them (2^n - 1 of them) is precomputed.
const BROWSER_LISTS_UP_TO: usize = 6;
/// A stack buffer for a requested header name folded to lowercase.
const FOLD_BUFFER: usize = 64;

/// The allowed request headers.
pub(crate) struct RequestHeaders {
    /// Lowercase, distinct.
    listed: Vec<Box<[u8]>>,
    /// `listed` as a set, when the list is longer than a linear scan is worth.
    set: Option<FastSet<Box<[u8]>>>,
    /// Every `Access-Control-Request-Headers` value a browser sends for
    /// listed names (Fetch: a sorted, lowercase, comma-joined set), for short
    /// lists: such a line is accepted with one lookup instead of a scan.
    lists: Option<ByteSet>,
    any: bool,
    authorization_listed: bool,
    credentials: bool,
    /// `*` echoes the requested names: with credentials (Fetch reads `*`
    /// literally then), or by `format.request_headers_wildcard = "echo"`.
    echo: bool,
}

impl RequestHeaders {
    /// Validates `request_headers` (pushing every problem) and compiles
    /// them, with the `Access-Control-Allow-Headers` value of an allowed
    /// preflight when it is fixed (a credentialed `*` echoes the request's).
    pub(crate) fn compile(
        config: &PolicyConfig,
        problems: &mut Vec<Problem>,
    ) -> (Self, Option<Box<[u8]>>) {
        let credentials = config.credentials;
        let echo = credentials || super::format::echoes_wildcard(config);
        let any = config.request_headers.iter().any(|h| h == "*");
        let mut listed: Vec<Box<[u8]>> = Vec::new();
        // `listed` as configured, for `format.request_headers_case`.
        let mut spelled: Vec<Box<[u8]>> = Vec::new();
        for h in &config.request_headers {
            if h == "*" {
                continue;
            }
            if !is_token(h.as_bytes()) {
                problems.push(invalid_header_name("request_headers", h));
                continue;
            }
            if is_forbidden_request_header(h.as_bytes()) {
                problems.push(Problem::new(
                    ErrorCode::ForbiddenRequestHeader,
                    "request_headers",
                    h,
                    format!("`request_headers` lists {h:?}, a name only the browser may set"),
                    format!("remove {h:?} from `request_headers`"),
                ));
                continue;
            }
            let lower = h.to_ascii_lowercase();
            if any && lower != "authorization" {
                problems.push(Problem::new(
                    ErrorCode::WildcardNotAlone,
                    "request_headers",
                    h,
                    format!("`request_headers` lists {h:?} beside `*`, which already allows it"),
                    format!("remove {h:?}; only `authorization` needs listing beside `*`"),
                ));
                continue;
            }
            let lower = lower.into_bytes().into_boxed_slice();
            if !listed.contains(&lower) {
                listed.push(lower);
                spelled.push(h.as_bytes().into());
            }
        }
        let authorization_listed = listed.iter().any(|h| &**h == b"authorization");
        let allow = if any {
            (!echo).then(|| {
                if authorization_listed {
                    b"*, authorization".to_vec().into_boxed_slice()
                } else {
                    b"*".to_vec().into_boxed_slice()
                }
            })
        } else {
            let names = if super::format::keeps_case(config) {
                &spelled
            } else {
                &listed
            };
            (!listed.is_empty()).then(|| join(names, &config.format.request_headers_separator))
        };
        let set = (listed.len() > LINEAR_HEADER_LOOKUP).then(|| listed.iter().cloned().collect());
        let lists = (!any && (1..=BROWSER_LISTS_UP_TO).contains(&listed.len()))
            .then(|| browser_lists(&listed));
        let headers = RequestHeaders {
            listed,
            set,
            lists,
            any,
            authorization_listed,
            credentials,
            echo,
        };
        (headers, allow)
    }

    /// Whether the requested names are echoed back (a credentialed `*`).
    #[inline]
    pub(crate) fn reflects(&self) -> bool {
        self.any && self.echo
    }

    /// Whether `line` is a list a browser sends for listed names only.
    #[inline]
    pub(crate) fn is_browser_list(&self, line: &[u8]) -> bool {
        self.lists.as_ref().is_some_and(|l| l.contains(line))
    }

    /// Whether one requested name (a token) is allowed.
    #[inline]
    pub(crate) fn allows(&self, name: &[u8]) -> bool {
        if self.any {
            if name.eq_ignore_ascii_case(b"authorization") {
                return self.authorization_listed;
            }
            return !(is_forbidden_request_header(name) || self.credentials && name == b"*");
        }
        // Configured names are lowercase, as browsers send them.
        let Some(set) = &self.set else {
            return self.listed.iter().any(|c| eq_lowercase(name, c));
        };
        if !name.iter().any(u8::is_ascii_uppercase) {
            return set.contains(name);
        }
        let mut folded = [0u8; FOLD_BUFFER];
        match folded.get_mut(..name.len()) {
            Some(buf) => {
                for (d, s) in buf.iter_mut().zip(name) {
                    *d = s.to_ascii_lowercase();
                }
                set.contains(&*buf)
            }
            // Longer than any header name in practice: scan.
            None => self.listed.iter().any(|c| c.eq_ignore_ascii_case(name)),
        }
    }

    /// Which check failed, for a name [`RequestHeaders::allows`] refused.
    #[cold]
    pub(crate) fn refusal(&self, name: &[u8]) -> Check {
        if is_forbidden_request_header(name) {
            Check::HeaderForbidden
        } else if self.any && name.eq_ignore_ascii_case(b"authorization") {
            Check::HeaderAuthorizationNotCovered
        } else {
            Check::HeaderNotListed
        }
    }
}

/// The values of `Access-Control-Request-Headers` a browser sends when it
/// asks for some of `names` (lowercase, distinct): each non-empty subset,
/// sorted bytewise and joined by `,` (Fetch, "CORS-unsafe request-header
/// names").
pub(super) fn browser_lists(names: &[Box<[u8]>]) -> ByteSet {
    let mut sorted: Vec<&[u8]> = names.iter().map(|n| &**n).collect();
    sorted.sort_unstable();
    (1u32..1 << sorted.len())
        .map(|subset| {
            let chosen = sorted
                .iter()
                .enumerate()
                .filter(|(i, _)| subset & (1 << i) != 0)
                .map(|(_, n)| *n);
            chosen
                .collect::<Vec<_>>()
                .join(&b","[..])
                .into_boxed_slice()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    #[test]
    fn browser_lists_are_the_sorted_subsets() {
        let policy = Policy::builder()
            .origins(["https://app.example.com"])
            .request_headers(["X-Request-Id", "content-type", "authorization"])
            .build()
            .unwrap();
        let lists = policy.request_headers.lists.as_ref().unwrap();
        let mut got: Vec<&str> = lists
            .iter()
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect();
        assert_eq!(lists.len(), got.len());
        got.sort_unstable();
        assert_eq!(
            got,
            [
                "authorization",
                "authorization,content-type",
                "authorization,content-type,x-request-id",
                "authorization,x-request-id",
                "content-type",
                "content-type,x-request-id",
                "x-request-id",
            ]
        );
        // Not precomputed: `*`, and lists too long to enumerate.
        let any = Policy::builder()
            .origins(["https://app.example.com"])
            .request_headers(["*"])
            .build()
            .unwrap();
        assert!(any.request_headers.lists.is_none());
        let names: Vec<String> = (0..=BROWSER_LISTS_UP_TO)
            .map(|i| format!("x-{i}"))
            .collect();
        let long = Policy::builder()
            .origins(["https://app.example.com"])
            .request_headers(names)
            .build()
            .unwrap();
        assert!(long.request_headers.lists.is_none());
    }
}
