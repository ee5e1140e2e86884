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
        InvalidPrivateNetworkId = "invalid-private-network-id",
        InvalidPrivateNetworkName = "invalid-private-network-name",
        AnyOriginWithPrivateNetwork = "any-origin-with-private-network",
        WildcardNotAlone = "wildcard-not-alone",
        UnknownField = "unknown-field",
        InvalidType = "invalid-type",
        InvalidSyntax = "invalid-syntax",
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
    }
}

/// One finding about a policy: a [`Problem`] or a [`Warning`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding<C> {
    /// The stable code.
    pub code: C,
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
    pub(crate) fn new(
        code: C,
        value: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            value: value.into(),
            message: message.into(),
            fix: fix.into(),
        }
    }
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
