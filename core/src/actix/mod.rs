//! CORS middleware for [actix-web](https://actix.rs), a drop-in for
//! `actix_cors::Cors`: the same builder, with every decision made by
//! corsgate's engine.
//!
//! ```
//! use corsgate::actix::Cors;
//!
//! let cors = Cors::default()
//!     .allowed_origin("https://app.example.com")
//!     .allowed_methods(["GET", "PUT"])
//!     .supports_credentials()
//!     .max_age(3600);
//! assert!(cors.build().is_ok());
//! ```
//!
//! Differences from actix-cors, each for a Fetch reason (the table in
//! `bindings/rust/README.md`): `permissive()`, or any origin with
//! credentials, is a [`PolicyError`] when the middleware is built (actix-cors
//! echoes every origin with credentials); a refused preflight is answered
//! `403` (actix-cors: `400`); `Vary` cannot be turned off.

use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{
    forward_ready, RequestHead, Service, ServiceRequest, ServiceResponse, Transform,
};
use actix_web::http::header::{self, HeaderMap, HeaderName as ActixName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{Error, HttpResponse};
use std::future::{ready, Future, Ready};
use std::pin::Pin;

use crate::host::{is_cors_response_header, VaryMerge};
use crate::limits::MAX_RESPONSE_HEADERS;
use crate::{
    Answer, HeaderName, Kind, OriginPredicate, Policy, PolicyBuilder, PolicyConfig, PolicyError,
    RequestHeader, Source,
};

/// An origin function, as actix-cors takes it.
type OriginFn = Rc<dyn Fn(&HeaderValue, &RequestHead) -> bool>;

/// The `actix-web` name of a response header corsgate sets.
fn response_name(name: HeaderName) -> ActixName {
    match name {
        HeaderName::AllowOrigin => header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderName::AllowCredentials => header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderName::AllowMethods => header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderName::AllowHeaders => header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderName::MaxAge => header::ACCESS_CONTROL_MAX_AGE,
        HeaderName::ExposeHeaders => header::ACCESS_CONTROL_EXPOSE_HEADERS,
        other => ActixName::from_static(other.lowercase()),
    }
}

/// The middleware builder: actix-cors's methods, writing a corsgate policy.
///
/// [`Transform::new_transform`] (what `App::wrap` calls when a worker
/// starts) fails, logging every problem, when the configuration is invalid,
/// as actix-cors does with its own errors; [`build`](Self::build) returns
/// them as a [`PolicyError`].
#[derive(Clone)]
pub struct Cors {
    config: PolicyConfig,
    own_predicate: Option<OriginPredicate>,
    origin_fns: Vec<OriginFn>,
    preflight: bool,
    block_on_origin_mismatch: bool,
    compiled: Option<Rc<Shared>>,
}

impl std::fmt::Debug for Cors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cors")
            .field("config", &self.config)
            .field("origin_fns", &self.origin_fns.len())
            .field("preflight", &self.preflight)
            .field("block_on_origin_mismatch", &self.block_on_origin_mismatch)
            .finish_non_exhaustive()
    }
}

impl Default for Cors {
    /// actix-cors's restrictive default: no origin allowed yet, preflights
    /// answered `200`.
    fn default() -> Self {
        Cors {
            config: PolicyConfig {
                preflight_status: 200,
                ..PolicyConfig::default()
            },
            own_predicate: None,
            origin_fns: Vec::new(),
            preflight: true,
            block_on_origin_mismatch: false,
            compiled: None,
        }
    }
}

impl From<Policy> for Cors {
    fn from(policy: Policy) -> Self {
        Self::from_policy(policy)
    }
}

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

fn push(list: &mut Vec<String>, item: &str) {
    if list.iter().any(|i| i == "*") {
        return;
    }
    list.push(item.to_owned());
}

impl Cors {
    /// A middleware deciding by `policy` (a file, a TOML or JSON string, or
    /// [`Policy::builder`]). Builder methods called afterwards change a copy
    /// of its configuration.
    pub fn from_policy(policy: impl Into<Arc<Policy>>) -> Self {
        let policy = policy.into();
        Cors {
            config: policy.config().clone(),
            own_predicate: policy.own_predicate(),
            origin_fns: Vec::new(),
            preflight: true,
            block_on_origin_mismatch: false,
            compiled: Some(Rc::new(Shared::new(policy, Vec::new()))),
        }
    }

    /// actix-cors's `permissive()`: every origin, with credentials. Fetch
    /// lets a credentialed response name one origin only, and echoing any
    /// origin hands every site your users' data, so building it fails with
    /// `any-origin-with-credentials`.
    pub fn permissive() -> Self {
        Cors::default()
            .allow_any_origin()
            .allow_any_method()
            .allow_any_header()
            .expose_any_header()
            .supports_credentials()
            .max_age(3600)
    }

    fn edit(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self.compiled = None;
        self
    }

    /// Any origin: `*` (refused with credentials).
    pub fn allow_any_origin(self) -> Self {
        self.edit(|c| {
            c.config.origins = vec!["*".to_owned()];
            c.own_predicate = None;
            c.origin_fns.clear();
        })
    }

    /// One more allowed origin, like `https://app.example.com` (validated when built).
    pub fn allowed_origin(self, origin: &str) -> Self {
        self.edit(|c| push(&mut c.config.origins, origin))
    }

    /// Origins `f` accepts, asked after the listed ones, with the request's
    /// `Origin` value and head.
    pub fn allowed_origin_fn<F>(self, f: F) -> Self
    where
        F: Fn(&HeaderValue, &RequestHead) -> bool + 'static,
    {
        self.edit(|c| c.origin_fns.push(Rc::new(f)))
    }

    /// Any method a preflight asks for.
    pub fn allow_any_method(self) -> Self {
        self.edit(|c| c.config.methods = vec!["*".to_owned()])
    }

    /// Methods a preflight may ask for (`"PUT"` or `Method::PUT`).
    pub fn allowed_methods<U, M>(self, methods: U) -> Self
    where
        U: IntoIterator<Item = M>,
        M: AsRef<str>,
    {
        self.edit(|c| {
            for m in strings(methods) {
                push(&mut c.config.methods, &m);
            }
        })
    }

    /// Any header name a preflight asks for, `authorization` included.
    pub fn allow_any_header(self) -> Self {
        self.edit(|c| c.config.request_headers = vec!["*".to_owned(), "authorization".to_owned()])
    }

    /// One more header name a preflight may ask for.
    pub fn allowed_header<H: AsRef<str>>(self, header: H) -> Self {
        self.allowed_headers([header])
    }

    /// Header names a preflight may ask for.
    pub fn allowed_headers<U, H>(self, headers: U) -> Self
    where
        U: IntoIterator<Item = H>,
        H: AsRef<str>,
    {
        self.edit(|c| {
            for h in strings(headers) {
                if !c.config.request_headers.iter().any(|i| i == "*") {
                    c.config.request_headers.push(h.to_ascii_lowercase());
                }
            }
        })
    }

    /// Every response header readable by scripts: `*` (not with credentials).
    pub fn expose_any_header(self) -> Self {
        self.edit(|c| c.config.expose_headers = vec!["*".to_owned()])
    }

    /// Response headers scripts may read.
    pub fn expose_headers<U, H>(self, headers: U) -> Self
    where
        U: IntoIterator<Item = H>,
        H: AsRef<str>,
    {
        self.edit(|c| {
            for h in strings(headers) {
                push(&mut c.config.expose_headers, &h.to_ascii_lowercase());
            }
        })
    }

    /// How long, in seconds, a browser may cache a preflight answer; `None`
    /// sends no `Access-Control-Max-Age`.
    pub fn max_age(self, max_age: impl Into<Option<usize>>) -> Self {
        let max_age = max_age.into();
        self.edit(|c| c.config.max_age = max_age.map(|s| i64::try_from(s).unwrap_or(i64::MAX)))
    }

    /// actix-cors sends `*` instead of the origin when any origin is
    /// allowed; corsgate always does, so this changes nothing.
    pub fn send_wildcard(self) -> Self {
        self
    }

    /// `Access-Control-Allow-Credentials: true`.
    pub fn supports_credentials(self) -> Self {
        self.edit(|c| c.config.credentials = true)
    }

    /// Grant private network preflights.
    pub fn allow_private_network_access(self) -> Self {
        self.edit(|c| c.config.private_network.allow = true)
    }

    /// actix-cors drops `Vary`; a response that depends on `Origin` must
    /// vary on it (or caches serve one origin's answer to another), so
    /// corsgate keeps it: this changes nothing.
    pub fn disable_vary_header(self) -> Self {
        self
    }

    /// Pass preflights to the application, adding the preflight's headers
    /// to its response.
    pub fn disable_preflight(self) -> Self {
        self.edit(|c| c.preflight = false)
    }

    /// Answer a refused actual request `400` without calling the application
    /// (actix-cors's status), instead of calling it and adding no header.
    pub fn block_on_origin_mismatch(self, block: bool) -> Self {
        self.edit(|c| c.block_on_origin_mismatch = block)
    }

    /// The policy this middleware decides by, as data.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Validates the configuration: the middleware, ready, or every problem
    /// at once.
    pub fn build(mut self) -> Result<Self, PolicyError> {
        let shared = self.compile()?;
        self.compiled = Some(shared);
        Ok(self)
    }

    fn compile(&self) -> Result<Rc<Shared>, PolicyError> {
        if let Some(shared) = &self.compiled {
            return Ok(shared.clone());
        }
        let mut builder = PolicyBuilder::from_config(self.config.clone());
        if let Some(p) = &self.own_predicate {
            builder = builder.origin_predicate_arc(p.clone());
        } else if self.config.origins.is_empty() || !self.origin_fns.is_empty() {
            builder = builder.host_origin_predicate();
        }
        let policy = builder.build()?;
        Ok(Rc::new(Shared::new(
            Arc::new(policy),
            self.origin_fns.clone(),
        )))
    }
}

/// What every response of one middleware shares.
struct Shared {
    policy: Arc<Policy>,
    origin_fns: Vec<OriginFn>,
    fixed: [Option<HeaderValue>; MAX_RESPONSE_HEADERS],
}

impl Shared {
    fn new(policy: Arc<Policy>, origin_fns: Vec<OriginFn>) -> Self {
        let mut fixed: [Option<HeaderValue>; MAX_RESPONSE_HEADERS] = Default::default();
        for (name, value) in policy.fixed_headers() {
            if let Ok(v) = HeaderValue::from_bytes(value) {
                drop(v.clone());
                fixed[name.index()] = Some(v);
            }
        }
        Shared {
            policy,
            origin_fns,
            fixed,
        }
    }

    fn decide(&self, head: &RequestHead) -> Out {
        let mut request = crate::Request::new(head.method.as_str().as_bytes());
        let mut origin = None;
        for (name, value) in head.headers().iter() {
            if let Some(h) = RequestHeader::from_name(name.as_str().as_bytes()) {
                request.push(h, value.as_bytes());
                if h == RequestHeader::Origin {
                    origin.get_or_insert(value);
                }
            }
        }
        let mut ask = |_: &str| origin.is_some_and(|o| self.origin_fns.iter().any(|f| f(o, head)));
        let answer = if self.origin_fns.is_empty() {
            Answer::Policy
        } else {
            Answer::Ask(&mut ask)
        };
        let decision = self.policy.decide_with(&request, answer);
        let mut values: [Option<HeaderValue>; MAX_RESPONSE_HEADERS] = Default::default();
        for h in decision.headers() {
            values[h.name.index()] = match h.source {
                Source::Policy => self.fixed[h.name.index()].clone(),
                Source::Origin => origin.filter(|o| o.as_bytes() == h.value).cloned(),
                _ => None,
            }
            .or_else(|| HeaderValue::from_bytes(h.value).ok());
        }
        Out {
            kind: decision.kind(),
            allowed: decision.allowed(),
            status: decision.status().unwrap_or(403),
            values,
            vary: decision.vary(),
            vary_line: decision.vary_line(),
        }
    }
}

/// A decision, owned.
#[derive(Clone)]
struct Out {
    kind: Kind,
    allowed: bool,
    status: u16,
    values: [Option<HeaderValue>; MAX_RESPONSE_HEADERS],
    vary: &'static [&'static str],
    vary_line: &'static str,
}

impl Out {
    fn apply(&self, headers: &mut HeaderMap) {
        let owned: Vec<ActixName> = headers
            .keys()
            .filter(|k| is_cors_response_header(k.as_str().as_bytes()))
            .cloned()
            .collect();
        for k in owned {
            headers.remove(k);
        }
        for (name, value) in HeaderName::ALL.into_iter().zip(&self.values) {
            if let Some(value) = value {
                headers.insert(response_name(name), value.clone());
            }
        }
        if self.vary.is_empty() {
            return;
        }
        let mut merge = VaryMerge::new(self.vary);
        for v in headers.get_all(header::VARY) {
            merge.read(v.as_bytes());
        }
        if merge.all_missing() {
            headers.append(header::VARY, HeaderValue::from_static(self.vary_line));
        } else if let Some(missing) = merge.missing() {
            if let Ok(v) = HeaderValue::from_str(&missing) {
                headers.append(header::VARY, v);
            }
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Cors
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type InitError = ();
    type Transform = CorsMiddleware<S>;
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(match self.compile() {
            Ok(shared) => Ok(CorsMiddleware {
                service: Rc::new(service),
                shared,
                preflight: self.preflight,
                block: self.block_on_origin_mismatch,
            }),
            Err(e) => {
                eprintln!("invalid CORS configuration: {e}");
                Err(())
            }
        })
    }
}

/// The service [`Cors`] wraps around the application.
pub struct CorsMiddleware<S> {
    service: Rc<S>,
    shared: Rc<Shared>,
    preflight: bool,
    block: bool,
}

/// The response future of [`CorsMiddleware`].
pub type CorsFuture<B> =
    Pin<Box<dyn Future<Output = Result<ServiceResponse<EitherBody<B>>, Error>>>>;

impl<S, B> Service<ServiceRequest> for CorsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = CorsFuture<B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let out = self.shared.decide(req.head());
        if out.kind == Kind::Preflight && self.preflight {
            let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::FORBIDDEN);
            // actix writes the `Content-Length: 0` of the empty body itself,
            // and none on a 204.
            let mut res = HttpResponse::new(status);
            out.apply(res.headers_mut());
            return Box::pin(ready(Ok(req.into_response(res).map_into_right_body())));
        }
        if out.kind == Kind::Actual && !out.allowed && self.block {
            let mut res = HttpResponse::new(StatusCode::BAD_REQUEST);
            out.apply(res.headers_mut());
            return Box::pin(ready(Ok(req.into_response(res).map_into_right_body())));
        }
        let fut = self.service.call(req);
        Box::pin(async move {
            match fut.await {
                Ok(mut res) => {
                    out.apply(res.headers_mut());
                    Ok(res.map_into_left_body())
                }
                Err(mut err) => {
                    err.add_response_mapper(move |mut res| {
                        out.apply(res.headers_mut());
                        res
                    });
                    Err(err)
                }
            }
        })
    }
}
