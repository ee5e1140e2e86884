//! The same axum application, compiled twice: once with
//! `use tower_http::cors::...`, once with `use corsgate::tower::...`. Both
//! compile from the one source, and answer the browser the same way where
//! tower-http is right; where they differ, the difference is in
//! bindings/rust/README.md's table.

use axum::http::{header, HeaderName, Method, Request};
use axum::Router;
use tower::ServiceExt;

/// An application's CORS set-up, written against tower-http's API.
macro_rules! application {
    () => {
        use std::time::Duration;

        use axum::http::request::Parts as RequestParts;
        use axum::http::{header, HeaderName, HeaderValue, Method};
        use axum::routing::get;
        use axum::Router;

        pub fn credentialed() -> CorsLayer {
            CorsLayer::new()
                .allow_origin([
                    HeaderValue::from_static("https://app.example.com"),
                    HeaderValue::from_static("https://admin.example.com"),
                ])
                .allow_methods([Method::GET, Method::POST, Method::PUT])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
                .expose_headers([HeaderName::from_static("x-request-id")])
                .allow_credentials(true)
                .max_age(Duration::from_secs(3600))
        }

        pub fn public() -> CorsLayer {
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods(Any)
                .allow_headers(Any)
        }

        pub fn by_predicate() -> CorsLayer {
            CorsLayer::new().allow_origin(AllowOrigin::predicate(
                |origin: &HeaderValue, _parts: &RequestParts| {
                    origin.as_bytes().ends_with(b".example.com")
                },
            ))
        }

        pub fn by_lookup() -> CorsLayer {
            CorsLayer::new().allow_origin(AllowOrigin::async_predicate(
                |origin: HeaderValue, _parts: &RequestParts| async move {
                    origin == "https://app.example.com"
                },
            ))
        }

        pub fn router(cors: CorsLayer) -> Router {
            Router::new().route("/", get(|| async { "ok" })).layer(cors)
        }
    };
}

mod peer {
    use tower_http::cors::{AllowOrigin, Any, CorsLayer};
    application!();
}

mod ours {
    use corsgate::tower::{AllowOrigin, Any, CorsLayer};
    application!();
}

async fn send(app: Router, method: Method, headers: &[(&str, &str)]) -> axum::response::Response {
    let mut req = Request::builder().method(method).uri("/");
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    app.oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap()
}

fn header_of(res: &axum::response::Response, name: HeaderName) -> Option<&str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

const CORS: [HeaderName; 5] = [
    header::ACCESS_CONTROL_ALLOW_ORIGIN,
    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
    header::ACCESS_CONTROL_ALLOW_METHODS,
    header::ACCESS_CONTROL_ALLOW_HEADERS,
    header::ACCESS_CONTROL_EXPOSE_HEADERS,
];

/// Both answer `headers` alike: the same status and origin verdict, and
/// when the origin is allowed, the same CORS header values. (To a refused
/// origin tower-http still sends its credentials and expose headers;
/// corsgate sends no CORS header, which the browser reads the same way.)
async fn alike(
    layers: (tower_http::cors::CorsLayer, corsgate::tower::CorsLayer),
    method: Method,
    headers: &[(&str, &str)],
) {
    let theirs = send(peer::router(layers.0), method.clone(), headers).await;
    let mine = send(ours::router(layers.1), method, headers).await;
    assert_eq!(theirs.status(), mine.status(), "{headers:?}");
    let allowed = header_of(&theirs, header::ACCESS_CONTROL_ALLOW_ORIGIN).is_some();
    for name in CORS {
        if allowed {
            assert_eq!(
                header_of(&theirs, name.clone()),
                header_of(&mine, name.clone()),
                "{name} for {headers:?}"
            );
        } else {
            assert_eq!(
                header_of(&mine, name.clone()),
                None,
                "{name} for {headers:?}"
            );
        }
    }
    assert_eq!(
        header_of(&theirs, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        header_of(&mine, header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}

#[tokio::test]
async fn the_same_application_behaves_the_same_where_tower_http_is_right() {
    let app = [("origin", "https://app.example.com")];
    let other = [("origin", "https://evil.example")];
    alike(
        (peer::credentialed(), ours::credentialed()),
        Method::GET,
        &app,
    )
    .await;
    alike(
        (peer::credentialed(), ours::credentialed()),
        Method::GET,
        &other,
    )
    .await;
    alike(
        (peer::credentialed(), ours::credentialed()),
        Method::GET,
        &[],
    )
    .await;
    alike((peer::public(), ours::public()), Method::GET, &other).await;
    alike(
        (peer::by_predicate(), ours::by_predicate()),
        Method::GET,
        &app,
    )
    .await;
    alike(
        (peer::by_predicate(), ours::by_predicate()),
        Method::GET,
        &other,
    )
    .await;
    alike((peer::by_lookup(), ours::by_lookup()), Method::GET, &app).await;
    alike((peer::by_lookup(), ours::by_lookup()), Method::GET, &other).await;

    let preflight = [
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "PUT"),
        ("access-control-request-headers", "content-type"),
    ];
    let theirs = send(
        peer::router(peer::credentialed()),
        Method::OPTIONS,
        &preflight,
    )
    .await;
    let mine = send(
        ours::router(ours::credentialed()),
        Method::OPTIONS,
        &preflight,
    )
    .await;
    assert_eq!(
        (theirs.status().as_u16(), mine.status().as_u16()),
        (200, 200)
    );
    for name in [
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        header::ACCESS_CONTROL_MAX_AGE,
    ] {
        assert_eq!(header_of(&theirs, name.clone()), header_of(&mine, name));
    }
    assert_eq!(
        header_of(&mine, header::ACCESS_CONTROL_ALLOW_METHODS),
        Some("GET, POST, PUT")
    );
}

#[tokio::test]
async fn where_tower_http_answers_a_refused_preflight_200_corsgate_answers_403() {
    let refused = [
        ("origin", "https://evil.example"),
        ("access-control-request-method", "PUT"),
    ];
    let theirs = send(
        peer::router(peer::credentialed()),
        Method::OPTIONS,
        &refused,
    )
    .await;
    let mine = send(
        ours::router(ours::credentialed()),
        Method::OPTIONS,
        &refused,
    )
    .await;
    assert_eq!(theirs.status(), 200);
    assert_eq!(mine.status(), 403);
    assert!(header_of(&theirs, header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    assert!(header_of(&mine, header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    // tower-http lists its methods to a refused origin; corsgate says nothing.
    assert!(header_of(&theirs, header::ACCESS_CONTROL_ALLOW_METHODS).is_some());
    assert!(header_of(&mine, header::ACCESS_CONTROL_ALLOW_METHODS).is_none());
}

#[test]
fn very_permissive_is_an_error_not_an_echo() {
    // tower-http echoes every origin with credentials; corsgate refuses to build it.
    assert!(corsgate::tower::CorsLayer::very_permissive()
        .build()
        .is_err());
    let _ = tower_http::cors::CorsLayer::very_permissive();
}
