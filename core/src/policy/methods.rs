//! `methods`: validation, the joined `Access-Control-Allow-Methods` value,
//! and whether a preflight's requested method is allowed.

use crate::ascii::eq_exact;
use crate::config::PolicyConfig;
use crate::decision::Check;
use crate::error::{ErrorCode, Problem};
use crate::fetch::{is_forbidden_method, is_safelisted_method, is_token, NORMALIZED_METHODS};
use crate::response::AllowMethods;

use super::join;

/// The allowed methods, normalized as browsers send them.
pub(crate) struct Methods {
    listed: Vec<Box<[u8]>>,
    any: bool,
    credentials: bool,
}

impl Methods {
    /// Validates `methods` (pushing every problem) and compiles them, with
    /// the `Access-Control-Allow-Methods` answer for an allowed preflight.
    pub(crate) fn compile(
        config: &PolicyConfig,
        problems: &mut Vec<Problem>,
    ) -> (Self, Option<AllowMethods>) {
        let credentials = config.credentials;
        let any = config.methods.iter().any(|m| m == "*");
        let mut listed: Vec<Box<[u8]>> = Vec::new();
        for m in &config.methods {
            if m == "*" {
                if config.methods.len() > 1 {
                    problems.push(Problem::new(
                        ErrorCode::WildcardNotAlone,
                        "methods",
                        "*",
                        "`methods` lists `*` beside other methods",
                        "use `[\"*\"]` alone for any method, or list the methods without `*`",
                    ));
                }
                continue;
            }
            if !is_token(m.as_bytes()) {
                problems.push(Problem::new(
                    ErrorCode::InvalidMethod,
                    "methods",
                    m,
                    format!("`methods` entry {m:?} is not an HTTP method token"),
                    "write a method name like `PUT` (letters, digits and !#$%&'*+-.^_`|~ only)",
                ));
                continue;
            }
            if is_forbidden_method(m.as_bytes()) {
                problems.push(Problem::new(
                    ErrorCode::ForbiddenMethod,
                    "methods",
                    m,
                    format!("`methods` lists {m:?}, which browsers never send from scripts"),
                    format!("remove {m:?} from `methods`"),
                ));
                continue;
            }
            let normalized = NORMALIZED_METHODS
                .iter()
                .find(|n| n.eq_ignore_ascii_case(m))
                .map_or_else(|| m.clone(), |n| (*n).to_owned());
            let normalized = normalized.into_bytes().into_boxed_slice();
            if !listed.contains(&normalized) {
                listed.push(normalized);
            }
        }
        let allow = if any {
            Some(if credentials {
                AllowMethods::Reflect
            } else {
                AllowMethods::Fixed(b"*".to_vec().into())
            })
        } else {
            (!listed.is_empty())
                .then(|| AllowMethods::Fixed(join(&listed, &config.format.methods_separator)))
        };
        let methods = Methods {
            listed,
            any,
            credentials,
        };
        (methods, allow)
    }

    /// Whether a requested method (a token, trimmed) is allowed: GET, HEAD
    /// and POST always, `*` any other but itself under credentials, else a
    /// listed one byte for byte; never a forbidden one.
    #[inline]
    pub(crate) fn allows(&self, m: &[u8]) -> bool {
        let allowed = is_safelisted_method(m)
            || (self.any && !(self.credentials && m == b"*"))
            || self.listed.iter().any(|c| eq_exact(c, m));
        allowed && !is_forbidden_method(m)
    }

    /// Which check failed, for a method [`Methods::allows`] refused.
    #[cold]
    pub(crate) fn refusal(&self, m: &[u8]) -> Check {
        if is_forbidden_method(m) {
            Check::MethodForbidden
        } else if m == b"*" && self.any {
            Check::MethodStarWithCredentials
        } else if self.listed.iter().any(|c| c.eq_ignore_ascii_case(m)) {
            Check::MethodCaseMismatch
        } else {
            Check::MethodNotListed
        }
    }
}
