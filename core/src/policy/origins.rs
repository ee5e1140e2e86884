//! `origins` (SPEC §3): validation, the tables a request's origin is
//! looked up in, and the origin predicate.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::ascii::eq_exact;
use crate::config::PolicyConfig;
use crate::error::{ErrorCode, Problem};
use crate::hash::{FastMap, FastSet};
use crate::origin::{self, Flaw, Parts, Port};

use super::OriginPredicate;

/// The allowed origins: `*`, the configured ones, and the predicate.
pub(crate) struct Origins {
    any: bool,
    table: OriginTable,
    /// Credentials are sent and `http://` origins are not dangerously allowed.
    refuse_insecure: bool,
    predicate: Option<OriginPredicate>,
    /// The host answers the predicate per decision ([`Policy::decide_with`](crate::Policy::decide_with)).
    host_predicate: bool,
}

impl Origins {
    /// Validates `origins` (pushing every problem) and compiles them.
    pub(crate) fn compile(
        config: &PolicyConfig,
        predicate: Option<OriginPredicate>,
        host_predicate: bool,
        problems: &mut Vec<Problem>,
    ) -> Self {
        let has_predicate = predicate.is_some() || host_predicate;
        let (table, any) = compile_table(config, has_predicate, problems);
        Origins {
            any,
            table,
            refuse_insecure: config.credentials
                && !config.dangerous.allow_insecure_origins_with_credentials,
            predicate,
            host_predicate,
        }
    }

    /// `origins = ["*"]`.
    #[inline]
    pub(crate) fn is_any(&self) -> bool {
        self.any
    }

    /// Whether `origin` (trimmed, unparsed) is one of the exact origins.
    #[inline]
    pub(crate) fn is_exact(&self, origin: &[u8]) -> bool {
        self.table.is_exact(origin)
    }

    /// Whether a parsed, canonical request origin matches a pattern.
    #[inline]
    pub(crate) fn matches_pattern(&self, origin: &[u8], parts: &Parts<'_>) -> bool {
        self.table.matches_pattern(origin, parts)
    }

    /// Whether an unlisted origin with these parts is refused for being
    /// `http://` on a credentialed policy, before the predicate is asked.
    #[inline]
    pub(crate) fn refuses_insecure(&self, parts: &Parts<'_>) -> bool {
        self.refuse_insecure && parts.is_insecure()
    }

    /// Whether an origin predicate was given (the policy's or the host's).
    #[inline]
    pub(crate) fn has_predicate(&self) -> bool {
        self.predicate.is_some() || self.host_predicate
    }

    /// The policy's own predicate, shared.
    pub(crate) fn own_predicate(&self) -> Option<OriginPredicate> {
        self.predicate.clone()
    }

    /// Whether the policy's own predicate has one, for `Debug`.
    pub(crate) fn has_own_predicate(&self) -> bool {
        self.predicate.is_some()
    }

    /// The policy's own predicate's answer for `origin`; a panic is "no".
    pub(crate) fn ask(&self, origin: &str) -> bool {
        self.predicate
            .as_ref()
            .is_some_and(|p| catch_unwind(AssertUnwindSafe(|| p(origin))).unwrap_or(false))
    }
}

/// Origin matching whose cost does not depend on how many origins are listed:
/// hash lookups of the whole origin, of `scheme://host` for `:*` ports, and of
/// each host suffix for `*.` patterns.
#[derive(Debug, Default)]
struct OriginTable {
    pub exact: FastSet<Box<[u8]>>,
    /// `exact` as a list when it is short enough that comparing beats hashing.
    pub exact_few: Option<Box<[Box<[u8]>]>>,
    pub any_port: FastSet<Box<[u8]>>,
    pub subdomains: FastMap<Box<[u8]>, Vec<SubdomainRule>>,
    /// The lengths of the keys of `subdomains`: a host suffix of another
    /// length is not looked up.
    pub subdomain_lengths: LengthSet,
}

/// A set of lengths below 256 as a bit set (hosts are at most 253 bytes;
/// longer lengths are never members).
#[derive(Debug, Default)]
struct LengthSet([u64; 4]);

impl LengthSet {
    fn insert(&mut self, n: usize) {
        if let Some(word) = self.0.get_mut(n / 64) {
            *word |= 1 << (n % 64);
        }
    }

    #[inline]
    pub(crate) fn contains(&self, n: usize) -> bool {
        self.0.get(n / 64).is_some_and(|w| w >> (n % 64) & 1 == 1)
    }
}

#[derive(Debug)]
struct SubdomainRule {
    pub scheme: Box<[u8]>,
    pub port: Port,
}

/// Up to this many exact origins, a request's origin is compared with each
/// (lengths first) instead of hashed.
const FEW_EXACT_ORIGINS: usize = 4;

impl OriginTable {
    /// Whether `origin` (trimmed, unparsed) is one of the exact origins.
    #[inline]
    pub(crate) fn is_exact(&self, origin: &[u8]) -> bool {
        match &self.exact_few {
            Some(few) => few.iter().any(|o| eq_exact(o, origin)),
            None => self.exact.contains(origin),
        }
    }

    /// Whether a parsed, canonical request origin matches a pattern.
    pub(crate) fn matches_pattern(&self, origin: &[u8], parts: &Parts<'_>) -> bool {
        if !self.any_port.is_empty() && self.any_port.contains(&origin[..parts.without_port]) {
            return true;
        }
        if self.subdomains.is_empty() || parts.host_kind != origin::HostKind::Dns {
            return false;
        }
        let host = parts.host;
        // Each proper suffix that starts after a dot: a.b.example.com -> b.example.com, example.com, com.
        for (i, _) in host.iter().enumerate().filter(|(_, &b)| b == b'.') {
            let suffix = &host[i + 1..];
            if !self.subdomain_lengths.contains(suffix.len()) {
                continue;
            }
            if let Some(rules) = self.subdomains.get(suffix) {
                let hit = rules.iter().any(|r| {
                    *r.scheme == *parts.scheme
                        && match r.port {
                            Port::Any => true,
                            p => p == parts.port,
                        }
                });
                if hit {
                    return true;
                }
            }
        }
        false
    }
}

fn compile_table(
    config: &PolicyConfig,
    has_predicate: bool,
    problems: &mut Vec<Problem>,
) -> (OriginTable, bool) {
    let mut table = OriginTable::default();
    let origins = &config.origins;
    let credentials = config.credentials;
    let dangerous = &config.dangerous;
    let any_origin = origins.iter().any(|o| o == "*");
    if origins.is_empty() && !has_predicate {
        problems.push(Problem::new(
            ErrorCode::NoOrigins,
            "origins",
            "[]",
            "`origins` is empty and no origin predicate is set, so no origin could ever be allowed",
            "list the origins allowed, like `origins = [\"https://app.example.com\"]`",
        ));
    }
    if any_origin && origins.len() > 1 {
        problems.push(Problem::new(
            ErrorCode::InvalidOrigin,
            "origins",
            "*",
            "`origins` lists `*` beside other origins",
            "use `[\"*\"]` alone for any origin, or list the origins without `*`",
        ));
    }
    if any_origin && has_predicate {
        problems.push(Problem::new(
            ErrorCode::InvalidOrigin,
            "origins",
            "*",
            "`origins = [\"*\"]` together with an origin predicate: the predicate would never run",
            "remove `*` to let the predicate decide, or remove the predicate",
        ));
    }
    if any_origin && credentials {
        problems.push(Problem::new(
            ErrorCode::AnyOriginWithCredentials,
"origins",
            "*",
            "`origins = [\"*\"]` with `credentials = true`: browsers reject `*` on credentialed requests, and echoing any origin would let every site read your users' data",
            "list the origins allowed, or set `credentials = false`",
        ));
    }
    for o in origins {
        if o == "*" {
            continue;
        }
        if o == "null" {
            if dangerous.allow_null_origin {
                table.exact.insert(b"null".to_vec().into());
            } else {
                problems.push(Problem::new(
                    ErrorCode::NullOrigin,
"origins",
                    o,
                    "`origins` lists `null`, which any sandboxed iframe, data: URL or file page can send",
                    "remove `null`, or set `dangerous.allow_null_origin = true` if you really mean it",
                ));
            }
            continue;
        }
        let parts = match origin::parse(o.as_bytes(), true) {
            Ok(parts) => parts,
            Err(flaw) => {
                problems.push(origin_problem(o, flaw));
                continue;
            }
        };
        if credentials && parts.is_insecure() && !dangerous.allow_insecure_origins_with_credentials
        {
            problems.push(Problem::new(
                ErrorCode::InsecureOriginWithCredentials,
"origins",
                o,
                format!("`origins` lists {o:?} with credentials: anyone on the network path can impersonate an http:// origin"),
                format!(
                    "use {:?}, or set `dangerous.allow_insecure_origins_with_credentials = true`",
                    o.replacen("http://", "https://", 1)
                ),
            ));
        }
        if credentials
            && parts.wildcard
            && is_public_suffix(parts.host)
            && !dangerous.allow_public_suffix_wildcards_with_credentials
        {
            problems.push(Problem::new(
                ErrorCode::PublicSuffixWildcardWithCredentials,
"origins",
                o,
                format!("`origins` lists {o:?} with credentials: anyone can register a site under a public suffix"),
                "list your own subdomains instead, or set `dangerous.allow_public_suffix_wildcards_with_credentials = true`",
            ));
        }
        let bytes = o.as_bytes();
        if parts.wildcard {
            table.subdomain_lengths.insert(parts.host.len());
            let rules = table.subdomains.entry(parts.host.into()).or_default();
            if !rules
                .iter()
                .any(|r| *r.scheme == *parts.scheme && r.port == parts.port)
            {
                rules.push(SubdomainRule {
                    scheme: parts.scheme.into(),
                    port: parts.port,
                });
            }
        } else if parts.port == Port::Any {
            table.any_port.insert(bytes[..parts.without_port].into());
        } else {
            table.exact.insert(bytes.into());
        }
    }
    if table.exact.len() <= FEW_EXACT_ORIGINS {
        table.exact_few = Some(table.exact.iter().cloned().collect());
    }
    (table, any_origin)
}

fn origin_problem(o: &str, flaw: Flaw) -> Problem {
    let suggestion = origin::suggest(o, true);
    let code = if flaw.is_non_canonical() {
        ErrorCode::NonCanonicalOrigin
    } else {
        ErrorCode::InvalidOrigin
    };
    let fix = match (&suggestion, flaw) {
        (Some(s), _) => format!("did you mean {s:?}?"),
        (None, Flaw::NoScheme) => format!("add the scheme: \"https://{o}\""),
        (None, Flaw::NonAscii) => {
            "write the host in punycode (xn--...), as browsers send it".to_owned()
        }
        (None, Flaw::MisplacedWildcard) => {
            "use `*.` as the leftmost label (`https://*.example.com`) or `:*` as the port"
                .to_owned()
        }
        (None, _) => {
            "write it as scheme://host[:port], like \"https://app.example.com\"".to_owned()
        }
    };
    Problem::new(
        code,
        "origins",
        o,
        format!("`origins` entry {o:?} {}", flaw.describe()),
        fix,
    )
}

/// Whether `host` is itself on the public suffix list (ICANN or private).
pub(crate) fn is_public_suffix(host: &[u8]) -> bool {
    psl::suffix(host).is_some_and(|s| s.is_known() && s.as_bytes() == host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_suffixes() {
        assert!(is_public_suffix(b"com"));
        assert!(is_public_suffix(b"co.uk"));
        assert!(is_public_suffix(b"github.io"));
        assert!(!is_public_suffix(b"example.com"));
        assert!(!is_public_suffix(b"localhost"));
    }
}
