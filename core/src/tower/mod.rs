//! A CORS layer for [tower](https://docs.rs/tower) stacks (axum, hyper,
//! tonic), a drop-in for `tower_http::cors`: the same types, constructors and
//! builder methods, with every decision made by corsgate's engine.
//!
//! ```
//! use corsgate::tower::{AllowOrigin, CorsLayer};
//! use http::{HeaderValue, Method};
//!
//! let cors = CorsLayer::new()
//!     .allow_origin(AllowOrigin::exact(HeaderValue::from_static("https://app.example.com")))
//!     .allow_methods([Method::GET, Method::PUT])
//!     .allow_credentials(true);
//! assert!(cors.build().is_ok());
//!
//! // Or from a policy file:
//! let policy = corsgate::Policy::from_toml(r#"origins = ["https://app.example.com"]"#)?;
//! let cors = CorsLayer::from_policy(policy);
//! # let _ = cors;
//! # Ok::<(), corsgate::PolicyError>(())
//! ```
//!
//! Differences from tower-http, each for a Fetch reason (the table in
//! `bindings/rust/README.md`): an insecure combination (`Any` or `mirror_request` with
//! credentials, `*` in a list) is a [`PolicyError`] when the layer is built,
//! not a panic on the first request; a refused preflight is answered `403`
//! with no CORS headers (tower-http answers `200`); a preflight asking for a
//! method or header the policy does not allow is refused; `mirror_request`
//! answers `*`; the decision's `Vary` tokens are always merged.

mod options;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};

use http::header::{self, HeaderMap};
use http::request::Parts as RequestParts;
use http::{HeaderValue, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

pub use self::options::{
    any, AllowCredentials, AllowHeaders, AllowMethods, AllowOrigin, AllowPrivateNetwork, Any,
    ExposeHeaders, MaxAge, Vary,
};
use self::options::{AskFuture, Predicate};
use crate::host::{is_cors_response_header, preflight_content_length, VaryMerge};
use crate::limits::MAX_RESPONSE_HEADERS;
use crate::{
    Answer, Decision, HeaderName, Kind, OriginPredicate, Policy, PolicyBuilder, PolicyConfig,
    PolicyError, RequestHeader, Source,
};

/// The `http` name of a response header corsgate sets.
const fn response_name(name: HeaderName) -> http::HeaderName {
    match name {
        HeaderName::AllowOrigin => header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderName::AllowCredentials => header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderName::AllowMethods => header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderName::AllowHeaders => header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderName::MaxAge => header::ACCESS_CONTROL_MAX_AGE,
        HeaderName::ExposeHeaders => header::ACCESS_CONTROL_EXPOSE_HEADERS,
        // The others are not standard names: core's own spelling.
        other => http::HeaderName::from_static(other.lowercase()),
    }
}

/// A [`Layer`] that answers preflights and adds CORS headers to responses,
/// as decided by a corsgate [`Policy`].
///
/// Configure it from a policy ([`from_policy`](Self::from_policy)) or with
/// tower-http's builder methods. [`build`](Self::build) validates it and
/// returns every problem at once; [`Layer::layer`] (what `Router::layer`
/// calls, at start-up) panics with the same message when the configuration
/// is invalid, so an insecure policy never serves a request.
#[derive(Clone)]
pub struct CorsLayer {
    config: PolicyConfig,
    own_predicate: Option<OriginPredicate>,
    predicate: Predicate,
    vary: Vec<http::HeaderName>,
    compiled: OnceLock<Result<Arc<Shared>, PolicyError>>,
}

impl std::fmt::Debug for CorsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorsLayer")
            .field("config", &self.config)
            .field("vary", &self.vary)
            .finish_non_exhaustive()
    }
}

impl Default for CorsLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Policy> for CorsLayer {
    fn from(policy: Policy) -> Self {
        Self::from_policy(policy)
    }
}

impl CorsLayer {
    /// tower-http's default: no origin allowed yet, preflights answered
    /// `200`. Add origins with [`allow_origin`](Self::allow_origin).
    pub fn new() -> Self {
        CorsLayer {
            config: PolicyConfig {
                preflight_status: 200,
                ..PolicyConfig::default()
            },
            own_predicate: None,
            predicate: Predicate::None,
            vary: Vec::new(),
            compiled: OnceLock::new(),
        }
    }

    /// A layer deciding by `policy` (from a file, a TOML or JSON string, or
    /// [`Policy::builder`]). Builder methods called afterwards change a copy
    /// of its configuration.
    pub fn from_policy(policy: Policy) -> Self {
        let layer = CorsLayer {
            config: policy.config().clone(),
            own_predicate: policy.own_predicate(),
            predicate: Predicate::None,
            vary: Vec::new(),
            compiled: OnceLock::new(),
        };
        let shared = Shared::new(policy, Predicate::None, &[]);
        let _ = layer.compiled.set(Ok(Arc::new(shared)));
        layer
    }

    /// Any origin, method and header, and every response header exposed
    /// (tower-http's `permissive`).
    pub fn permissive() -> Self {
        Self::new()
            .allow_headers(Any)
            .allow_methods(Any)
            .allow_origin(Any)
            .expose_headers(Any)
    }

    /// tower-http's `very_permissive`: credentials for every origin. Fetch
    /// lets a credentialed response name one origin only, and echoing any
    /// origin hands every site your users' data, so building this layer
    /// fails with `any-origin-with-credentials`.
    pub fn very_permissive() -> Self {
        Self::new()
            .allow_credentials(true)
            .allow_headers(AllowHeaders::mirror_request())
            .allow_methods(AllowMethods::mirror_request())
            .allow_origin(AllowOrigin::mirror_request())
    }

    fn edit(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self.compiled = OnceLock::new();
        self
    }

    /// Which origins are allowed.
    pub fn allow_origin<T: Into<AllowOrigin>>(self, origin: T) -> Self {
        self.edit(|l| {
            let origin = origin.into();
            l.own_predicate = None;
            l.predicate = origin.apply(&mut l.config);
        })
    }

    /// Which methods a preflight may ask for.
    pub fn allow_methods<T: Into<AllowMethods>>(self, methods: T) -> Self {
        self.edit(|l| methods.into().apply(&mut l.config))
    }

    /// Which header names a preflight may ask for.
    pub fn allow_headers<T: Into<AllowHeaders>>(self, headers: T) -> Self {
        self.edit(|l| headers.into().apply(&mut l.config))
    }

    /// Which response headers scripts may read.
    pub fn expose_headers<T: Into<ExposeHeaders>>(self, headers: T) -> Self {
        self.edit(|l| headers.into().apply(&mut l.config))
    }

    /// Whether credentialed requests are allowed.
    pub fn allow_credentials<T: Into<AllowCredentials>>(self, credentials: T) -> Self {
        self.edit(|l| l.config.credentials = credentials.into().0)
    }

    /// Whether private network preflights are granted.
    pub fn allow_private_network<T: Into<AllowPrivateNetwork>>(self, allow: T) -> Self {
        self.edit(|l| l.config.private_network.allow = allow.into().0)
    }

    /// How long a browser may cache a preflight answer.
    pub fn max_age<T: Into<MaxAge>>(self, max_age: T) -> Self {
        self.edit(|l| max_age.into().apply(&mut l.config))
    }

    /// Names added to every response's `Vary`, besides the decision's own.
    pub fn vary<T: Into<Vary>>(self, headers: T) -> Self {
        self.edit(|l| l.vary = headers.into().0)
    }

    /// The status of an accepted preflight (2xx; tower-http's is `200`).
    pub fn preflight_status(self, status: StatusCode) -> Self {
        self.edit(|l| l.config.preflight_status = i64::from(status.as_u16()))
    }

    /// The policy this layer decides by, as data.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Validates the configuration: the layer, ready to serve, or every
    /// problem at once.
    pub fn build(self) -> Result<Self, PolicyError> {
        self.compile()?;
        Ok(self)
    }

    fn compile(&self) -> Result<&Arc<Shared>, PolicyError> {
        self.compiled
            .get_or_init(|| {
                let mut builder = PolicyBuilder::from_config(self.config.clone());
                if let Some(p) = &self.own_predicate {
                    builder = builder.origin_predicate_arc(p.clone());
                } else if self.config.origins.is_empty() {
                    // A predicate, or no origin at all (tower-http's
                    // default): the layer answers for the predicate.
                    builder = builder.host_origin_predicate();
                }
                let policy = builder.build()?;
                Ok(Arc::new(Shared::new(
                    policy,
                    self.predicate.clone(),
                    &self.vary,
                )))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = Cors<S>;

    /// # Panics
    ///
    /// When the configuration is invalid, with every problem listed (call
    /// [`CorsLayer::build`] first to handle it as a value).
    fn layer(&self, inner: S) -> Cors<S> {
        match self.compile() {
            Ok(shared) => Cors {
                inner,
                shared: shared.clone(),
            },
            Err(e) => panic!("invalid CORS configuration: {e}"),
        }
    }
}

/// What every response of one layer shares: the policy, and its constant
/// header values converted once.
struct Shared {
    policy: Policy,
    predicate: Predicate,
    /// The [`Source::Policy`] values, by [`HeaderName::index`].
    fixed: [Option<HeaderValue>; MAX_RESPONSE_HEADERS],
    /// The extra `Vary` names, as names and as values.
    vary: Vec<(String, HeaderValue)>,
}

impl Shared {
    fn new(policy: Policy, predicate: Predicate, vary: &[http::HeaderName]) -> Self {
        let mut fixed: [Option<HeaderValue>; MAX_RESPONSE_HEADERS] = Default::default();
        for (name, value) in policy.fixed_headers() {
            if let Ok(v) = HeaderValue::from_bytes(value) {
                // The first clone of a value built from a copy moves it to
                // shared storage; do it now, not on the first request.
                drop(v.clone());
                fixed[name.index()] = Some(v);
            }
        }
        let vary = vary
            .iter()
            .map(|n| (n.as_str().to_owned(), HeaderValue::from_str(n.as_str())))
            .filter_map(|(n, v)| Some((n, v.ok()?)))
            .collect();
        Shared {
            policy,
            predicate,
            fixed,
            vary,
        }
    }

    /// The decision for a request, made owned: what goes on the response.
    fn out(&self, decision: &Decision<'_>, seen: &Seen<'_>) -> Out {
        let mut out = Out {
            preflight: decision.kind() == Kind::Preflight,
            status: decision.status().unwrap_or(403),
            fixed: 0,
            dynamic: Default::default(),
            vary: decision.vary(),
            vary_line: decision.vary_line(),
        };
        let mut n = 0;
        for h in decision.headers() {
            if h.source == Source::Policy && self.fixed[h.name.index()].is_some() {
                out.fixed |= 1 << h.name.index();
                continue;
            }
            // The request's own value when it is the same bytes: a clone
            // shares its storage, where a new value would copy it.
            let own = match h.source {
                Source::Origin => seen.origin,
                Source::RequestMethod => seen.method,
                Source::RequestHeaders => seen.headers,
                _ => None,
            };
            let value = match own {
                Some(v) if v.as_bytes() == h.value => Some(v.clone()),
                _ => HeaderValue::from_bytes(h.value).ok(),
            };
            if let (Some(slot), Some(value)) = (out.dynamic.get_mut(n), value) {
                *slot = Some((h.name, value));
                n += 1;
            }
        }
        out
    }

    fn decide(&self, parts: &RequestParts, answer: Answer<'_>) -> Out {
        let mut request = crate::Request::new(parts.method.as_str().as_bytes());
        let mut seen = Seen::default();
        // One pass over the request's lines; the first line of each CORS
        // header is kept, to echo it without a copy.
        for (name, value) in &parts.headers {
            let Some(header) = request_header(name) else {
                continue;
            };
            request.push(header, value.as_bytes());
            let first = match header {
                RequestHeader::Origin => &mut seen.origin,
                RequestHeader::RequestMethod => &mut seen.method,
                RequestHeader::RequestHeaders => &mut seen.headers,
                _ => continue,
            };
            first.get_or_insert(value);
        }
        let decision = self.policy.decide_with(&request, answer);
        self.out(&decision, &seen)
    }
}

/// Which CORS request header `name` is, if any.
fn request_header(name: &http::HeaderName) -> Option<RequestHeader> {
    if *name == header::ORIGIN {
        Some(RequestHeader::Origin)
    } else if *name == header::ACCESS_CONTROL_REQUEST_METHOD {
        Some(RequestHeader::RequestMethod)
    } else if *name == header::ACCESS_CONTROL_REQUEST_HEADERS {
        Some(RequestHeader::RequestHeaders)
    } else if name.as_str().len() == RequestHeader::RequestPrivateNetwork.lowercase().len() {
        RequestHeader::from_name(name.as_str().as_bytes())
    } else {
        None
    }
}

/// The first line of the request headers a decision may echo.
#[derive(Default)]
struct Seen<'r> {
    origin: Option<&'r HeaderValue>,
    method: Option<&'r HeaderValue>,
    headers: Option<&'r HeaderValue>,
}

/// A decision, owned: what the layer puts on the response.
struct Out {
    preflight: bool,
    status: u16,
    /// The policy's values to set, by bit [`HeaderName::index`].
    fixed: u16,
    /// The values from the request or built for it (the origin, the
    /// requested method and header names): at most these three.
    dynamic: [Option<(HeaderName, HeaderValue)>; 3],
    vary: &'static [&'static str],
    vary_line: &'static str,
}

impl Out {
    fn ready(self) -> (Pending, bool) {
        let preflight = self.preflight;
        (Pending::Ready(self), preflight)
    }

    /// Replaces the response's CORS headers with the decision's and merges
    /// `Vary`. `fresh`: the map is the layer's own, empty.
    fn apply(self, headers: &mut HeaderMap, shared: &Shared, fresh: bool) {
        if !fresh
            && headers
                .keys()
                .any(|k| is_cors_response_header(k.as_str().as_bytes()))
        {
            let owned: Vec<http::HeaderName> = headers
                .keys()
                .filter(|k| is_cors_response_header(k.as_str().as_bytes()))
                .cloned()
                .collect();
            for k in owned {
                headers.remove(k);
            }
        }
        let mut dynamic = self.dynamic;
        for (i, name) in HeaderName::ALL.into_iter().enumerate() {
            if self.fixed & (1 << i) != 0 {
                if let Some(v) = &shared.fixed[i] {
                    headers.insert(response_name(name), v.clone());
                }
            } else if let Some((_, v)) = dynamic
                .iter_mut()
                .find(|d| matches!(d, Some((n, _)) if *n == name))
                .and_then(Option::take)
            {
                headers.insert(response_name(name), v);
            }
        }
        if fresh {
            if !self.vary.is_empty() {
                headers.insert(header::VARY, HeaderValue::from_static(self.vary_line));
            }
        } else {
            merge_vary(headers, self.vary, self.vary_line);
        }
        for (name, value) in &shared.vary {
            merge_vary_one(headers, name, value);
        }
    }
}

fn merge_vary(headers: &mut HeaderMap, tokens: &[&str], line: &'static str) {
    if tokens.is_empty() {
        return;
    }
    let mut merge = VaryMerge::new(tokens);
    for v in headers.get_all(header::VARY) {
        merge.read(v.as_bytes());
    }
    if merge.all_missing() {
        headers.append(header::VARY, HeaderValue::from_static(line));
    } else if let Some(missing) = merge.missing() {
        if let Ok(v) = HeaderValue::from_str(&missing) {
            headers.append(header::VARY, v);
        }
    }
}

fn merge_vary_one(headers: &mut HeaderMap, name: &str, value: &HeaderValue) {
    let token = [name];
    let mut merge = VaryMerge::new(&token);
    for v in headers.get_all(header::VARY) {
        merge.read(v.as_bytes());
    }
    if merge.changes() {
        headers.append(header::VARY, value.clone());
    }
}

/// The service [`CorsLayer`] wraps around an inner service.
#[derive(Clone)]
pub struct Cors<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Cors<S> {
    /// `inner` behind `layer`; `Err` when the layer's configuration is invalid.
    pub fn new(inner: S, layer: &CorsLayer) -> Result<Self, PolicyError> {
        Ok(Cors {
            inner,
            shared: layer.compile()?.clone(),
        })
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> std::fmt::Debug for Cors<S>
where
    S: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cors")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Cors<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let (parts, body) = req.into_parts();
        let shared = &self.shared;
        let (cors, preflight) = match &shared.predicate {
            Predicate::None => shared.decide(&parts, Answer::Policy).ready(),
            Predicate::Sync(p) => {
                let origin = parts.headers.get(header::ORIGIN);
                let mut ask = |_: &str| origin.is_some_and(|o| p(o, &parts));
                shared.decide(&parts, Answer::Ask(&mut ask)).ready()
            }
            Predicate::Async(p) => {
                let mut asked = false;
                let mut ask = |_: &str| {
                    asked = true;
                    false
                };
                let out = shared.decide(&parts, Answer::Ask(&mut ask));
                match parts.headers.get(header::ORIGIN) {
                    Some(origin) if asked => (
                        Pending::Asking {
                            ask: p(origin.clone(), &parts),
                            parts: Box::new(head(&parts)),
                        },
                        out.preflight,
                    ),
                    _ => out.ready(),
                }
            }
        };
        let shared = self.shared.clone();
        if preflight {
            return ResponseFuture {
                state: State::Preflight { cors, shared },
            };
        }
        let future = self.inner.call(Request::from_parts(parts, body));
        ResponseFuture {
            state: State::Inner {
                future,
                cors,
                shared,
            },
        }
    }
}

/// A copy of the request head without its extensions, kept while an
/// asynchronous predicate runs (the request itself goes on to the inner
/// service).
fn head(parts: &RequestParts) -> RequestParts {
    let mut request = Request::new(());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    request.into_parts().0
}

/// The CORS side of a response future.
// Inline on purpose: boxing the decision would allocate on every request.
#[allow(clippy::large_enum_variant)]
enum Pending {
    Ready(Out),
    Asking {
        ask: AskFuture,
        parts: Box<RequestParts>,
    },
    Done,
}

impl Pending {
    fn poll(&mut self, cx: &mut Context<'_>, shared: &Shared) -> Poll<Out> {
        if let Pending::Asking { ask, parts } = self {
            let yes = ready!(ask.as_mut().poll(cx));
            let answer = if yes { Answer::Yes } else { Answer::No };
            *self = Pending::Ready(shared.decide(parts, answer));
        }
        match std::mem::replace(self, Pending::Done) {
            Pending::Ready(out) => Poll::Ready(out),
            _ => panic!("CORS response future polled after completion"),
        }
    }
}

pin_project! {
    /// The response future of [`Cors`].
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Inner {
            #[pin]
            future: F,
            cors: Pending,
            shared: Arc<Shared>,
        },
        Preflight {
            cors: Pending,
            shared: Arc<Shared>,
        },
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner {
                future,
                cors,
                shared,
            } => {
                // The predicate first: the inner service's response waits
                // for it, as in tower-http.
                if let Pending::Asking { .. } = cors {
                    let out = ready!(cors.poll(cx, shared));
                    *cors = Pending::Ready(out);
                }
                let mut response = ready!(future.poll(cx))?;
                let out = match cors.poll(cx, shared) {
                    Poll::Ready(out) => out,
                    Poll::Pending => unreachable!("the predicate has answered"),
                };
                out.apply(response.headers_mut(), shared, false);
                Poll::Ready(Ok(response))
            }
            StateProj::Preflight { cors, shared } => {
                let out = ready!(cors.poll(cx, shared));
                let mut response = Response::new(B::default());
                let status = out.status;
                *response.status_mut() =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
                if let Some(len) = preflight_content_length(status) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_LENGTH, HeaderValue::from_static(len));
                }
                out.apply(response.headers_mut(), shared, true);
                Poll::Ready(Ok(response))
            }
        }
    }
}
