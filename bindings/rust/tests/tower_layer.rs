//! `corsgate::tower::CorsLayer`: the tower-http behaviours it keeps, the
//! builder vocabulary, and each deliberate difference (the table in
//! bindings/rust/README.md).

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corsgate::tower::{
    AllowHeaders, AllowMethods, AllowOrigin, AllowPrivateNetwork, Any, CorsLayer, ExposeHeaders,
};
use corsgate::Policy;
use http::request::Parts;
use http::{header, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use tower::{service_fn, Layer, ServiceExt};

const APP: &str = "https://app.example.com";

fn get(origin: Option<&'static str>) -> Request<()> {
    let mut r = Request::builder().method(Method::GET).uri("/things");
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    r.body(()).unwrap()
}

fn preflight(
    origin: &'static str,
    method: &'static str,
    headers: Option<&'static str>,
) -> Request<()> {
    let mut r = Request::builder()
        .method(Method::OPTIONS)
        .uri("/things")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method);
    if let Some(h) = headers {
        r = r.header(header::ACCESS_CONTROL_REQUEST_HEADERS, h);
    }
    r.body(()).unwrap()
}

/// An inner service that answers 200 "inner", counting its calls, with
/// `extra` headers set.
fn inner(
    calls: Arc<AtomicUsize>,
    extra: Vec<(HeaderName, &'static str)>,
) -> impl tower::Service<
    Request<()>,
    Response = Response<String>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    service_fn(move |_req: Request<()>| {
        calls.fetch_add(1, Ordering::SeqCst);
        let mut res = Response::new("inner".to_owned());
        for (n, v) in &extra {
            res.headers_mut()
                .append(n.clone(), HeaderValue::from_static(v));
        }
        async move { Ok::<_, Infallible>(res) }
    })
}

async fn call(layer: &CorsLayer, req: Request<()>) -> Response<String> {
    call_with(layer, req, vec![]).await
}

async fn call_with(
    layer: &CorsLayer,
    req: Request<()>,
    extra: Vec<(HeaderName, &'static str)>,
) -> Response<String> {
    let calls = Arc::new(AtomicUsize::new(0));
    layer.layer(inner(calls, extra)).oneshot(req).await.unwrap()
}

fn values(res: &Response<String>, name: impl header::AsHeaderName) -> Vec<&str> {
    res.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

fn vary(res: &Response<String>) -> Vec<String> {
    values(res, header::VARY)
        .iter()
        .flat_map(|l| l.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect()
}

fn app() -> CorsLayer {
    CorsLayer::new().allow_origin(HeaderValue::from_static(APP))
}

#[tokio::test]
async fn a_vary_set_by_the_inner_service_survives() {
    let res = call_with(
        &app(),
        get(Some(APP)),
        vec![(header::VARY, "Accept-Encoding")],
    )
    .await;
    assert_eq!(vary(&res), ["accept-encoding", "origin"]);
    // Already there in another case: not repeated.
    let res = call_with(
        &app(),
        get(Some(APP)),
        vec![(header::VARY, "accept-encoding, origin")],
    )
    .await;
    assert_eq!(vary(&res), ["accept-encoding", "origin"]);
    // `Vary: *` is left alone.
    let res = call_with(&app(), get(Some(APP)), vec![(header::VARY, "*")]).await;
    assert_eq!(vary(&res), ["*"]);
}

#[tokio::test]
async fn cors_headers_set_by_the_inner_service_are_replaced() {
    let extra = vec![
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true"),
        (HeaderName::from_static("access-control-something"), "x"),
        (header::CONTENT_TYPE, "text/plain"),
    ];
    let res = call_with(&app(), get(Some(APP)), extra.clone()).await;
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), [APP]);
    assert!(res
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
        .is_none());
    assert!(res.headers().get("access-control-something").is_none());
    assert_eq!(values(&res, header::CONTENT_TYPE), ["text/plain"]);
    // Refused: the inner service's CORS headers do not leak through either.
    let res = call_with(&app(), get(Some("https://evil.example")), extra).await;
    assert!(res
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    assert_eq!(values(&res, header::CONTENT_TYPE), ["text/plain"]);
}

#[tokio::test]
async fn preflights_are_answered_without_the_inner_service() {
    let calls = Arc::new(AtomicUsize::new(0));
    let layer = app().allow_methods([Method::PUT]);
    let svc = layer.layer(inner(calls.clone(), vec![]));
    let res = svc
        .clone()
        .oneshot(preflight(APP, "PUT", None))
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "tower-http's preflight status"
    );
    assert_eq!(values(&res, header::CONTENT_LENGTH), ["0"]);
    assert_eq!(res.body(), "");
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_METHODS), ["PUT"]);
    let refused = svc
        .clone()
        .oneshot(preflight(APP, "DELETE", None))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    assert_eq!(
        vary(&refused),
        [
            "origin",
            "access-control-request-method",
            "access-control-request-headers"
        ]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // An OPTIONS request that is not a preflight goes to the inner service.
    let plain = Request::builder().method(Method::OPTIONS).body(()).unwrap();
    let res = svc.oneshot(plain).await.unwrap();
    assert_eq!(res.body(), "inner");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_policy_status_and_no_content_length_on_204() {
    let policy = Policy::from_toml(&format!("origins = [\"{APP}\"]\nmethods = [\"PUT\"]")).unwrap();
    let layer = CorsLayer::from_policy(policy);
    let res = call(&layer, preflight(APP, "PUT", None)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.headers().get(header::CONTENT_LENGTH).is_none());
    let layer: CorsLayer = Policy::from_json(&format!(r#"{{"origins": ["{APP}"]}}"#))
        .unwrap()
        .into();
    let res = call(
        &layer.preflight_status(StatusCode::OK),
        preflight(APP, "GET", None),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A body type of the application's own: it passes through unchanged, and
/// a preflight answer is its `Default`.
#[derive(Debug, Default, PartialEq)]
struct MyBody(&'static str);

#[tokio::test]
async fn the_inner_body_type_passes_through() {
    let svc = app().layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(MyBody("mine")))
    }));
    let res = svc.clone().oneshot(get(Some(APP))).await.unwrap();
    assert_eq!(res.body(), &MyBody("mine"));
    let res = svc.oneshot(preflight(APP, "GET", None)).await.unwrap();
    assert_eq!(res.body(), &MyBody::default());
}

#[tokio::test]
async fn an_inner_error_passes_through() {
    let svc = app().layer(service_fn(|_req: Request<()>| async {
        Err::<Response<String>, _>("inner failed")
    }));
    assert_eq!(
        svc.oneshot(get(Some(APP))).await.unwrap_err(),
        "inner failed"
    );
}

#[tokio::test]
async fn no_allow_origin_allows_no_origin() {
    // tower-http's `CorsLayer::new()` sends no Access-Control-Allow-Origin.
    let layer = CorsLayer::new().allow_methods([Method::PUT]);
    let res = call(&layer, get(Some(APP))).await;
    assert!(res
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    assert_eq!(vary(&res), ["origin"]);
    assert_eq!(
        call(&layer, preflight(APP, "PUT", None)).await.status(),
        403
    );
    let res = call(
        &CorsLayer::new().allow_origin(AllowOrigin::list([])),
        get(Some(APP)),
    )
    .await;
    assert!(res
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
}

#[tokio::test]
async fn permissive_allows_everything_without_credentials() {
    let layer = CorsLayer::permissive();
    let res = call(&layer, get(Some("https://anyone.example"))).await;
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), ["*"]);
    assert_eq!(values(&res, header::ACCESS_CONTROL_EXPOSE_HEADERS), ["*"]);
    let res = call(
        &layer,
        preflight("https://anyone.example", "PURGE", Some("x-a, x-b")),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_METHODS), ["*"]);
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_HEADERS), ["*"]);
}

fn codes(layer: CorsLayer) -> Vec<String> {
    layer
        .build()
        .expect_err("an insecure configuration must not build")
        .problems()
        .iter()
        .map(|p| p.code.to_string())
        .collect()
}

#[test]
fn insecure_combinations_are_refused_when_built() {
    assert_eq!(
        codes(CorsLayer::very_permissive()),
        ["any-origin-with-credentials"]
    );
    assert_eq!(
        codes(CorsLayer::new().allow_origin(Any).allow_credentials(true)),
        ["any-origin-with-credentials"]
    );
    assert_eq!(
        codes(
            CorsLayer::new()
                .allow_origin(AllowOrigin::mirror_request())
                .allow_credentials(true)
        ),
        ["any-origin-with-credentials"]
    );
    // Several problems at once.
    let all = codes(
        CorsLayer::new()
            .allow_origin([
                HeaderValue::from_static("https://app.example.com/"),
                HeaderValue::from_static("*"),
            ])
            .max_age(Duration::from_secs(u64::MAX)),
    );
    assert!(all.len() >= 2, "{all:?}");
}

#[test]
fn the_layer_refuses_to_wrap_a_service_when_invalid() {
    let layer = CorsLayer::new().allow_origin(Any).allow_credentials(true);
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        layer.layer(service_fn(|_: Request<()>| async {
            Ok::<_, Infallible>(Response::new(String::new()))
        }))
    }))
    .expect_err("layer() must panic on an invalid configuration");
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(text.contains("invalid CORS configuration"), "{text}");
    assert!(text.contains("any-origin-with-credentials"), "{text}");
}

#[tokio::test]
async fn mirror_request_answers_star() {
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request());
    let res = call(&layer, get(Some("https://anyone.example"))).await;
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), ["*"]);
    let res = call(
        &layer,
        preflight(
            "https://anyone.example",
            "PURGE",
            Some("authorization, x-a"),
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), ["*"]);
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_METHODS), ["*"]);
    assert_eq!(
        values(&res, header::ACCESS_CONTROL_ALLOW_HEADERS),
        ["*, authorization"]
    );
}

#[tokio::test]
async fn credentials_echo_the_allowed_origin_and_list_methods() {
    let layer = app()
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers([header::CONTENT_TYPE])
        .expose_headers(ExposeHeaders::list([HeaderName::from_static(
            "x-request-id",
        )]))
        .max_age(Duration::from_secs(600));
    let res = call(&layer, get(Some(APP))).await;
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), [APP]);
    assert_eq!(
        values(&res, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        ["true"]
    );
    assert_eq!(
        values(&res, header::ACCESS_CONTROL_EXPOSE_HEADERS),
        ["x-request-id"]
    );
    let res = call(&layer, preflight(APP, "PUT", Some("content-type"))).await;
    assert_eq!(
        values(&res, header::ACCESS_CONTROL_ALLOW_METHODS),
        ["GET, PUT"]
    );
    assert_eq!(
        values(&res, header::ACCESS_CONTROL_ALLOW_HEADERS),
        ["content-type"]
    );
    assert_eq!(values(&res, header::ACCESS_CONTROL_MAX_AGE), ["600"]);
    // A header the policy does not list: refused (tower-http answers 200).
    let res = call(&layer, preflight(APP, "PUT", Some("x-other"))).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn private_network_preflights() {
    let layer = app().allow_private_network(AllowPrivateNetwork::yes());
    let mut req = preflight(APP, "GET", None);
    req.headers_mut().insert(
        "access-control-request-private-network",
        HeaderValue::from_static("true"),
    );
    let res = call(&layer, req).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        values(&res, "access-control-allow-private-network"),
        ["true"]
    );
    assert!(vary(&res).contains(&"access-control-request-private-network".to_owned()));
}

#[tokio::test]
async fn vary_adds_names_and_keeps_the_decisions_own() {
    let layer = app().vary([header::ACCEPT_ENCODING]);
    let res = call(&layer, get(Some(APP))).await;
    assert_eq!(vary(&res), ["origin", "accept-encoding"]);
    let res = call_with(&layer, get(None), vec![(header::VARY, "Accept-Encoding")]).await;
    assert_eq!(vary(&res), ["accept-encoding", "origin"]);
    // tower-http's `vary([])` drops Origin; here it cannot.
    let res = call(&app().vary([]), get(Some(APP))).await;
    assert_eq!(vary(&res), ["origin"]);
}

#[tokio::test]
async fn a_predicate_sees_the_origin_and_the_request_parts() {
    let layer = CorsLayer::new().allow_origin(AllowOrigin::predicate(
        |origin: &HeaderValue, parts: &Parts| {
            origin.as_bytes().ends_with(b".example.com") && parts.uri.path() == "/things"
        },
    ));
    let res = call(&layer, get(Some(APP))).await;
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), [APP]);
    let res = call(&layer, get(Some("https://app.example.org"))).await;
    assert!(res
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    // An origin core refuses as malformed never reaches the predicate.
    let layer =
        CorsLayer::new().allow_origin(AllowOrigin::predicate(|_: &HeaderValue, _: &Parts| true));
    let res = call(&layer, get(Some("https://app.example.com/path"))).await;
    assert!(res
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
}

#[tokio::test]
async fn an_async_predicate_is_awaited_only_when_asked() {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let layer =
        CorsLayer::new()
            .allow_methods([Method::PUT])
            .allow_origin(AllowOrigin::async_predicate(
                move |origin: HeaderValue, _parts: &Parts| {
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        origin == APP
                    }
                },
            ));
    let res = call(&layer, get(Some(APP))).await;
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), [APP]);
    assert_eq!(res.body(), "inner");
    let res = call(&layer, get(Some("https://evil.example"))).await;
    assert!(res
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    let res = call(&layer, preflight(APP, "PUT", None)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(values(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), [APP]);
    assert_eq!(asked.load(Ordering::SeqCst), 3);
    // No Origin, or a malformed one: the predicate is not asked.
    call(&layer, get(None)).await;
    call(&layer, get(Some("null"))).await;
    assert_eq!(asked.load(Ordering::SeqCst), 3);
    // The answer decides the preflight, whatever else it asks.
    assert_eq!(
        call(&layer, preflight(APP, "DELETE", None)).await.status(),
        403
    );
    assert_eq!(
        call(&layer, preflight("https://evil.example", "PUT", None))
            .await
            .status(),
        403
    );
}
