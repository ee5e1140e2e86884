//! `corsgate::actix::Cors`: actix-cors's builder, the behaviours it keeps,
//! the same application compiled against actix-cors and corsgate, and each
//! deliberate difference (the table in bindings/rust/README.md).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::test::{call_service, init_service, TestRequest};
use actix_web::{web, App, HttpResponse};

/// An application's CORS set-up, written against actix-cors's API.
macro_rules! application {
    () => {
        use actix_web::http::header;

        pub fn credentialed() -> Cors {
            Cors::default()
                .allowed_origin("https://app.example.com")
                .allowed_origin("https://admin.example.com")
                .allowed_methods(vec!["GET", "POST", "PUT"])
                .allowed_headers(vec![header::CONTENT_TYPE, header::AUTHORIZATION])
                .allowed_header(header::ACCEPT)
                .expose_headers(vec!["x-request-id"])
                .supports_credentials()
                .max_age(3600)
        }

        pub fn public() -> Cors {
            Cors::default()
                .allow_any_origin()
                .allow_any_method()
                .send_wildcard()
        }

        pub fn by_fn() -> Cors {
            Cors::default()
                .allowed_origin_fn(|origin, _head| origin.as_bytes().ends_with(b".example.com"))
        }
    };
}

mod peer {
    use actix_cors::Cors;
    application!();
}

mod ours {
    use corsgate::actix::Cors;
    application!();
}

async fn handler() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::VARY, "Accept-Encoding"))
        .body("inner")
}

async fn failing() -> Result<HttpResponse, actix_web::Error> {
    Err(actix_web::error::ErrorInternalServerError("inner failed"))
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    actix_web::rt::System::new().block_on(f)
}

type Answer = (u16, Vec<(String, String)>, bool);

/// Status, CORS and Vary headers, and whether the handler ran (a macro:
/// the two crates' middleware types share no trait a function could name).
macro_rules! ask {
    ($cors:expr, $method:expr, $headers:expr $(,)?) => {{
        let app = init_service(
            App::new()
                .wrap($cors)
                .route("/", web::to(handler))
                .route("/fail", web::to(failing)),
        )
        .await;
        let headers: &[(&str, &str)] = $headers;
        let path = headers
            .iter()
            .find(|(n, _)| *n == "path")
            .map_or("/", |(_, v)| *v);
        let mut req = TestRequest::default().method($method).uri(path);
        for (n, v) in headers.iter().filter(|(n, _)| *n != "path") {
            req = req.insert_header((*n, *v));
        }
        let res = call_service(&app, req.to_request()).await;
        let status = res.status().as_u16();
        let mut lines: Vec<(String, String)> = res
            .headers()
            .iter()
            .filter(|(n, _)| n.as_str().starts_with("access-control-") || *n == header::VARY)
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        lines.sort();
        let body = actix_web::body::to_bytes(res.into_body()).await.ok();
        let inner = body.is_some_and(|b| b.as_ref() == b"inner");
        let answer: Answer = (status, lines, inner);
        answer
    }};
}

fn get<'a>(lines: &'a [(String, String)], name: &str) -> Option<&'a str> {
    lines
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

const APP: (&str, &str) = ("origin", "https://app.example.com");
const EVIL: (&str, &str) = ("origin", "https://evil.example");

#[test]
fn the_same_application_answers_alike_where_actix_cors_is_right() {
    run(async {
        for headers in [vec![APP], vec![EVIL], vec![]] {
            let theirs = ask!(peer::credentialed(), Method::GET, &headers);
            let mine = ask!(ours::credentialed(), Method::GET, &headers);
            assert_eq!(theirs.0, mine.0, "{headers:?}");
            assert_eq!(theirs.2, mine.2, "{headers:?}");
            let origin = "access-control-allow-origin";
            assert_eq!(get(&theirs.1, origin), get(&mine.1, origin), "{headers:?}");
            // To a refused origin actix-cors still sends its credentials
            // header; corsgate sends none, which the browser reads the same.
            let credentials = "access-control-allow-credentials";
            if get(&theirs.1, origin).is_some() {
                assert_eq!(get(&theirs.1, credentials), get(&mine.1, credentials));
            } else {
                assert_eq!(get(&mine.1, credentials), None);
            }
        }
        let preflight = [
            APP,
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type"),
        ];
        let theirs = ask!(peer::credentialed(), Method::OPTIONS, &preflight);
        let mine = ask!(ours::credentialed(), Method::OPTIONS, &preflight);
        assert_eq!((theirs.0, mine.0), (200, 200));
        assert!(!mine.2, "a preflight never reaches the handler");
        for name in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-max-age",
        ] {
            assert_eq!(get(&theirs.1, name), get(&mine.1, name), "{name}");
        }
        assert_eq!(
            get(&mine.1, "access-control-allow-headers"),
            Some("content-type, authorization, accept")
        );

        let any = ask!(ours::public(), Method::GET, &[EVIL]);
        assert_eq!(get(&any.1, "access-control-allow-origin"), Some("*"));
        let theirs = ask!(peer::public(), Method::GET, &[EVIL]);
        assert_eq!(get(&theirs.1, "access-control-allow-origin"), Some("*"));

        for headers in [vec![("origin", "https://x.example.com")], vec![EVIL]] {
            let theirs = ask!(peer::by_fn(), Method::GET, &headers);
            let mine = ask!(ours::by_fn(), Method::GET, &headers);
            assert_eq!(
                get(&theirs.1, "access-control-allow-origin"),
                get(&mine.1, "access-control-allow-origin")
            );
        }
    });
}

#[test]
fn a_refused_preflight_is_403_where_actix_cors_says_400() {
    run(async {
        let refused = [EVIL, ("access-control-request-method", "PUT")];
        let theirs = ask!(peer::credentialed(), Method::OPTIONS, &refused);
        let mine = ask!(ours::credentialed(), Method::OPTIONS, &refused);
        assert_eq!(theirs.0, 400);
        assert_eq!(mine.0, 403);
        assert!(get(&mine.1, "access-control-allow-origin").is_none());
    });
}

#[test]
fn vary_is_merged_and_cors_headers_replaced() {
    run(async {
        let (_, lines, inner) = ask!(ours::credentialed(), Method::GET, &[APP]);
        assert!(inner);
        let vary: Vec<&str> = lines
            .iter()
            .filter(|(n, _)| n == "vary")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(vary, ["Accept-Encoding", "Origin"]);
        // disable_vary_header changes nothing: the response depends on Origin.
        let (_, lines, _) = ask!(
            ours::credentialed().disable_vary_header(),
            Method::GET,
            &[EVIL],
        );
        assert!(lines.iter().any(|(n, v)| n == "vary" && v == "Origin"));
    });
}

#[test]
fn an_inner_error_gets_the_cors_headers_too() {
    run(async {
        let (status, lines, _) = ask!(ours::credentialed(), Method::GET, &[APP, ("path", "/fail")]);
        assert_eq!(status, 500);
        assert_eq!(get(&lines, "access-control-allow-origin"), Some(APP.1));
    });
}

#[test]
fn block_on_origin_mismatch_answers_400_without_the_handler() {
    run(async {
        let cors = ours::credentialed().block_on_origin_mismatch(true);
        let (status, lines, inner) = ask!(cors, Method::GET, &[EVIL]);
        assert_eq!(status, 400);
        assert!(!inner);
        assert!(get(&lines, "access-control-allow-origin").is_none());
        // Without it (actix-cors 0.7's default) the handler runs, without CORS headers.
        let (status, _, inner) = ask!(ours::credentialed(), Method::GET, &[EVIL]);
        assert_eq!((status, inner), (200, true));
    });
}

#[test]
fn disable_preflight_passes_preflights_to_the_application() {
    run(async {
        let preflight = [APP, ("access-control-request-method", "PUT")];
        let (status, lines, inner) = ask!(
            ours::credentialed().disable_preflight(),
            Method::OPTIONS,
            &preflight,
        );
        assert_eq!((status, inner), (200, true));
        assert_eq!(
            get(&lines, "access-control-allow-methods"),
            Some("GET, POST, PUT")
        );
    });
}

#[test]
fn insecure_combinations_are_refused_when_built() {
    let codes = |c: corsgate::actix::Cors| -> Vec<String> {
        c.build()
            .expect_err("must not build")
            .problems()
            .iter()
            .map(|p| p.code.to_string())
            .collect()
    };
    assert!(codes(corsgate::actix::Cors::permissive())
        .contains(&"any-origin-with-credentials".to_owned()));
    assert_eq!(
        codes(
            corsgate::actix::Cors::default()
                .allow_any_origin()
                .supports_credentials()
        ),
        ["any-origin-with-credentials"]
    );
    assert_eq!(
        codes(corsgate::actix::Cors::default().allowed_origin("https://app.example.com/")),
        ["invalid-origin"]
    );
    let _ = HeaderValue::from_static("x");
}

#[test]
fn an_invalid_middleware_does_not_start() {
    run(async {
        use actix_web::dev::Transform;
        let cors = corsgate::actix::Cors::default()
            .allow_any_origin()
            .supports_credentials();
        let inner = actix_web::dev::fn_service(|req: actix_web::dev::ServiceRequest| async move {
            Ok::<_, actix_web::Error>(req.into_response(HttpResponse::Ok().finish()))
        });
        assert!(cors.new_transform(inner).await.is_err());
    });
}
