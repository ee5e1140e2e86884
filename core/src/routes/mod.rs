//! Route-scoped policies: one policy file, several paths, each with its own
//! policy or none.
//!
//! ```toml
//! [policies.app]
//! origins = ["https://app.example.com"]
//! credentials = true
//!
//! [[routes]]
//! path = "/api/public/**"
//! policy = { origins = ["*"] }
//!
//! [[routes]]
//! path = "/admin/**"
//! policy = false          # not CORS: no headers at all
//!
//! [[routes]]
//! path = "/api/**"
//! policy = "app"
//! ```
//!
//! **The first route that matches wins**, in the file's order. That is how
//! Spring's `UrlBasedCorsConfigurationSource` reads its mappings and how
//! nginx reads regex locations; flask-cors sorts its resources longest
//! pattern first, which its binding does before writing routes here. First
//! match keeps the file the whole truth (nothing is reordered behind the
//! reader's back), and [`PolicySet::lint`] warns about a route an earlier
//! one shadows, the one way first match surprises.
//!
//! A path outside every route (or on a `policy = false` route) is not CORS:
//! the decision is [`Kind::NotCors`](crate::Kind::NotCors) with no headers
//! and no `Vary`, since which route answers depends on the path alone, never
//! on `Origin`. A file without `routes` is one policy for every path, as
//! before.
//!
//! Paths are compared after normalization (see the `path` module docs:
//! the URL Standard's path parsing, plus decoding of escaped unreserved
//! characters). A host passes the path its own router matches on, so the
//! CORS policy follows the handler that answers.

mod path;
mod pattern;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::{toml_to_json, POLICY_KEYS};
use crate::decide::Answer;
use crate::decision::Decision;
use crate::error::{ErrorCode, PolicyError, Problem, Warning, WarningCode};
use crate::policy::{Policy, PolicyBuilder};
use crate::request::Request;

use pattern::{Pattern, Table, NONE};

/// The top-level keys of a route file.
pub const ROUTE_FILE_KEYS: [&str; 2] = ["policies", "routes"];
/// The keys of one route.
pub const ROUTE_KEYS: [&str; 3] = ["path", "regex", "policy"];

/// One route of a [`PolicySet`]: a pattern and the policy it applies.
#[derive(Debug)]
pub struct Route {
    written: String,
    regex: bool,
    pattern: Option<Pattern>,
    policy: Option<Arc<Policy>>,
    policy_name: Option<String>,
    /// A regex route's DFA until it moves into the table.
    compiled: Option<pattern::Regex>,
}

impl Route {
    /// The pattern as written (`/api/**`, or the regex).
    pub fn pattern(&self) -> &str {
        &self.written
    }

    /// Whether the pattern is a regex.
    pub fn is_regex(&self) -> bool {
        self.regex
    }

    /// The route's policy; `None` for `policy = false` (not CORS).
    pub fn policy(&self) -> Option<&Arc<Policy>> {
        self.policy.as_ref()
    }

    /// The name of the route's policy in `policies`, if it names one.
    pub fn policy_name(&self) -> Option<&str> {
        self.policy_name.as_deref()
    }
}

/// Policies by path: what a policy file with `routes` compiles to, or a
/// single policy for every path. Immutable; share it across threads.
///
/// ```
/// use corsgate::{Kind, PolicySet, Request};
///
/// let set = PolicySet::from_toml(r#"
///     [[routes]]
///     path = "/api/public/**"
///     policy = { origins = ["*"] }
///
///     [[routes]]
///     path = "/api/**"
///     policy = { origins = ["https://app.example.com"], credentials = true }
/// "#)?;
///
/// let request = Request::new(b"GET").header(b"Origin", b"https://elsewhere.example");
/// assert!(set.decide(b"/api/public/feed", &request).allowed());
/// assert!(!set.decide(b"/api/account", &request).allowed());
/// assert_eq!(set.decide(b"/about", &request).kind(), Kind::NotCors);
/// # Ok::<(), corsgate::PolicyError>(())
/// ```
#[derive(Debug)]
pub struct PolicySet {
    /// A file without routes: this policy for every path.
    single: Option<Arc<Policy>>,
    routes: Vec<Route>,
    table: Table,
    /// Names in `policies` that no route uses.
    unused: Vec<String>,
}

impl From<Policy> for PolicySet {
    fn from(policy: Policy) -> Self {
        PolicySet::single(Arc::new(policy))
    }
}

impl From<Arc<Policy>> for PolicySet {
    fn from(policy: Arc<Policy>) -> Self {
        PolicySet::single(policy)
    }
}

impl PolicySet {
    /// One policy for every path.
    pub fn single(policy: Arc<Policy>) -> PolicySet {
        let pattern = Pattern::parse("/**").ok();
        let mut table = Table::new();
        if let Some(p) = &pattern {
            table.insert(0, p);
        }
        PolicySet {
            single: Some(policy.clone()),
            routes: vec![Route {
                written: "/**".into(),
                regex: false,
                pattern,
                policy: Some(policy),
                policy_name: None,
                compiled: None,
            }],
            table,
            unused: Vec::new(),
        }
    }

    /// Routes written in Rust.
    pub fn builder() -> PolicySetBuilder {
        PolicySetBuilder::default()
    }

    /// Parses a JSON policy file, with or without routes.
    pub fn from_json(text: &str) -> Result<PolicySet, PolicyError> {
        Self::from_json_with(text, &|_, b| b)
    }

    /// Parses a TOML policy file, with or without routes.
    pub fn from_toml(text: &str) -> Result<PolicySet, PolicyError> {
        Self::from_toml_with(text, &|_, b| b)
    }

    /// Reads a policy file from its JSON value tree.
    pub fn from_value(value: &Value) -> Result<PolicySet, PolicyError> {
        Self::from_value_with(value, &|_, b| b)
    }

    /// As [`from_json`](Self::from_json), with each policy's builder passed
    /// through `configure` first (to add an origin predicate, say).
    pub fn from_json_with(text: &str, configure: &Configure<'_>) -> Result<PolicySet, PolicyError> {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => Self::from_value_with(&v, configure),
            // The single-policy reader words syntax errors (and never builds).
            Err(_) => configure("", PolicyBuilder::from_json(text))
                .build()
                .map(PolicySet::from),
        }
    }

    /// As [`from_toml`](Self::from_toml), with each policy's builder passed
    /// through `configure` first.
    pub fn from_toml_with(text: &str, configure: &Configure<'_>) -> Result<PolicySet, PolicyError> {
        match toml::from_str::<toml::Table>(text) {
            Ok(t) => Self::from_value_with(&toml_to_json(toml::Value::Table(t)), configure),
            Err(_) => configure("", PolicyBuilder::from_toml(text))
                .build()
                .map(PolicySet::from),
        }
    }

    /// As [`from_value`](Self::from_value), with each policy's builder
    /// passed through `configure` first.
    pub fn from_value_with(
        value: &Value,
        configure: &Configure<'_>,
    ) -> Result<PolicySet, PolicyError> {
        match value.as_object() {
            Some(table) if is_route_file(table) => read_route_file(table, configure),
            _ => {
                let policy = configure("", PolicyBuilder::from_value(value)).build()?;
                Ok(PolicySet::from(policy))
            }
        }
    }

    /// Whether the file had no routes: one policy for every path.
    pub fn as_single(&self) -> Option<&Arc<Policy>> {
        self.single.as_ref()
    }

    /// The routes, in matching order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route that answers `path` (the raw request path; a query is
    /// ignored), if any.
    #[inline]
    pub fn route(&self, path: &[u8]) -> Option<&Route> {
        self.route_index(path).map(|i| &self.routes[i])
    }

    /// The index in [`routes`](Self::routes) of the route that answers
    /// `path`, if any.
    #[inline]
    pub fn route_index(&self, path: &[u8]) -> Option<usize> {
        if self.single.is_some() {
            return Some(0);
        }
        let index = path::with_normalized(path, NONE, |p| self.table.lookup(p));
        (index != NONE).then_some(index as usize)
    }

    /// The policy that answers `path`; `None` when it is outside every
    /// route or on a `policy = false` route (not CORS).
    #[inline]
    pub fn policy_for(&self, path: &[u8]) -> Option<&Policy> {
        if let Some(single) = &self.single {
            return Some(single);
        }
        self.route(path).and_then(|r| r.policy.as_deref())
    }

    /// Decides `request` made to `path`: with the route's policy, or
    /// not CORS outside every route. Never allocates.
    #[inline]
    pub fn decide<'a>(&'a self, path: &[u8], request: &Request<'a>) -> Decision<'a> {
        self.decide_with(path, request, Answer::Policy)
    }

    /// As [`decide`](Self::decide), with the origin predicate's answer
    /// given by the host.
    #[inline]
    pub fn decide_with<'a>(
        &'a self,
        path: &[u8],
        request: &Request<'a>,
        answer: Answer<'_>,
    ) -> Decision<'a> {
        match self.policy_for(path) {
            Some(policy) => policy.decide_with(request, answer),
            None => Decision::outside_routes(),
        }
    }

    /// Every distinct policy, once each, with the routes' name for it
    /// (`policies.app`, `routes[2].policy`, or `""` for a single policy).
    pub fn policies(&self) -> Vec<(String, &Arc<Policy>)> {
        let mut out: Vec<(String, &Arc<Policy>)> = Vec::new();
        for (i, route) in self.routes.iter().enumerate() {
            let Some(policy) = &route.policy else {
                continue;
            };
            if out.iter().any(|(_, p)| Arc::ptr_eq(p, policy)) {
                continue;
            }
            out.push((self.label(i), policy));
        }
        out
    }

    /// The name of route `index`'s policy, as [`policies`](Self::policies)
    /// and a [`Configure`] see it: `policies.NAME`, `routes[i].policy`, or
    /// `""` for a single policy.
    pub fn label(&self, index: usize) -> String {
        if self.single.is_some() {
            return String::new();
        }
        match self
            .routes
            .get(index)
            .and_then(|r| r.policy_name.as_deref())
        {
            Some(name) => format!("policies.{name}"),
            None => format!("routes[{index}].policy"),
        }
    }

    /// The set as data in the policy file format, each policy with its
    /// defaults written out (a single policy as its own table).
    pub fn to_value(&self) -> Value {
        if let Some(single) = &self.single {
            return single.config().to_value();
        }
        let mut policies = Map::new();
        let mut routes = Vec::new();
        for route in &self.routes {
            let mut table = Map::new();
            let key = if route.regex { "regex" } else { "path" };
            table.insert(key.to_owned(), Value::String(route.written.clone()));
            let policy = match (&route.policy, &route.policy_name) {
                (None, _) => Value::Bool(false),
                (Some(p), Some(name)) => {
                    policies
                        .entry(name.clone())
                        .or_insert_with(|| p.config().to_value());
                    Value::String(name.clone())
                }
                (Some(p), None) => p.config().to_value(),
            };
            table.insert("policy".to_owned(), policy);
            routes.push(Value::Object(table));
        }
        let mut file = Map::new();
        if !policies.is_empty() {
            file.insert("policies".to_owned(), Value::Object(policies));
        }
        file.insert("routes".to_owned(), Value::Array(routes));
        Value::Object(file)
    }

    /// Whether any route's policy has an origin predicate.
    pub fn has_origin_predicate(&self) -> bool {
        self.routes
            .iter()
            .filter_map(|r| r.policy.as_ref())
            .any(|p| p.has_origin_predicate())
    }

    /// Warnings about each policy (keys prefixed with the policy's place),
    /// routes that can never match, and named policies no route uses.
    pub fn lint(&self) -> Vec<Warning> {
        if let Some(single) = &self.single {
            return single.lint();
        }
        let mut out = Vec::new();
        for (label, policy) in self.policies() {
            out.extend(policy.lint().into_iter().map(|w| placed(w, &label)));
        }
        for (i, later) in self.routes.iter().enumerate() {
            let shadow = self.routes[..i].iter().enumerate().find(|(_, earlier)| {
                match (&earlier.pattern, &later.pattern) {
                    (Some(e), Some(l)) => e.covers(l),
                    // Only `/**` is known to cover a regex.
                    (Some(e), None) => matches!(e.segments[..], [pattern::Segment::Rest]),
                    (None, _) => false,
                }
            });
            if let Some((j, earlier)) = shadow {
                out.push(Warning::new(
                    WarningCode::RouteNeverMatches,
                    format!("routes[{i}].path"),
                    later.written.clone(),
                    format!(
                        "route {i} ({:?}) can never match: route {j} ({:?}) comes first and matches every path it does",
                        later.written, earlier.written
                    ),
                    format!("move route {i} above route {j}, or remove it"),
                ));
            }
        }
        for name in &self.unused {
            out.push(Warning::new(
                WarningCode::UnusedPolicy,
                format!("policies.{name}"),
                name.clone(),
                format!("`policies.{name}` is defined but no route uses it"),
                format!("add a route with `policy = {name:?}`, or remove the table"),
            ));
        }
        out
    }
}

/// How a host adjusts each policy's builder before it is built. The first
/// argument names the policy as [`PolicySet::policies`] does:
/// `policies.NAME`, `routes[i].policy`, or `""` in a file without routes.
pub type Configure<'a> = dyn Fn(&str, PolicyBuilder) -> PolicyBuilder + 'a;

/// Routes written in Rust, in matching order.
///
/// ```
/// use corsgate::{Policy, PolicySet};
///
/// let app = Policy::builder().origins(["https://app.example.com"]).build()?;
/// let set = PolicySet::builder()
///     .route("/admin/**", None)
///     .route("/api/**", app)
///     .build()?;
/// assert!(set.policy_for(b"/api/users").is_some());
/// assert!(set.policy_for(b"/admin/users").is_none());
/// # Ok::<(), corsgate::PolicyError>(())
/// ```
#[derive(Default)]
pub struct PolicySetBuilder {
    routes: Vec<(String, bool, Option<Arc<Policy>>)>,
}

impl PolicySetBuilder {
    /// Adds a route: a path pattern and its policy (`None`: not CORS).
    pub fn route(mut self, path: &str, policy: impl Into<Option<Policy>>) -> Self {
        let policy = policy.into().map(Arc::new);
        self.routes.push((path.to_owned(), false, policy));
        self
    }

    /// Adds a route with a shared policy.
    pub fn route_shared(mut self, path: &str, policy: Arc<Policy>) -> Self {
        self.routes.push((path.to_owned(), false, Some(policy)));
        self
    }

    /// Adds a regex route (matched from the start of the normalized path,
    /// as Python's `re.match`); needs the `regex` feature.
    pub fn route_regex(mut self, regex: &str, policy: Option<Arc<Policy>>) -> Self {
        self.routes.push((regex.to_owned(), true, policy));
        self
    }

    /// Compiles the routes, or returns every bad pattern.
    pub fn build(self) -> Result<PolicySet, PolicyError> {
        let mut problems = Vec::new();
        let mut routes = Vec::new();
        for (i, (written, regex, policy)) in self.routes.into_iter().enumerate() {
            let key = format!("routes[{i}].{}", if regex { "regex" } else { "path" });
            routes.push(matcher(written, regex, &key, &mut problems).map(|m| Route {
                written: m.written,
                regex,
                pattern: m.pattern,
                policy,
                policy_name: None,
                compiled: m.compiled,
            }));
        }
        assemble(routes, problems)
    }
}

fn is_route_file(table: &Map<String, Value>) -> bool {
    ROUTE_FILE_KEYS.iter().any(|k| table.contains_key(*k))
}

/// A route's pattern, parsed or compiled.
struct Matcher {
    written: String,
    pattern: Option<Pattern>,
    compiled: Option<pattern::Regex>,
}

/// Parses a path pattern or compiles a regex; `None` (with a problem) when bad.
fn matcher(
    written: String,
    regex: bool,
    key: &str,
    problems: &mut Vec<Problem>,
) -> Option<Matcher> {
    let (message, fix) = if regex {
        match compile_regex(&written) {
            Ok(r) => {
                return Some(Matcher {
                    written,
                    pattern: None,
                    compiled: Some(r),
                })
            }
            Err(detail) => (
                format!("route regex {written:?} cannot be used: {detail}"),
                "write a `path` pattern (`/api/**`, `/api/*/items`), or a regex the Rust `regex` crate accepts".to_owned(),
            ),
        }
    } else {
        match Pattern::parse(&written) {
            Ok(p) => {
                return Some(Matcher {
                    written,
                    pattern: Some(p),
                    compiled: None,
                })
            }
            Err(flaw) => (flaw.message, flaw.fix),
        }
    };
    problems.push(Problem::new(
        ErrorCode::InvalidRoute,
        key,
        written,
        message,
        fix,
    ));
    None
}

/// Compiles a route regex, anchored at the start of the path (as Python's
/// `re.match`), into a DFA of bounded size.
#[cfg(feature = "regex")]
fn compile_regex(written: &str) -> Result<pattern::Regex, String> {
    use regex_automata::dfa::{dense, StartKind};
    let config = dense::Config::new()
        .start_kind(StartKind::Anchored)
        .dfa_size_limit(Some(1 << 20))
        .determinize_size_limit(Some(1 << 21));
    dense::Builder::new()
        .configure(config)
        .build(written)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "regex"))]
fn compile_regex(_: &str) -> Result<pattern::Regex, String> {
    Err("this build of corsgate has no `regex` feature".to_owned())
}

/// Builds the table from routes that parsed, or reports every problem.
fn assemble(routes: Vec<Option<Route>>, problems: Vec<Problem>) -> Result<PolicySet, PolicyError> {
    if !problems.is_empty() {
        return Err(PolicyError::new(problems));
    }
    let mut routes: Vec<Route> = routes.into_iter().flatten().collect();
    let mut table = Table::new();
    for (i, route) in routes.iter_mut().enumerate() {
        if let Some(p) = &route.pattern {
            table.insert(i as u32, p);
        }
        if let Some(r) = route.compiled.take() {
            table.insert_regex(i as u32, r);
        }
    }
    Ok(PolicySet {
        single: None,
        routes,
        table,
        unused: Vec::new(),
    })
}

/// `finding` about the policy at `label` (`policies.app`): its key and
/// message say where.
fn placed<C>(mut finding: crate::Finding<C>, label: &str) -> crate::Finding<C> {
    if label.is_empty() {
        return finding;
    }
    finding.key = if finding.key.is_empty() {
        label.to_owned()
    } else {
        format!("{label}.{}", finding.key)
    };
    finding.message = format!("{label}: {}", finding.message);
    finding
}

fn read_route_file(
    table: &Map<String, Value>,
    configure: &Configure<'_>,
) -> Result<PolicySet, PolicyError> {
    let mut problems = Vec::new();
    for key in table.keys() {
        if ROUTE_FILE_KEYS.contains(&key.as_str()) {
            continue;
        }
        let (code, fix) = if POLICY_KEYS.contains(&key.as_str()) {
            (
                ErrorCode::PolicyKeysBesideRoutes,
                format!("move `{key}` into a `[policies.NAME]` table or a route's `policy`"),
            )
        } else {
            (
                ErrorCode::UnknownField,
                "remove it; a route file has `routes` and `policies`".to_owned(),
            )
        };
        problems.push(Problem::new(
            code,
            key.clone(),
            key.clone(),
            format!("`{key}` is not a key of a route file"),
            fix,
        ));
    }
    // Named policies, built once each.
    let mut named: Vec<(String, Option<Arc<Policy>>, bool)> = Vec::new();
    match table.get("policies") {
        None => {}
        Some(Value::Object(policies)) => {
            for (name, value) in policies {
                let label = format!("policies.{name}");
                let built = build_policy(value, &label, configure, &mut problems);
                named.push((name.clone(), built, false));
            }
        }
        Some(other) => problems.push(type_problem("policies", "a table of policies", other)),
    }
    let mut routes = Vec::new();
    match table.get("routes") {
        None => problems.push(Problem::new(
            ErrorCode::InvalidRoute,
            "routes",
            "",
            "`policies` is set but there are no `routes` to use them",
            "add `[[routes]]` tables, each with a `path` and a `policy`",
        )),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                routes.push(read_route(i, item, &mut named, configure, &mut problems));
            }
        }
        Some(other) => problems.push(type_problem("routes", "a list of route tables", other)),
    }
    let mut set = assemble(routes, problems)?;
    set.unused = named
        .into_iter()
        .filter(|(_, _, used)| !used)
        .map(|(name, _, _)| name)
        .collect();
    Ok(set)
}

fn type_problem(key: &str, want: &str, got: &Value) -> Problem {
    Problem::new(
        ErrorCode::InvalidType,
        key,
        got.to_string(),
        format!("`{key}` must be {want}"),
        "see the route file format: `[[routes]]` tables with `path` and `policy`, `[policies.NAME]` tables",
    )
}

fn build_policy(
    value: &Value,
    label: &str,
    configure: &Configure<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Arc<Policy>> {
    match configure(label, PolicyBuilder::from_value(value)).build() {
        Ok(p) => Some(Arc::new(p)),
        Err(e) => {
            problems.extend(e.problems().iter().cloned().map(|p| placed(p, label)));
            None
        }
    }
}

fn read_route(
    i: usize,
    item: &Value,
    named: &mut [(String, Option<Arc<Policy>>, bool)],
    configure: &Configure<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Route> {
    let here = format!("routes[{i}]");
    let Some(route) = item.as_object() else {
        problems.push(type_problem(&here, "a route table", item));
        return None;
    };
    crate::config::unknown_keys(route, &format!("{here}."), &ROUTE_KEYS, problems);
    let written = match (route.get("path"), route.get("regex")) {
        (Some(Value::String(p)), None) => Some((p.clone(), false)),
        (None, Some(Value::String(r))) => Some((r.clone(), true)),
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                ErrorCode::InvalidRoute,
                here.clone(),
                "",
                format!("{here} has both `path` and `regex`"),
                "keep one of them",
            ));
            None
        }
        (None, None) => {
            problems.push(Problem::new(
                ErrorCode::InvalidRoute,
                here.clone(),
                "",
                format!("{here} has no `path`"),
                "add `path = \"/api/**\"` (or a `regex`)",
            ));
            None
        }
        (Some(other), _) | (_, Some(other)) => {
            problems.push(type_problem(&format!("{here}.path"), "a string", other));
            None
        }
    };
    let target = match route.get("policy") {
        None => {
            problems.push(Problem::new(
                ErrorCode::InvalidRoute,
                format!("{here}.policy"),
                "",
                format!("{here} has no `policy`"),
                "add `policy = \"NAME\"` (a `[policies.NAME]` table), an inline policy table, or `false` for no CORS",
            ));
            None
        }
        Some(Value::Bool(false)) => Some((None, None)),
        Some(Value::String(name)) => match named.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, policy, used)) => {
                *used = true;
                // A named policy that failed to build has reported its problems.
                policy.clone().map(|p| (Some(p), Some(name.clone())))
            }
            None => {
                let known: Vec<&str> = named.iter().map(|(n, _, _)| n.as_str()).collect();
                problems.push(Problem::new(
                    ErrorCode::UnknownPolicy,
                    format!("{here}.policy"),
                    name.clone(),
                    format!("{here} names the policy {name:?}, which `policies` does not define"),
                    if known.is_empty() {
                        format!("add a `[policies.{name}]` table")
                    } else {
                        format!(
                            "use one of {}, or add `[policies.{name}]`",
                            known.join(", ")
                        )
                    },
                ));
                None
            }
        },
        Some(value @ Value::Object(_)) => {
            build_policy(value, &format!("{here}.policy"), configure, problems)
                .map(|p| (Some(p), None))
        }
        Some(other) => {
            problems.push(type_problem(
                &format!("{here}.policy"),
                "a policy name, a policy table, or false",
                other,
            ));
            None
        }
    };
    let (written, regex) = written?;
    let key = format!("{here}.{}", if regex { "regex" } else { "path" });
    let m = matcher(written, regex, &key, problems)?;
    let (policy, policy_name) = target?;
    Some(Route {
        written: m.written,
        regex,
        pattern: m.pattern,
        policy,
        policy_name,
        compiled: m.compiled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, Policy};

    #[test]
    fn lint_names_shadowed_routes_and_unused_policies() {
        let set = PolicySet::from_toml(
            r#"
            [policies.app]
            origins = ["https://app.example"]
            max_age = 9000
            [policies.spare]
            origins = ["https://spare.example"]
            [[routes]]
            path = "/api/**"
            policy = "app"
            [[routes]]
            path = "/api/v1/*"
            policy = false
            [[routes]]
            path = "/**"
            policy = "app"
            [[routes]]
            regex = "/late"
            policy = "app"
            "#,
        )
        .unwrap();
        let warnings = set.lint();
        let found: Vec<(String, String)> = warnings
            .iter()
            .map(|w| (w.code.as_str().to_owned(), w.key.clone()))
            .collect();
        let want = [
            ("max-age-above-chrome-cap", "policies.app.max_age"),
            ("route-never-matches", "routes[1].path"),
            ("route-never-matches", "routes[3].path"),
            ("unused-policy", "policies.spare"),
        ];
        assert_eq!(
            found,
            want.map(|(c, k)| (c.to_owned(), k.to_owned())).to_vec()
        );
        assert!(
            warnings[1].message.contains("route 0"),
            "{}",
            warnings[1].message
        );
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_place() {
        let err = PolicySet::from_json(
            r#"{"origins": ["https://a.example"],
                "policies": {"bad": {"origins": ["*"], "credentials": true}},
                "routes": [{"path": "/a/**", "policy": "bad"},
                           {"path": "b", "policy": {"origins": []}},
                           {"path": "/c", "policy": "nope", "colour": 1}]}"#,
        )
        .unwrap_err();
        let keys: Vec<(&str, &str)> = err
            .problems()
            .iter()
            .map(|p| (p.code.as_str(), p.key.as_str()))
            .collect();
        for want in [
            ("policy-keys-beside-routes", "origins"),
            ("any-origin-with-credentials", "policies.bad.origins"),
            ("no-origins", "routes[1].policy.origins"),
            ("invalid-route", "routes[1].path"),
            ("unknown-field", "routes[2].colour"),
            ("unknown-policy", "routes[2].policy"),
        ] {
            assert!(keys.contains(&want), "{want:?} missing from {keys:?}");
        }
        let unknown = err
            .problems()
            .iter()
            .find(|p| p.code == ErrorCode::UnknownPolicy);
        assert_eq!(
            unknown.unwrap().fix,
            "use one of bad, or add `[policies.nope]`"
        );
    }

    #[test]
    fn a_route_file_is_not_a_single_policy() {
        let text = "[[routes]]\npath = \"/**\"\npolicy = false\n";
        let err = Policy::from_toml(text).unwrap_err();
        assert!(err.problems()[0].fix.contains("PolicySet"), "{err}");
        let set = PolicySet::from_toml(text).unwrap();
        assert!(set.as_single().is_none());
        let request = Request::new(b"GET").header(b"Origin", b"https://a.example");
        assert_eq!(set.decide(b"/x", &request).kind(), Kind::NotCors);
        assert!(set.decide(b"/x", &request).vary().is_empty());
    }

    #[test]
    fn the_rust_builder_shares_policies() {
        let app = Arc::new(
            Policy::builder()
                .origins(["https://app.example"])
                .build()
                .unwrap(),
        );
        let set = PolicySet::builder()
            .route("/admin/**", None)
            .route_shared("/api/**", app.clone())
            .route_regex("/v[0-9]+/", Some(app.clone()))
            .build()
            .unwrap();
        assert!(Arc::ptr_eq(
            set.route(b"/api/x").unwrap().policy().unwrap(),
            &app
        ));
        assert!(set.policy_for(b"/v2/x").is_some());
        assert!(set.policy_for(b"/admin/x").is_none());
        assert_eq!(set.policies().len(), 1);
        let err = PolicySet::builder()
            .route("nope", None)
            .route_regex("(", None)
            .build()
            .unwrap_err();
        assert_eq!(err.problems().len(), 2, "{err}");
    }
}
