//! tower-http's option types, with the same constructors and conversions, so
//! code written against `tower_http::cors` compiles unchanged. Each becomes
//! part of a [`PolicyConfig`]; the policy is validated when the layer is
//! built, and every rule is core's.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::request::Parts as RequestParts;
use http::{HeaderName, HeaderValue, Method};

use crate::PolicyConfig;

/// Any origin, method or header: `*` (tower-http's `Any`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Any;

/// [`Any`], as a function (tower-http's `any()`).
pub fn any() -> Any {
    Any
}

pub(crate) type SyncPredicate = Arc<dyn Fn(&HeaderValue, &RequestParts) -> bool + Send + Sync>;
pub(crate) type AskFuture = Pin<Box<dyn Future<Output = bool> + Send>>;
pub(crate) type AsyncPredicate = Arc<dyn Fn(HeaderValue, &RequestParts) -> AskFuture + Send + Sync>;

/// Which origins are allowed (`Access-Control-Allow-Origin`).
///
/// ```
/// use corsgate::tower::{AllowOrigin, CorsLayer};
/// use http::HeaderValue;
///
/// let layer = CorsLayer::new()
///     .allow_origin(AllowOrigin::exact(HeaderValue::from_static("https://app.example.com")));
/// assert!(layer.build().is_ok());
/// ```
#[derive(Clone, Default)]
pub struct AllowOrigin(OriginInner);

#[derive(Clone, Default)]
enum OriginInner {
    #[default]
    Unset,
    Any,
    List(Vec<HeaderValue>),
    Mirror,
    Predicate(SyncPredicate),
    AsyncPredicate(AsyncPredicate),
}

impl AllowOrigin {
    /// Any origin: `*`. Refused with credentials (`any-origin-with-credentials`).
    pub fn any() -> Self {
        AllowOrigin(OriginInner::Any)
    }

    /// One origin.
    pub fn exact(origin: HeaderValue) -> Self {
        AllowOrigin(OriginInner::List(vec![origin]))
    }

    /// A list of origins. Unlike tower-http, a `*` in the list is a policy
    /// error when the layer is built, not a panic.
    pub fn list<I>(origins: I) -> Self
    where
        I: IntoIterator<Item = HeaderValue>,
    {
        AllowOrigin(OriginInner::List(origins.into_iter().collect()))
    }

    /// The origins `f` accepts, asked with the request's `Origin` value and
    /// parts, after the origins and patterns of the policy (if any).
    pub fn predicate<F>(f: F) -> Self
    where
        F: Fn(&HeaderValue, &RequestParts) -> bool + Send + Sync + 'static,
    {
        AllowOrigin(OriginInner::Predicate(Arc::new(f)))
    }

    /// The origins an asynchronous `f` accepts (a database lookup, say).
    /// Asked only when the policy reaches the question; requests that do not
    /// need it never wait.
    pub fn async_predicate<F, Fut>(f: F) -> Self
    where
        F: FnOnce(HeaderValue, &RequestParts) -> Fut + Send + Sync + 'static + Clone,
        Fut: Future<Output = bool> + Send + 'static,
    {
        AllowOrigin(OriginInner::AsyncPredicate(Arc::new(move |v, p| {
            Box::pin((f.clone())(v, p))
        })))
    }

    /// tower-http echoes every origin. corsgate answers `*` instead, which
    /// grants the same access; with credentials, echoing every origin would
    /// let any site read your users' data, so it is refused when the layer
    /// is built (`any-origin-with-credentials`).
    pub fn mirror_request() -> Self {
        AllowOrigin(OriginInner::Mirror)
    }
}

impl fmt::Debug for AllowOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            OriginInner::Unset => f.write_str("Unset"),
            OriginInner::Any => f.write_str("Any"),
            OriginInner::List(l) => f.debug_tuple("List").field(l).finish(),
            OriginInner::Mirror => f.write_str("MirrorRequest"),
            OriginInner::Predicate(_) => f.write_str("Predicate"),
            OriginInner::AsyncPredicate(_) => f.write_str("AsyncPredicate"),
        }
    }
}

impl From<Any> for AllowOrigin {
    fn from(_: Any) -> Self {
        AllowOrigin::any()
    }
}

impl From<HeaderValue> for AllowOrigin {
    fn from(v: HeaderValue) -> Self {
        AllowOrigin::exact(v)
    }
}

impl<const N: usize> From<[HeaderValue; N]> for AllowOrigin {
    fn from(v: [HeaderValue; N]) -> Self {
        AllowOrigin::list(v)
    }
}

impl From<Vec<HeaderValue>> for AllowOrigin {
    fn from(v: Vec<HeaderValue>) -> Self {
        AllowOrigin::list(v)
    }
}

/// A list option: unset, `*`, a list, or the request echoed.
#[derive(Clone, Debug, Default)]
enum List<T> {
    #[default]
    Unset,
    Any,
    Items(Vec<T>),
    Mirror,
}

macro_rules! list_option {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default)]
        pub struct $name(List<$item>);

        impl $name {
            /// Any: `*` (refused with credentials where Fetch reads `*` literally).
            pub fn any() -> Self {
                $name(List::Any)
            }

            /// These items.
            pub fn list<I>(items: I) -> Self
            where
                I: IntoIterator<Item = $item>,
            {
                $name(List::Items(items.into_iter().collect()))
            }
        }

        impl From<Any> for $name {
            fn from(_: Any) -> Self {
                $name::any()
            }
        }

        impl<const N: usize> From<[$item; N]> for $name {
            fn from(v: [$item; N]) -> Self {
                $name::list(v)
            }
        }

        impl From<Vec<$item>> for $name {
            fn from(v: Vec<$item>) -> Self {
                $name::list(v)
            }
        }
    };
}

list_option!(
    /// Methods a preflight may ask for (`Access-Control-Allow-Methods`).
    AllowMethods, Method
);
list_option!(
    /// Header names a preflight may ask for (`Access-Control-Allow-Headers`).
    AllowHeaders, HeaderName
);
list_option!(
    /// Response headers scripts may read (`Access-Control-Expose-Headers`).
    ExposeHeaders, HeaderName
);

impl AllowMethods {
    /// One method.
    pub fn exact(method: Method) -> Self {
        AllowMethods(List::Items(vec![method]))
    }

    /// Any method the preflight asks for: `methods = ["*"]`, which core
    /// answers with the requested method under credentials and `*` without.
    pub fn mirror_request() -> Self {
        AllowMethods(List::Mirror)
    }
}

impl From<Method> for AllowMethods {
    fn from(m: Method) -> Self {
        AllowMethods::exact(m)
    }
}

impl AllowHeaders {
    /// Any header names the preflight asks for, `authorization` included:
    /// `request_headers = ["*", "authorization"]`, which core answers with
    /// the requested names under credentials and `*, authorization` without.
    pub fn mirror_request() -> Self {
        AllowHeaders(List::Mirror)
    }
}

/// `Access-Control-Allow-Credentials: true`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowCredentials(pub(crate) bool);

impl AllowCredentials {
    /// Send it.
    pub fn yes() -> Self {
        AllowCredentials(true)
    }
}

impl From<bool> for AllowCredentials {
    fn from(v: bool) -> Self {
        AllowCredentials(v)
    }
}

/// `Access-Control-Allow-Private-Network: true` on preflights that ask.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowPrivateNetwork(pub(crate) bool);

impl AllowPrivateNetwork {
    /// Grant it.
    pub fn yes() -> Self {
        AllowPrivateNetwork(true)
    }
}

impl From<bool> for AllowPrivateNetwork {
    fn from(v: bool) -> Self {
        AllowPrivateNetwork(v)
    }
}

/// `Access-Control-Max-Age`, in whole seconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct MaxAge(pub(crate) Option<Duration>);

impl MaxAge {
    /// This duration (sub-second parts are dropped, as tower-http does).
    pub fn exact(max_age: Duration) -> Self {
        MaxAge(Some(max_age))
    }
}

impl From<Duration> for MaxAge {
    fn from(d: Duration) -> Self {
        MaxAge::exact(d)
    }
}

/// Names to add to every response's `Vary`, besides the tokens corsgate's
/// decision needs (which are always merged, so unlike tower-http's `vary`,
/// this cannot drop `Origin` from a response that depends on it).
#[derive(Clone, Debug, Default)]
pub struct Vary(pub(crate) Vec<HeaderName>);

impl Vary {
    /// These names.
    pub fn list<I>(headers: I) -> Self
    where
        I: IntoIterator<Item = HeaderName>,
    {
        Vary(headers.into_iter().collect())
    }
}

impl<const N: usize> From<[HeaderName; N]> for Vary {
    fn from(v: [HeaderName; N]) -> Self {
        Vary::list(v)
    }
}

impl From<Vec<HeaderName>> for Vary {
    fn from(v: Vec<HeaderName>) -> Self {
        Vary::list(v)
    }
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

impl<T> List<T> {
    fn names(&self, mirror: &[&str], f: impl Fn(&T) -> String) -> Vec<String> {
        match self {
            List::Unset => Vec::new(),
            List::Any => vec!["*".to_owned()],
            List::Items(items) => items.iter().map(f).collect(),
            List::Mirror => mirror.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// The origin predicate a layer asks, in tower-http's shapes.
#[derive(Clone, Default)]
pub(crate) enum Predicate {
    #[default]
    None,
    Sync(SyncPredicate),
    Async(AsyncPredicate),
}

impl AllowOrigin {
    /// Writes the origins into `config`; returns the predicate, if any.
    pub(crate) fn apply(self, config: &mut PolicyConfig) -> Predicate {
        let (origins, predicate) = match self.0 {
            OriginInner::Unset => (Vec::new(), Predicate::None),
            OriginInner::Any | OriginInner::Mirror => (vec!["*".to_owned()], Predicate::None),
            OriginInner::List(l) => (
                l.iter().map(|v| text(v.as_bytes())).collect(),
                Predicate::None,
            ),
            OriginInner::Predicate(p) => (Vec::new(), Predicate::Sync(p)),
            OriginInner::AsyncPredicate(p) => (Vec::new(), Predicate::Async(p)),
        };
        config.origins = origins;
        predicate
    }
}

impl AllowMethods {
    pub(crate) fn apply(self, config: &mut PolicyConfig) {
        config.methods = self.0.names(&["*"], |m| m.as_str().to_owned());
    }
}

impl AllowHeaders {
    pub(crate) fn apply(self, config: &mut PolicyConfig) {
        config.request_headers = self
            .0
            .names(&["*", "authorization"], |h| h.as_str().to_owned());
    }
}

impl ExposeHeaders {
    pub(crate) fn apply(self, config: &mut PolicyConfig) {
        config.expose_headers = self.0.names(&["*"], |h| h.as_str().to_owned());
    }
}

impl MaxAge {
    pub(crate) fn apply(self, config: &mut PolicyConfig) {
        config.max_age = self
            .0
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    }
}
