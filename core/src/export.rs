//! One policy written out as AWS's own CORS configurations: an S3 bucket's
//! `CORSConfiguration`, an API Gateway HTTP API's `CorsConfiguration`, the
//! OPTIONS integration response of a REST API, and a CloudFront response
//! headers policy's `CorsConfig`.
//!
//! Each target expresses less than a policy. What it cannot express exactly
//! is a [`Loss`] naming the policy key, the value and what the target would
//! do instead; [`export`] returns the document together with every loss, and
//! the caller decides whether a lossy document may be used. Nothing is
//! dropped silently. [`import_s3`] reads a bucket's rules back into a policy.

use serde_json::{json, Map, Value};

use crate::PolicyConfig;

/// Where a policy is exported to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// S3 `PutBucketCors`: `{"CORSRules": [...]}`.
    S3,
    /// API Gateway HTTP API `CreateApi`/`UpdateApi`: `CorsConfiguration`.
    ApiGatewayHttp,
    /// API Gateway REST API: the OPTIONS method's `PutMethodResponse` and
    /// mock `PutIntegrationResponse` parameters.
    ApiGatewayRest,
    /// CloudFront `CreateResponseHeadersPolicy`: `ResponseHeadersPolicyConfig.CorsConfig`.
    CloudFront,
}

impl Target {
    /// Every target, in the order of the CLI's `--to` values.
    pub const ALL: [Target; 4] = [
        Target::S3,
        Target::ApiGatewayHttp,
        Target::ApiGatewayRest,
        Target::CloudFront,
    ];

    /// The CLI's name for it: `s3`, `apigateway-http`, `apigateway-rest`, `cloudfront`.
    pub fn name(self) -> &'static str {
        match self {
            Target::S3 => "s3",
            Target::ApiGatewayHttp => "apigateway-http",
            Target::ApiGatewayRest => "apigateway-rest",
            Target::CloudFront => "cloudfront",
        }
    }

    /// The target named `name`, if any.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    fn label(self) -> &'static str {
        match self {
            Target::S3 => "S3",
            Target::ApiGatewayHttp => "API Gateway HTTP API",
            Target::ApiGatewayRest => "API Gateway REST API",
            Target::CloudFront => "CloudFront",
        }
    }
}

/// Something the target cannot express exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    /// The policy key (`origins`, `methods`, `credentials`, ...).
    pub key: &'static str,
    /// The value the target cannot express.
    pub value: String,
    /// What the target does instead, and what to change.
    pub message: String,
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` = {}: {}", self.key, self.value, self.message)
    }
}

/// A target's document and every loss in it.
#[derive(Clone, Debug)]
pub struct Export {
    /// The document as the target's API (and its console) takes it.
    pub document: Value,
    /// What the document does not express exactly; empty when it is exact.
    pub losses: Vec<Loss>,
}

/// Methods S3 rules accept.
const S3_METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];
/// Methods a CloudFront response headers policy accepts (besides `ALL`).
const CLOUDFRONT_METHODS: [&str; 7] = ["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD"];
/// The CORS-safelisted methods, which every preflight allows (Fetch).
const SIMPLE_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

struct Writer {
    target: Target,
    losses: Vec<Loss>,
}

impl Writer {
    fn lose(&mut self, key: &'static str, value: impl Into<String>, message: impl Into<String>) {
        self.losses.push(Loss {
            key,
            value: value.into(),
            message: message.into(),
        });
    }
}

fn quoted(value: &str) -> String {
    format!("\"{value}\"")
}

fn list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| quoted(v)).collect();
    format!("[{}]", items.join(", "))
}

fn is_any(values: &[String]) -> bool {
    values.len() == 1 && values[0] == "*"
}

/// A pattern's shape: (subdomain wildcard, port wildcard).
fn wildcards(origin: &str) -> (bool, bool) {
    (origin.contains("://*."), origin.ends_with(":*"))
}

/// What every target loses the same way.
fn common(config: &PolicyConfig, w: &mut Writer) {
    let target = w.target.label();
    if config.private_network.allow {
        w.lose(
            "private_network.allow",
            "true",
            format!(
                "{target} cannot answer Private Network Access preflights; it would send no \
                 Access-Control-Allow-Private-Network, so browsers that check it refuse"
            ),
        );
    }
    if config.credentials && w.target != Target::S3 {
        for (key, values) in [
            ("methods", &config.methods),
            ("request_headers", &config.request_headers),
        ] {
            if values.iter().any(|v| v == "*") {
                w.lose(
                    key,
                    list(values),
                    format!(
                        "with credentials, corsgate echoes the requested names for `*`; {target} \
                         sends a literal `*`, which a credentialed preflight reads as a name, not \
                         a wildcard (Fetch); list the names instead"
                    ),
                );
            }
        }
    }
    if config.request_headers.iter().any(|h| h == "*")
        && !config
            .request_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("authorization"))
    {
        w.lose(
            "request_headers",
            list(&config.request_headers),
            format!(
                "corsgate's `*` allows every name but `authorization` (Fetch requires it by \
                 name); {target}'s `*` would allow `authorization` too; add \"authorization\" \
                 to allow it, or list the names"
            ),
        );
    }
}

/// The policy's methods plus GET, HEAD and POST, as the targets that check
/// every request's method need them.
fn with_simple(methods: &[String]) -> Vec<String> {
    let mut out: Vec<String> = SIMPLE_METHODS.iter().map(|m| (*m).to_owned()).collect();
    for m in methods {
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    out
}

fn s3(config: &PolicyConfig, w: &mut Writer) -> Value {
    let mut rule = Map::new();
    let any_origin = is_any(&config.origins);
    let mut origins = Vec::new();
    for origin in &config.origins {
        match wildcards(origin) {
            (true, true) => w.lose(
                "origins",
                quoted(origin),
                "an S3 origin may hold one `*`; this pattern needs two (subdomain and port); \
                 list the ports, or the subdomains, instead",
            ),
            (false, true) => {
                // `:*` also matches no port at all (SPEC §3): both spellings.
                origins.push(Value::from(origin.as_str()));
                origins.push(Value::from(&origin[..origin.len() - 2]));
            }
            _ => origins.push(Value::from(origin.as_str())),
        }
    }
    if !config.credentials && !any_origin {
        w.lose(
            "credentials",
            "false",
            "S3 sends Access-Control-Allow-Credentials: true to every listed origin; set \
             `credentials = true` if that is meant, or `origins = [\"*\"]` for a public bucket",
        );
    }
    let methods: Vec<String> = if is_any(&config.methods) {
        w.lose(
            "methods",
            "[\"*\"]",
            "S3 allows only GET, PUT, POST, DELETE and HEAD; exported as those five",
        );
        S3_METHODS.iter().map(|m| (*m).to_owned()).collect()
    } else {
        let mut out = Vec::new();
        for m in with_simple(&config.methods) {
            if S3_METHODS.contains(&m.as_str()) {
                out.push(m);
            } else {
                w.lose(
                    "methods",
                    quoted(&m),
                    format!(
                        "S3 allows only GET, PUT, POST, DELETE and HEAD; the bucket would \
                         refuse a {m} preflight; drop it"
                    ),
                );
            }
        }
        out
    };
    if !config.request_headers.is_empty() {
        rule.insert("AllowedHeaders".into(), json!(config.request_headers));
    }
    rule.insert("AllowedMethods".into(), json!(methods));
    rule.insert("AllowedOrigins".into(), Value::Array(origins));
    if is_any(&config.expose_headers) {
        w.lose(
            "expose_headers",
            "[\"*\"]",
            "S3 exposes only the header names listed; list them instead",
        );
    } else if !config.expose_headers.is_empty() {
        rule.insert("ExposeHeaders".into(), json!(config.expose_headers));
    }
    if let Some(age) = config.max_age {
        rule.insert("MaxAgeSeconds".into(), json!(age));
    }
    if config.refused_preflight_status != 403 {
        w.lose(
            "refused_preflight_status",
            config.refused_preflight_status.to_string(),
            "S3 answers a refused preflight with 403",
        );
    }
    json!({ "CORSRules": [Value::Object(rule)] })
}

fn exact_origins(config: &PolicyConfig, w: &mut Writer) -> Vec<String> {
    let target = w.target.label();
    let mut out = Vec::new();
    for origin in &config.origins {
        if origin != "*" && wildcards(origin) != (false, false) {
            w.lose(
                "origins",
                quoted(origin),
                format!(
                    "{target} takes exact origins or `*`, not patterns; it would refuse every \
                     origin this pattern matches; list them"
                ),
            );
        } else {
            out.push(origin.clone());
        }
    }
    out
}

fn apigateway_http(config: &PolicyConfig, w: &mut Writer) -> Value {
    let mut cors = Map::new();
    cors.insert("AllowCredentials".into(), json!(config.credentials));
    if !config.request_headers.is_empty() {
        cors.insert("AllowHeaders".into(), json!(config.request_headers));
    }
    if !config.methods.is_empty() {
        cors.insert("AllowMethods".into(), json!(config.methods));
    }
    cors.insert("AllowOrigins".into(), json!(exact_origins(config, w)));
    if !config.expose_headers.is_empty() {
        cors.insert("ExposeHeaders".into(), json!(config.expose_headers));
    }
    if let Some(age) = config.max_age {
        cors.insert("MaxAge".into(), json!(age));
    }
    json!({ "CorsConfiguration": Value::Object(cors) })
}

fn apigateway_rest(config: &PolicyConfig, w: &mut Writer) -> Value {
    let origins = exact_origins(config, w);
    if origins.len() > 1 {
        w.lose(
            "origins",
            list(&config.origins),
            "a REST API's mock OPTIONS integration sends one fixed Access-Control-Allow-Origin; \
             with several origins exported it would send the first to every caller; answer \
             preflights in the function (the Lambda wrapper) instead",
        );
    }
    let mut headers: Vec<(&str, String)> = Vec::new();
    if let Some(origin) = origins.first() {
        headers.push(("Access-Control-Allow-Origin", origin.clone()));
    }
    if config.credentials {
        headers.push(("Access-Control-Allow-Credentials", "true".into()));
    }
    let methods = if config.methods.is_empty() {
        with_simple(&[])
    } else {
        config.methods.clone()
    };
    headers.push(("Access-Control-Allow-Methods", methods.join(",")));
    if !config.request_headers.is_empty() {
        headers.push((
            "Access-Control-Allow-Headers",
            config.request_headers.join(","),
        ));
    }
    if let Some(age) = config.max_age {
        headers.push(("Access-Control-Max-Age", age.to_string()));
    }
    if origins.first().is_some_and(|o| o != "*") {
        headers.push((
            "Vary",
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers".into(),
        ));
    }
    if !config.expose_headers.is_empty() {
        w.lose(
            "expose_headers",
            list(&config.expose_headers),
            "Access-Control-Expose-Headers belongs on actual responses, which the OPTIONS \
             integration does not produce; send it from the function (the Lambda wrapper does)",
        );
    }
    let status = config.preflight_status.to_string();
    let mut method_params = Map::new();
    let mut integration_params = Map::new();
    for (name, value) in &headers {
        let key = format!("method.response.header.{name}");
        method_params.insert(key.clone(), json!(false));
        // Static values in an integration response are single-quoted.
        integration_params.insert(key, json!(format!("'{value}'")));
    }
    json!({
        "PutMethod": {"httpMethod": "OPTIONS", "authorizationType": "NONE"},
        "PutIntegration": {
            "httpMethod": "OPTIONS",
            "type": "MOCK",
            "requestTemplates": {"application/json": format!("{{\"statusCode\": {status}}}")},
        },
        "PutMethodResponse": {
            "httpMethod": "OPTIONS",
            "statusCode": status,
            "responseParameters": Value::Object(method_params),
        },
        "PutIntegrationResponse": {
            "httpMethod": "OPTIONS",
            "statusCode": status,
            "responseParameters": Value::Object(integration_params),
            "responseTemplates": {"application/json": ""},
        },
    })
}

fn items(values: Vec<Value>) -> Value {
    json!({ "Quantity": values.len(), "Items": values })
}

fn cloudfront(config: &PolicyConfig, w: &mut Writer) -> Value {
    let origins: Vec<Value> = exact_origins(config, w)
        .into_iter()
        .map(Value::from)
        .collect();
    let methods: Vec<Value> = if is_any(&config.methods) {
        vec![json!("ALL")]
    } else {
        let mut out = Vec::new();
        for m in with_simple(&config.methods) {
            if CLOUDFRONT_METHODS.contains(&m.as_str()) {
                out.push(Value::from(m));
            } else {
                w.lose(
                    "methods",
                    quoted(&m),
                    format!(
                        "CloudFront allows only GET, POST, OPTIONS, PUT, DELETE, PATCH, HEAD or \
                         ALL; it would not list {m}, so browsers refuse its preflight"
                    ),
                );
            }
        }
        out
    };
    let mut cors = Map::new();
    cors.insert("AccessControlAllowOrigins".into(), items(origins));
    cors.insert(
        "AccessControlAllowHeaders".into(),
        items(config.request_headers.iter().map(|h| json!(h)).collect()),
    );
    cors.insert("AccessControlAllowMethods".into(), items(methods));
    cors.insert(
        "AccessControlAllowCredentials".into(),
        json!(config.credentials),
    );
    if !config.expose_headers.is_empty() {
        cors.insert(
            "AccessControlExposeHeaders".into(),
            items(config.expose_headers.iter().map(|h| json!(h)).collect()),
        );
    }
    if let Some(age) = config.max_age {
        cors.insert("AccessControlMaxAgeSec".into(), json!(age));
    }
    // The policy's headers replace the origin's (SPEC §5).
    cors.insert("OriginOverride".into(), json!(true));
    json!({
        "ResponseHeadersPolicyConfig": {
            "Name": "corsgate",
            "Comment": "exported by corsgate",
            "CorsConfig": Value::Object(cors),
        }
    })
}

/// `config` as `target`'s document, with every loss.
pub fn export(config: &PolicyConfig, target: Target) -> Export {
    let mut w = Writer {
        target,
        losses: Vec::new(),
    };
    common(config, &mut w);
    let document = match target {
        Target::S3 => s3(config, &mut w),
        Target::ApiGatewayHttp => apigateway_http(config, &mut w),
        Target::ApiGatewayRest => apigateway_rest(config, &mut w),
        Target::CloudFront => cloudfront(config, &mut w),
    };
    Export {
        document,
        losses: w.losses,
    }
}

/// Why an S3 document cannot be read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// Where in the document (`CORSRules[1].AllowedOrigins`).
    pub at: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

fn strings(
    rule: &Map<String, Value>,
    key: &str,
    at: &str,
    errors: &mut Vec<ImportError>,
) -> Vec<String> {
    match rule.get(key) {
        None => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                other => {
                    errors.push(ImportError {
                        at: format!("{at}.{key}"),
                        message: format!("expected strings, found {other}"),
                    });
                    None
                }
            })
            .collect(),
        Some(other) => {
            errors.push(ImportError {
                at: format!("{at}.{key}"),
                message: format!("expected a list of strings, found {other}"),
            });
            Vec::new()
        }
    }
}

/// A bucket's `CORSConfiguration` (`{"CORSRules": [...]}`, or the bare list
/// the console shows) as SPEC §2 policy data, to be built and linted like
/// any policy. One rule per policy: several rules become routes-free
/// separate policies only by hand, so more than one rule is an error that
/// says so. Every problem is reported at once.
pub fn import_s3(document: &Value) -> Result<Value, Vec<ImportError>> {
    let mut errors = Vec::new();
    let rules = match document {
        Value::Array(rules) => rules,
        Value::Object(map) => match map.get("CORSRules") {
            Some(Value::Array(rules)) => rules,
            _ => {
                return Err(vec![ImportError {
                    at: "CORSRules".into(),
                    message:
                        "expected {\"CORSRules\": [...]}, as `aws s3api get-bucket-cors` prints it"
                            .into(),
                }])
            }
        },
        _ => {
            return Err(vec![ImportError {
                at: "(document)".into(),
                message: "expected a JSON object with CORSRules, or the list of rules".into(),
            }])
        }
    };
    if rules.len() != 1 {
        return Err(vec![ImportError {
            at: "CORSRules".into(),
            message: format!(
                "{} rules; a policy holds one rule's origins, methods and headers: merge them \
                 into one rule, or import each rule from its own file",
                rules.len()
            ),
        }]);
    }
    let Value::Object(rule) = &rules[0] else {
        return Err(vec![ImportError {
            at: "CORSRules[0]".into(),
            message: "expected an object".into(),
        }]);
    };
    let at = "CORSRules[0]";
    for key in rule.keys() {
        if !matches!(
            key.as_str(),
            "ID" | "AllowedHeaders"
                | "AllowedMethods"
                | "AllowedOrigins"
                | "ExposeHeaders"
                | "MaxAgeSeconds"
        ) {
            errors.push(ImportError {
                at: format!("{at}.{key}"),
                message: "not an S3 CORS rule key (ID, AllowedHeaders, AllowedMethods, AllowedOrigins, ExposeHeaders, MaxAgeSeconds)".into(),
            });
        }
    }
    let origins = strings(rule, "AllowedOrigins", at, &mut errors);
    let methods = strings(rule, "AllowedMethods", at, &mut errors);
    let headers = strings(rule, "AllowedHeaders", at, &mut errors);
    let expose = strings(rule, "ExposeHeaders", at, &mut errors);
    let mut policy = Map::new();
    let any = origins.iter().any(|o| o == "*");
    // `http://localhost:*` with `http://localhost` is one SPEC pattern.
    let mut merged: Vec<String> = Vec::new();
    for origin in &origins {
        let bare = format!("{origin}:*");
        if origins.contains(&bare) {
            continue;
        }
        merged.push(origin.clone());
    }
    policy.insert(
        "origins".into(),
        json!(if any { vec!["*".to_owned()] } else { merged }),
    );
    // S3 sends credentials to every listed origin.
    policy.insert("credentials".into(), json!(!any));
    let extra: Vec<&String> = methods
        .iter()
        .filter(|m| !SIMPLE_METHODS.contains(&m.as_str()))
        .collect();
    if !extra.is_empty() {
        policy.insert("methods".into(), json!(extra));
    }
    if !headers.is_empty() {
        let mut headers = headers;
        // S3's `*` includes authorization; corsgate's needs it by name.
        if headers.iter().any(|h| h == "*")
            && !headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case("authorization"))
        {
            headers.push("authorization".into());
        }
        policy.insert("request_headers".into(), json!(headers));
    }
    if !expose.is_empty() {
        policy.insert("expose_headers".into(), json!(expose));
    }
    match rule.get("MaxAgeSeconds") {
        None => {}
        Some(Value::Number(n)) if n.is_i64() => {
            policy.insert("max_age".into(), json!(n));
        }
        Some(other) => errors.push(ImportError {
            at: format!("{at}.MaxAgeSeconds"),
            message: format!("expected a whole number of seconds, found {other}"),
        }),
    }
    if errors.is_empty() {
        Ok(Value::Object(policy))
    } else {
        Err(errors)
    }
}
