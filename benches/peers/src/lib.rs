//! The comparison's shared setup: the cases, one policy configured alike for
//! every contender, and how a host hands each contender one request.
//!
//! Every contender receives the same input: an owned `http::Request<()>`, the
//! type a tower/axum/hyper host has, cloned from a prebuilt one outside the
//! timed region (criterion's `iter_batched` setup). Everything that happens to
//! it from then on is timed, for all three alike, dropping it included:
//!
//! - corsgate: `Request::from_headers` over the `HeaderMap`'s lines, `decide`,
//!   then every header and `Vary` token read;
//! - tower-http: `CorsLayer` around a no-op inner service that answers an empty
//!   200, `poll_ready` + `call` + the future polled once with a no-op waker
//!   (always ready), then every response header read;
//! - bunner_cors_rs: a `RequestContext` from `HeaderMap::get` lookups (as its
//!   README does), `Cors::check`, then every header read.

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bunner_cors_rs::{
    AllowedHeaders, AllowedMethods, CorsDecision, CorsOptions, ExposedHeaders, OriginMatcher,
};
use http::header::{
    HeaderName, HeaderValue, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD,
    AUTHORIZATION, CONTENT_TYPE, ORIGIN,
};
use http::{Method, Response};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};
use tower_layer::Layer;
use tower_service::Service;

/// The configured origins every policy lists (after any extra ones).
pub const ORIGINS: [&str; 2] = ["https://app.example.com", "https://admin.example.com"];
/// The subdomain pattern of the wildcard case, as corsgate writes it.
pub const WILDCARD: &str = "https://*.preview.example.com";
/// bunner_cors_rs's equivalent: a regular expression (matched unanchored, so
/// anchored here).
pub const WILDCARD_REGEX: &str = r"^https://[a-z0-9-]+\.preview\.example\.com$";
/// The allowed request headers.
pub const REQUEST_HEADERS: [&str; 3] = ["content-type", "x-request-id", "authorization"];
/// The exposed response header.
pub const EXPOSE: &str = "x-request-id";
/// `Access-Control-Max-Age`, seconds.
pub const MAX_AGE: u32 = 600;

/// How the policy varies between cases; everything else is fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// How many origins are configured in all (at least [`ORIGINS`]' two);
    /// extra ones come first, so the request's origin is the last but one.
    pub origins: usize,
    /// Also allow [`WILDCARD`] (tower-http: a predicate; bunner: a regex).
    pub wildcard: bool,
}

impl Config {
    const BASE: Config = Config {
        origins: ORIGINS.len(),
        wildcard: false,
    };

    /// The exact origins, in configuration order.
    pub fn origins(&self) -> Vec<String> {
        let extra = self.origins.saturating_sub(ORIGINS.len());
        (0..extra)
            .map(|i| format!("https://tenant{i}.example.net"))
            .chain(ORIGINS.iter().map(|o| o.to_string()))
            .collect()
    }
}

/// One comparison case: a name, the policy variant and the request.
pub struct Case {
    /// Shown in tables and used as the criterion group name.
    pub name: &'static str,
    /// The policy variant.
    pub config: Config,
    /// The request every contender gets a clone of.
    pub request: http::Request<()>,
}

/// A handful of ordinary browser headers every request carries besides the
/// CORS ones.
fn browser_request(method: Method, cors: &[(HeaderName, &[u8])]) -> http::Request<()> {
    let mut b = http::Request::builder()
        .method(method)
        .uri("https://api.example.com/items")
        .header("host", "api.example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        )
        .header("accept", "application/json")
        .header("accept-encoding", "gzip, deflate, br")
        .header("sec-fetch-mode", "cors");
    for (name, value) in cors {
        b = b.header(name, HeaderValue::from_bytes(value).expect("valid value"));
    }
    b.body(()).expect("valid request")
}

/// The cases, in report order.
pub fn cases() -> Vec<Case> {
    let app: &[u8] = ORIGINS[0].as_bytes();
    let evil: &[u8] = b"https://evil.example";
    let hostile = vec![b','; 1 << 20];
    let case = |name, config, method, cors: &[(HeaderName, &[u8])]| Case {
        name,
        config,
        request: browser_request(method, cors),
    };
    vec![
        case(
            "actual allowed",
            Config::BASE,
            Method::GET,
            &[(ORIGIN, app)],
        ),
        case(
            "actual refused",
            Config::BASE,
            Method::GET,
            &[(ORIGIN, evil)],
        ),
        case("no Origin", Config::BASE, Method::GET, &[]),
        case(
            "preflight allowed, 3 request headers",
            Config::BASE,
            Method::OPTIONS,
            &[
                (ORIGIN, app),
                (ACCESS_CONTROL_REQUEST_METHOD, b"PUT"),
                // As a browser sends it: Fetch sorts and lowercases the names.
                (
                    ACCESS_CONTROL_REQUEST_HEADERS,
                    b"authorization,content-type,x-request-id",
                ),
            ],
        ),
        case(
            "preflight refused",
            Config::BASE,
            Method::OPTIONS,
            &[(ORIGIN, evil), (ACCESS_CONTROL_REQUEST_METHOD, b"PUT")],
        ),
        case(
            "wildcard subdomain",
            Config {
                wildcard: true,
                ..Config::BASE
            },
            Method::GET,
            &[(ORIGIN, b"https://pr-42.preview.example.com")],
        ),
        case(
            "10,000 configured origins",
            Config {
                origins: 10_000,
                ..Config::BASE
            },
            Method::GET,
            &[(ORIGIN, app)],
        ),
        case(
            "hostile 1 MiB ACRH",
            Config::BASE,
            Method::OPTIONS,
            &[
                (ORIGIN, app),
                (ACCESS_CONTROL_REQUEST_METHOD, b"PUT"),
                (ACCESS_CONTROL_REQUEST_HEADERS, &hostile),
            ],
        ),
    ]
}

// ---------------------------------------------------------------- corsgate

/// corsgate's policy for `config`.
pub fn corsgate_policy(config: Config) -> corsgate::Policy {
    let mut origins = config.origins();
    if config.wildcard {
        origins.push(WILDCARD.into());
    }
    corsgate::Policy::builder()
        .origins(origins)
        .credentials(true)
        .methods(["PUT", "DELETE"])
        .request_headers(REQUEST_HEADERS)
        .expose_headers([EXPOSE])
        .max_age(MAX_AGE)
        .build()
        .expect("valid corsgate policy")
}

/// A host's work with corsgate for one request; returns the header count.
#[inline(never)]
pub fn corsgate_handle(policy: &corsgate::Policy, req: http::Request<()>) -> usize {
    let lines = req
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().as_bytes(), value.as_bytes()));
    let request = corsgate::Request::from_headers(req.method().as_str().as_bytes(), lines);
    let decision = policy.decide(&request);
    let mut n = 0;
    for header in decision.headers() {
        black_box((header.name.as_str(), header.value));
        n += 1;
    }
    black_box((decision.vary(), decision.status(), decision.allowed()));
    n
}

// --------------------------------------------------------------- tower-http

/// The inner service: an empty 200 for every request, always ready.
#[derive(Clone, Copy, Debug, Default)]
pub struct Noop;

impl Service<http::Request<()>> for Noop {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: http::Request<()>) -> Self::Future {
        ready(Ok(Response::new(())))
    }
}

/// tower-http's `CorsLayer` for `config`, wrapped around [`Noop`].
pub fn tower_service(config: Config) -> Cors<Noop> {
    let origins: Vec<HeaderValue> = config
        .origins()
        .iter()
        .map(|o| HeaderValue::from_str(o).expect("valid origin"))
        .collect();
    let allow_origin = if config.wildcard {
        // tower-http has no subdomain pattern: a predicate is its way.
        AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origins.contains(origin) || is_preview_origin(origin.as_bytes())
        })
    } else {
        AllowOrigin::list(origins)
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_credentials(true)
        .allow_methods([Method::PUT, Method::DELETE])
        .allow_headers([
            CONTENT_TYPE,
            HeaderName::from_static("x-request-id"),
            AUTHORIZATION,
        ])
        .expose_headers([HeaderName::from_static(EXPOSE)])
        .max_age(Duration::from_secs(MAX_AGE.into()))
        .layer(Noop)
}

/// `https://<one label>.preview.example.com`, as corsgate's `*.` pattern.
fn is_preview_origin(origin: &[u8]) -> bool {
    origin
        .strip_prefix(b"https://")
        .and_then(|rest| rest.strip_suffix(b".preview.example.com"))
        .is_some_and(|label| {
            !label.is_empty()
                && label
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        })
}

/// A host's work with tower-http for one request; returns the header count.
#[inline(never)]
pub fn tower_handle(service: &mut Cors<Noop>, req: http::Request<()>) -> usize {
    let mut cx = Context::from_waker(Waker::noop());
    match service.poll_ready(&mut cx) {
        Poll::Ready(Ok(())) => {}
        _ => unreachable!("Cors<Noop> is always ready"),
    }
    let future = pin!(service.call(req));
    let response = match future.poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        _ => unreachable!("Cors<Noop>'s future is always ready"),
    };
    let mut n = 0;
    for (name, value) in response.headers() {
        black_box((name.as_str(), value.as_bytes()));
        n += 1;
    }
    black_box(response.status());
    n
}

// ------------------------------------------------------------------ layers

/// The layer comparison's contenders, in table order: the inner service
/// alone, then each CORS layer around it. What a layer adds is its time
/// minus the bare service's, measured in the same run.
pub const LAYERS: [&str; 3] = [
    "bare service",
    "tower-http CorsLayer",
    "corsgate::tower::CorsLayer",
];

/// `corsgate::tower::CorsLayer` for `config` (corsgate's policy), wrapped
/// around [`Noop`].
pub fn corsgate_layer(config: Config) -> corsgate::tower::Cors<Noop> {
    corsgate::tower::CorsLayer::from_policy(corsgate_policy(config)).layer(Noop)
}

/// A host's work with any service for one request: `poll_ready`, `call`,
/// the future polled once, every response header read; returns the count.
#[inline(never)]
pub fn service_handle<S>(service: &mut S, req: http::Request<()>) -> usize
where
    S: Service<http::Request<()>, Response = Response<()>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    match service.poll_ready(&mut cx) {
        Poll::Ready(Ok(())) => {}
        _ => unreachable!("always ready"),
    }
    let future = pin!(service.call(req));
    let response = match future.poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        _ => unreachable!("always ready"),
    };
    let mut n = 0;
    for (name, value) in response.headers() {
        black_box((name.as_str(), value.as_bytes()));
        n += 1;
    }
    black_box(response.status());
    n
}

/// The three services of the layer comparison, for one case.
pub struct Layers {
    /// The inner service alone.
    pub bare: Noop,
    /// tower-http's layer around it.
    pub tower: Cors<Noop>,
    /// corsgate's layer around it.
    pub corsgate: corsgate::tower::Cors<Noop>,
}

impl Layers {
    /// All three, configured for `config`.
    pub fn new(config: Config) -> Self {
        Layers {
            bare: Noop,
            tower: tower_service(config),
            corsgate: corsgate_layer(config),
        }
    }

    /// Runs contender `which` (an index into [`LAYERS`]) on `req`.
    pub fn handle(&mut self, which: usize, req: http::Request<()>) -> usize {
        match which {
            0 => service_handle(&mut self.bare, req),
            1 => service_handle(&mut self.tower, req),
            _ => service_handle(&mut self.corsgate, req),
        }
    }
}

// ----------------------------------------------------------- bunner_cors_rs

/// bunner_cors_rs's `Cors` for `config`. Its simple requests need their
/// method listed (else `NotApplicable`), so GET, HEAD and POST are listed too,
/// which corsgate and browsers allow unlisted.
pub fn bunner_cors(config: Config) -> bunner_cors_rs::Cors {
    let mut matchers: Vec<OriginMatcher> = config
        .origins()
        .into_iter()
        .map(OriginMatcher::exact)
        .collect();
    if config.wildcard {
        matchers.push(OriginMatcher::pattern_str(WILDCARD_REGEX).expect("valid pattern"));
    }
    let options = CorsOptions::new()
        .origin(bunner_cors_rs::Origin::list(matchers))
        .credentials(true)
        .methods(AllowedMethods::list([
            "GET", "HEAD", "POST", "PUT", "DELETE",
        ]))
        .allowed_headers(AllowedHeaders::list(REQUEST_HEADERS))
        .exposed_headers(ExposedHeaders::list([EXPOSE]))
        .max_age(MAX_AGE.into());
    bunner_cors_rs::Cors::new(options).expect("valid bunner_cors_rs options")
}

/// A host's work with bunner_cors_rs for one request; returns the header count.
#[inline(never)]
pub fn bunner_handle(cors: &bunner_cors_rs::Cors, req: http::Request<()>) -> usize {
    let headers = req.headers();
    let get = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let context = bunner_cors_rs::RequestContext {
        method: req.method().as_str(),
        origin: get(ORIGIN),
        access_control_request_method: get(ACCESS_CONTROL_REQUEST_METHOD),
        access_control_request_headers: get(ACCESS_CONTROL_REQUEST_HEADERS),
        access_control_request_private_network: false,
    };
    let decision = cors.check(&context).expect("no callback, no error");
    let headers = match &decision {
        CorsDecision::PreflightAccepted { headers } | CorsDecision::SimpleAccepted { headers } => {
            Some(headers)
        }
        CorsDecision::PreflightRejected(r) => Some(&r.headers),
        CorsDecision::SimpleRejected(r) => Some(&r.headers),
        CorsDecision::NotApplicable => None,
    };
    let mut n = 0;
    for (name, value) in headers.into_iter().flatten() {
        black_box((name.as_str(), value.as_str()));
        n += 1;
    }
    n
}

// ------------------------------------------------------------------ all

/// The contenders' names, in table order.
pub const NAMES: [&str; 3] = ["corsgate", "tower-http", "bunner_cors_rs"];

/// The contenders, prepared for one case.
pub struct Contenders {
    /// corsgate's policy.
    pub corsgate: corsgate::Policy,
    /// tower-http's service.
    pub tower: Cors<Noop>,
    /// bunner_cors_rs's engine.
    pub bunner: bunner_cors_rs::Cors,
}

impl Contenders {
    /// All three, configured for `config`.
    pub fn new(config: Config) -> Self {
        Contenders {
            corsgate: corsgate_policy(config),
            tower: tower_service(config),
            bunner: bunner_cors(config),
        }
    }

    /// Runs contender `which` (an index into [`NAMES`]) on `req`.
    pub fn handle(&mut self, which: usize, req: http::Request<()>) -> usize {
        match which {
            0 => corsgate_handle(&self.corsgate, req),
            1 => tower_handle(&mut self.tower, req),
            _ => bunner_handle(&self.bunner, req),
        }
    }

    /// What each contender answers `req` with: the response header names,
    /// abbreviated (`ACAO` for `Access-Control-Allow-Origin`, ...), `Vary`
    /// included, sorted.
    pub fn answers(&mut self, req: &http::Request<()>) -> [String; 3] {
        let corsgate = {
            let lines = req
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str().as_bytes(), value.as_bytes()));
            let request = corsgate::Request::from_headers(req.method().as_str().as_bytes(), lines);
            let decision = self.corsgate.decide(&request);
            let mut names: Vec<String> = decision
                .headers()
                .map(|h| h.name.as_str().to_string())
                .collect();
            if !decision.vary().is_empty() {
                names.push("vary".into());
            }
            names
        };
        let tower = {
            let mut cx = Context::from_waker(Waker::noop());
            let _ = self.tower.poll_ready(&mut cx);
            let future = pin!(self.tower.call(req.clone()));
            match future.poll(&mut cx) {
                Poll::Ready(Ok(response)) => response
                    .headers()
                    .keys()
                    .map(|n| n.as_str().to_string())
                    .collect(),
                _ => unreachable!("always ready"),
            }
        };
        let bunner = {
            let headers = req.headers();
            let get = |name| {
                headers
                    .get(name)
                    .and_then(|v: &HeaderValue| v.to_str().ok())
            };
            let context = bunner_cors_rs::RequestContext {
                method: req.method().as_str(),
                origin: get(ORIGIN),
                access_control_request_method: get(ACCESS_CONTROL_REQUEST_METHOD),
                access_control_request_headers: get(ACCESS_CONTROL_REQUEST_HEADERS),
                access_control_request_private_network: false,
            };
            match self.bunner.check(&context).expect("no error") {
                CorsDecision::PreflightAccepted { headers }
                | CorsDecision::SimpleAccepted { headers } => headers.into_keys().collect(),
                CorsDecision::PreflightRejected(r) => r.headers.into_keys().collect(),
                CorsDecision::SimpleRejected(r) => r.headers.into_keys().collect(),
                CorsDecision::NotApplicable => Vec::new(),
            }
        };
        [corsgate, tower, bunner].map(|names| abbreviate(&names))
    }
}

fn abbreviate(names: &[String]) -> String {
    let mut short: Vec<String> = names
        .iter()
        .map(|n| {
            let n = n.to_ascii_lowercase();
            match n.strip_prefix("access-control-") {
                Some(rest) => {
                    let mut a = String::from("AC");
                    a.extend(
                        rest.split('-')
                            .filter_map(|w| w.chars().next())
                            .map(|c| c.to_ascii_uppercase()),
                    );
                    a
                }
                None => n,
            }
        })
        .collect();
    short.sort();
    short.dedup();
    if short.is_empty() {
        "none".into()
    } else {
        short.join(" ")
    }
}

// ------------------------------------------------------------------ actix-web

/// The actix-web comparison's contenders, in table order: the application
/// alone (one handler answering an empty 200), then each CORS middleware
/// around it. The middleware's cost is its time minus the bare app's.
pub const ACTIX: [&str; 3] = ["bare app", "actix-cors", "corsgate::actix::Cors"];

/// actix-cors configured like [`tower_service`] (its origin function for the
/// wildcard case), or corsgate's middleware from [`corsgate_policy`].
pub fn actix_cors(config: Config) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["PUT", "DELETE"])
        .allowed_headers(REQUEST_HEADERS)
        .expose_headers([EXPOSE])
        .supports_credentials()
        .max_age(MAX_AGE as usize);
    for origin in config.origins() {
        cors = cors.allowed_origin(&origin);
    }
    if config.wildcard {
        cors = cors.allowed_origin_fn(|origin, _| is_preview_origin(origin.as_bytes()));
    }
    cors
}

/// corsgate's actix middleware for `config`.
pub fn corsgate_actix(config: Config) -> corsgate::actix::Cors {
    corsgate::actix::Cors::from_policy(corsgate_policy(config))
}

/// The case's request as actix-web receives it.
pub fn actix_request(req: &http::Request<()>) -> actix_http::Request {
    let method = actix_web::http::Method::from_bytes(req.method().as_str().as_bytes())
        .expect("a valid method");
    let mut test = actix_web::test::TestRequest::default()
        .method(method)
        .uri("/items");
    for (name, value) in req.headers() {
        let value = actix_web::http::header::HeaderValue::from_bytes(value.as_bytes())
            .expect("a valid value");
        test = test.append_header((name.as_str(), value));
    }
    test.to_request()
}

/// A host's work with an actix-web service for one request: `call`, the
/// future polled once, every response header read; returns the count.
#[inline(never)]
pub fn actix_handle<S, B>(service: &S, req: actix_http::Request) -> usize
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
{
    let mut cx = Context::from_waker(Waker::noop());
    let future = pin!(service.call(req));
    let response = match future.poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        _ => unreachable!("the handler is always ready"),
    };
    let mut n = 0;
    for (name, value) in response.headers() {
        black_box((name.as_str(), value.as_bytes()));
        n += 1;
    }
    black_box(response.status());
    n
}

/// Builds each actix-web contender for `config` in turn and hands `visit` its
/// index in [`ACTIX`] and a function running it on one request.
pub fn with_actix_apps(
    config: Config,
    mut visit: impl FnMut(usize, &mut dyn FnMut(actix_http::Request) -> usize),
) {
    use actix_web::{test::init_service, web, App, HttpResponse};
    let system = actix_web::rt::System::new();
    let handler = || web::to(|| async { HttpResponse::Ok().finish() });
    let bare = system.block_on(init_service(App::new().default_service(handler())));
    visit(0, &mut |req| actix_handle(&bare, req));
    let theirs = system.block_on(init_service(
        App::new()
            .wrap(actix_cors(config))
            .default_service(handler()),
    ));
    visit(1, &mut |req| actix_handle(&theirs, req));
    let ours = system.block_on(init_service(
        App::new()
            .wrap(corsgate_actix(config))
            .default_service(handler()),
    ));
    visit(2, &mut |req| actix_handle(&ours, req));
}
