//! Policy problems (SPEC §4) and lint warnings (SPEC §7), each with a stable
//! kebab-case code, the offending value, a message and a one-line fix.

use std::fmt;

macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`")] $variant,)*
        }

        impl $name {
            /// Every code, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable kebab-case code.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The code named `text`, if any.
            pub fn from_code(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// Why a policy cannot be built (SPEC §4).
    ErrorCode {
        NoOrigins = "no-origins",
        InvalidOrigin = "invalid-origin",
        NonCanonicalOrigin = "non-canonical-origin",
        NullOrigin = "null-origin",
        AnyOriginWithCredentials = "any-origin-with-credentials",
        InsecureOriginWithCredentials = "insecure-origin-with-credentials",
        PublicSuffixWildcardWithCredentials = "public-suffix-wildcard-with-credentials",
        InvalidMethod = "invalid-method",
        ForbiddenMethod = "forbidden-method",
        InvalidHeaderName = "invalid-header-name",
        ForbiddenRequestHeader = "forbidden-request-header",
        ForbiddenResponseHeader = "forbidden-response-header",
        ExposeAnyWithCredentials = "expose-any-with-credentials",
        MaxAgeOutOfRange = "max-age-out-of-range",
        InvalidPreflightStatus = "invalid-preflight-status",
        InvalidFormat = "invalid-format",
        InvalidPrivateNetworkId = "invalid-private-network-id",
        InvalidPrivateNetworkName = "invalid-private-network-name",
        AnyOriginWithPrivateNetwork = "any-origin-with-private-network",
        WildcardNotAlone = "wildcard-not-alone",
        UnknownField = "unknown-field",
        InvalidType = "invalid-type",
        InvalidSyntax = "invalid-syntax",
        InvalidRoute = "invalid-route",
        UnknownPolicy = "unknown-policy",
        PolicyKeysBesideRoutes = "policy-keys-beside-routes",
    }
}

codes! {
    /// Legal but risky policy choices reported by [`Policy::lint`](crate::Policy::lint) (SPEC §7).
    WarningCode {
        MaxAgeAboveChromeCap = "max-age-above-chrome-cap",
        LowercaseMethod = "lowercase-method",
        InsecureOrigin = "insecure-origin",
        NullOriginAllowed = "null-origin-allowed",
        PublicSuffixWildcard = "public-suffix-wildcard",
        LegacyPrivateNetwork = "legacy-private-network",
        PrivateNetworkWithoutCredentials = "private-network-without-credentials",
        PrivateNetworkFieldsUnused = "private-network-fields-unused",
        DangerousOption = "dangerous-option",
        RouteNeverMatches = "route-never-matches",
        UnusedPolicy = "unused-policy",
    }
}

/// One finding about a policy: a [`Problem`] or a [`Warning`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding<C> {
    /// The stable code.
    pub code: C,
    /// The policy key the finding is about, as a path in the SPEC's
    /// snake_case (`origins`, `private_network.id`, `origins[2]` for an
    /// entry's type); empty for the document as a whole (syntax). See
    /// [`Finding::named`] for the caller's spelling.
    pub key: String,
    /// The offending value, as written in the policy.
    pub value: String,
    /// What is wrong, naming the policy key.
    pub message: String,
    /// One line saying how to fix it.
    pub fix: String,
}

/// A reason the policy cannot be built.
pub type Problem = Finding<ErrorCode>;
/// A legal but risky choice in a policy.
pub type Warning = Finding<WarningCode>;

impl<C: fmt::Display> fmt::Display for Finding<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {} (fix: {})", self.code, self.message, self.fix)
    }
}

impl<C> Finding<C> {
    /// A finding from its parts (hosts use it for problems of their own,
    /// e.g. a value their language cannot express as JSON).
    pub fn new(
        code: C,
        key: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            key: key.into(),
            value: value.into(),
            message: message.into(),
            fix: fix.into(),
        }
    }

    /// This finding with the policy keys (in `key`, `message` and `fix`)
    /// spelled as `naming` says, for callers that wrote them that way (e.g.
    /// `requestHeaders` from JavaScript options).
    pub fn named(mut self, naming: Naming) -> Self {
        if naming == Naming::Snake {
            return self;
        }
        self.key = rename_keys(&self.key);
        self.message = rename_keys(&self.message);
        self.fix = rename_keys(&self.fix);
        self
    }
}

/// How policy keys are spelled where the caller wrote them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Naming {
    /// The SPEC's spelling: `request_headers`, `private_network.id`.
    Snake,
    /// JavaScript's: `requestHeaders`, `privateNetwork.id`.
    Camel,
}

impl Naming {
    /// `key` (one SPEC key, snake_case) in this spelling.
    pub fn key(self, key: &str) -> String {
        match self {
            Naming::Snake => key.to_owned(),
            Naming::Camel => camel(key),
        }
    }

    /// The SPEC key of the table at `table` (`""` for the top level,
    /// `"private_network"`, `"dangerous"`) that a caller writing in this
    /// spelling means by `written`, e.g. `requestHeaders` -> `request_headers`.
    pub fn spec_key(self, table: &str, written: &str) -> Option<&'static str> {
        crate::config::keys_of(table)
            .iter()
            .copied()
            .find(|k| self.key(k) == written)
    }
}

/// `request_headers` -> `requestHeaders`.
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Camel-cases every word of `text` that is a SPEC key with an underscore
/// (`max_age`, `allow_null_origin`); other words stay as they are.
fn rename_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains('_') && crate::config::is_key(word) {
            out.push_str(&camel(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Every reason a policy was refused, found at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    problems: Vec<Problem>,
}

impl PolicyError {
    pub(crate) fn new(problems: Vec<Problem>) -> Self {
        debug_assert!(!problems.is_empty());
        PolicyError { problems }
    }

    /// The problems, in the order of the policy's keys.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Whether a problem with `code` was found.
    pub fn has(&self, code: ErrorCode) -> bool {
        self.problems.iter().any(|p| p.code == code)
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "invalid CORS policy ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    #[test]
    fn findings_name_their_key_in_either_spelling() {
        let err = Policy::from_json(
            r#"{"origins": ["https://a.example", 3], "max_age": 99999,
                "private_network": {"allow": "yes", "id": "x"}, "request_headrs": []}"#,
        )
        .unwrap_err();
        let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
        for key in [
            "origins[1]",
            "max_age",
            "private_network.allow",
            "private_network.id",
            "request_headrs",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        let age = err.problems().iter().find(|p| p.key == "max_age").unwrap();
        let camel = age.clone().named(Naming::Camel);
        assert_eq!(camel.key, "maxAge");
        assert!(
            camel.message.starts_with("`maxAge` is 99999"),
            "{}",
            camel.message
        );
        assert_eq!(age.clone().named(Naming::Snake), *age);
        let unknown = err
            .problems()
            .iter()
            .find(|p| p.key == "request_headrs")
            .unwrap();
        assert!(unknown
            .clone()
            .named(Naming::Camel)
            .fix
            .contains("requestHeaders"));
        assert_eq!(
            Naming::Camel.spec_key("", "requestHeaders"),
            Some("request_headers")
        );
        assert_eq!(
            Naming::Camel.spec_key("dangerous", "allowNullOrigin"),
            Some("allow_null_origin")
        );
        assert_eq!(Naming::Camel.spec_key("", "request_headers"), None);
        assert_eq!(Naming::Snake.spec_key("private_network", "id"), Some("id"));
    }
}
