//! The policy as data (SPEC §2): one format, read from JSON or TOML, with
//! every type problem collected rather than stopping at the first.

use serde_json::{Map, Value};

use crate::error::{ErrorCode, Problem};

/// A policy as written, before validation. Build a [`Policy`](crate::Policy)
/// from it with [`PolicyBuilder::from_config`](crate::PolicyBuilder::from_config).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyConfig {
    /// Exact origins, patterns (`https://*.example.com`, `http://localhost:*`) or `["*"]`.
    pub origins: Vec<String>,
    /// Send `Access-Control-Allow-Credentials: true`.
    pub credentials: bool,
    /// Methods a preflight may ask for besides GET, HEAD and POST; `["*"]` for any.
    pub methods: Vec<String>,
    /// Header names a preflight may ask for; `"*"` for any but `authorization`.
    pub request_headers: Vec<String>,
    /// Response header names scripts may read; `["*"]` for all.
    pub expose_headers: Vec<String>,
    /// Seconds a browser may cache a preflight; `None` sends no header.
    pub max_age: Option<i64>,
    /// Status of an accepted preflight (200..=299).
    pub preflight_status: i64,
    /// Status of a refused preflight (400..=499).
    pub refused_preflight_status: i64,
    /// Legacy Private Network Access.
    pub private_network: PrivateNetworkConfig,
    /// Options that weaken the safety checks.
    pub dangerous: DangerousConfig,
    /// How list-valued response headers are written.
    pub format: FormatConfig,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            origins: Vec::new(),
            credentials: false,
            methods: Vec::new(),
            request_headers: Vec::new(),
            expose_headers: Vec::new(),
            max_age: None,
            preflight_status: 204,
            refused_preflight_status: 403,
            private_network: PrivateNetworkConfig::default(),
            dangerous: DangerousConfig::default(),
            format: FormatConfig::default(),
        }
    }
}

/// The `format` table: the bytes of list-valued headers, so that a drop-in
/// sends what the library it replaces sent. Browsers read every choice alike.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormatConfig {
    /// Between `Access-Control-Allow-Methods` items: `", "` or `","`.
    pub methods_separator: String,
    /// Between `Access-Control-Allow-Headers` items: `", "` or `","`.
    pub request_headers_separator: String,
    /// Between `Access-Control-Expose-Headers` items: `", "` or `","`.
    pub expose_headers_separator: String,
    /// `"lowercase"` (as browsers send the names) or `"as-configured"`: the
    /// spelling of the configured `Access-Control-Allow-Headers` names.
    pub request_headers_case: String,
    /// What `request_headers = ["*"]` sends without credentials: `"star"`
    /// (`*`) or `"echo"` (the requested names, as with credentials). Both
    /// allow the same names.
    pub request_headers_wildcard: String,
    /// `Vary` names every request header a CORS answer can depend on, on
    /// every response: `Origin` on all others (an any-origin policy too),
    /// and on preflights `Access-Control-Request-Private-Network` as well.
    pub full_vary: bool,
    /// `"canonical"` (`Origin`) or `"lowercase"` (`origin`): the spelling of
    /// the `Vary` tokens.
    pub vary_case: String,
}

impl Default for FormatConfig {
    fn default() -> Self {
        FormatConfig {
            methods_separator: ", ".into(),
            request_headers_separator: ", ".into(),
            expose_headers_separator: ", ".into(),
            request_headers_case: "lowercase".into(),
            request_headers_wildcard: "star".into(),
            full_vary: false,
            vary_case: "canonical".into(),
        }
    }
}

/// The `private_network` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivateNetworkConfig {
    /// Answer `Access-Control-Request-Private-Network: true` preflights.
    pub allow: bool,
    /// `Private-Network-Access-ID`, like `01:23:45:67:89:0A`.
    pub id: Option<String>,
    /// `Private-Network-Access-Name`, `[a-z0-9_.-]{1,248}`.
    pub name: Option<String>,
}

/// The `dangerous` table: each option lifts one safety check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DangerousConfig {
    /// Allow `null` in `origins` (any sandboxed iframe or file page sends it).
    pub allow_null_origin: bool,
    /// Allow `http://` origins other than loopback with credentials.
    pub allow_insecure_origins_with_credentials: bool,
    /// Allow `https://*.github.io`-style wildcards with credentials.
    pub allow_public_suffix_wildcards_with_credentials: bool,
}

/// Whether `word` is a SPEC key at any depth (`max_age`, `id`,
/// `allow_null_origin`).
pub(crate) fn is_key(word: &str) -> bool {
    POLICY_KEYS.contains(&word)
        || PRIVATE_NETWORK_KEYS.contains(&word)
        || DANGEROUS_KEYS.contains(&word)
        || FORMAT_KEYS.contains(&word)
}

/// The keys of the table at `table` (``, `private_network`, `dangerous`).
pub(crate) fn keys_of(table: &str) -> &'static [&'static str] {
    match table {
        "" => &POLICY_KEYS,
        "private_network" => &PRIVATE_NETWORK_KEYS,
        "dangerous" => &DANGEROUS_KEYS,
        "format" => &FORMAT_KEYS,
        _ => &[],
    }
}

/// The keys of the `private_network` table.
const PRIVATE_NETWORK_KEYS: [&str; 3] = ["allow", "id", "name"];
/// The keys of the `dangerous` table.
const DANGEROUS_KEYS: [&str; 3] = [
    "allow_null_origin",
    "allow_insecure_origins_with_credentials",
    "allow_public_suffix_wildcards_with_credentials",
];

/// The keys of the `format` table; `separator` sets the three separators.
const FORMAT_KEYS: [&str; 8] = [
    "separator",
    "methods_separator",
    "request_headers_separator",
    "expose_headers_separator",
    "request_headers_case",
    "request_headers_wildcard",
    "full_vary",
    "vary_case",
];

/// The top-level keys, in documentation order.
pub const POLICY_KEYS: [&str; 11] = [
    "origins",
    "credentials",
    "methods",
    "request_headers",
    "expose_headers",
    "max_age",
    "preflight_status",
    "refused_preflight_status",
    "private_network",
    "dangerous",
    "format",
];

impl PolicyConfig {
    /// Reads a policy from a JSON value tree, reporting every unknown key and
    /// wrongly typed value to `problems`.
    pub(crate) fn from_value(value: &Value, problems: &mut Vec<Problem>) -> PolicyConfig {
        let mut config = PolicyConfig::default();
        let Some(table) = object(value, "policy", problems) else {
            return config;
        };
        unknown_keys(table, "", &POLICY_KEYS, problems);
        let mut read = Reader {
            table,
            prefix: "",
            problems,
        };
        config.origins = read.strings("origins");
        config.credentials = read.bool("credentials");
        config.methods = read.strings("methods");
        config.request_headers = read.strings("request_headers");
        config.expose_headers = read.strings("expose_headers");
        config.max_age = read.integer("max_age");
        config.preflight_status = read.integer("preflight_status").unwrap_or(204);
        config.refused_preflight_status = read.integer("refused_preflight_status").unwrap_or(403);
        if let Some(pn) = table.get("private_network") {
            if let Some(pn) = object(pn, "private_network", problems) {
                unknown_keys(pn, "private_network.", &PRIVATE_NETWORK_KEYS, problems);
                let mut read = Reader {
                    table: pn,
                    prefix: "private_network.",
                    problems,
                };
                config.private_network = PrivateNetworkConfig {
                    allow: read.bool("allow"),
                    id: read.string("id"),
                    name: read.string("name"),
                };
            }
        }
        if let Some(d) = table.get("dangerous") {
            if let Some(d) = object(d, "dangerous", problems) {
                let keys = DANGEROUS_KEYS;
                unknown_keys(d, "dangerous.", &keys, problems);
                let mut read = Reader {
                    table: d,
                    prefix: "dangerous.",
                    problems,
                };
                config.dangerous = DangerousConfig {
                    allow_null_origin: read.bool(keys[0]),
                    allow_insecure_origins_with_credentials: read.bool(keys[1]),
                    allow_public_suffix_wildcards_with_credentials: read.bool(keys[2]),
                };
            }
        }
        if let Some(f) = table.get("format") {
            if let Some(f) = object(f, "format", problems) {
                unknown_keys(f, "format.", &FORMAT_KEYS, problems);
                let mut read = Reader {
                    table: f,
                    prefix: "format.",
                    problems,
                };
                let all = read.string("separator");
                let mut one = |key: &str| {
                    read.string(key)
                        .or_else(|| all.clone())
                        .unwrap_or_else(|| ", ".into())
                };
                config.format = FormatConfig {
                    methods_separator: one("methods_separator"),
                    request_headers_separator: one("request_headers_separator"),
                    expose_headers_separator: one("expose_headers_separator"),
                    request_headers_case: read
                        .string("request_headers_case")
                        .unwrap_or_else(|| "lowercase".into()),
                    request_headers_wildcard: read
                        .string("request_headers_wildcard")
                        .unwrap_or_else(|| "star".into()),
                    full_vary: read.bool("full_vary"),
                    vary_case: read
                        .string("vary_case")
                        .unwrap_or_else(|| "canonical".into()),
                };
            }
        }
        config
    }

    /// The policy as a JSON value, in the SPEC §2 format (defaults included).
    pub fn to_value(&self) -> Value {
        let strings = |v: &[String]| Value::from(v.to_vec());
        let mut pn = Map::new();
        pn.insert("allow".into(), self.private_network.allow.into());
        if let Some(id) = &self.private_network.id {
            pn.insert("id".into(), id.clone().into());
        }
        if let Some(name) = &self.private_network.name {
            pn.insert("name".into(), name.clone().into());
        }
        let d = &self.dangerous;
        let mut dangerous = Map::new();
        dangerous.insert("allow_null_origin".into(), d.allow_null_origin.into());
        dangerous.insert(
            "allow_insecure_origins_with_credentials".into(),
            d.allow_insecure_origins_with_credentials.into(),
        );
        dangerous.insert(
            "allow_public_suffix_wildcards_with_credentials".into(),
            d.allow_public_suffix_wildcards_with_credentials.into(),
        );
        let mut m = Map::new();
        m.insert("origins".into(), strings(&self.origins));
        m.insert("credentials".into(), self.credentials.into());
        m.insert("methods".into(), strings(&self.methods));
        m.insert("request_headers".into(), strings(&self.request_headers));
        m.insert("expose_headers".into(), strings(&self.expose_headers));
        if let Some(max_age) = self.max_age {
            m.insert("max_age".into(), max_age.into());
        }
        m.insert("preflight_status".into(), self.preflight_status.into());
        m.insert(
            "refused_preflight_status".into(),
            self.refused_preflight_status.into(),
        );
        m.insert("private_network".into(), Value::Object(pn));
        m.insert("dangerous".into(), Value::Object(dangerous));
        let f = &self.format;
        let mut format = Map::new();
        format.insert(
            "methods_separator".into(),
            f.methods_separator.clone().into(),
        );
        format.insert(
            "request_headers_separator".into(),
            f.request_headers_separator.clone().into(),
        );
        format.insert(
            "expose_headers_separator".into(),
            f.expose_headers_separator.clone().into(),
        );
        format.insert(
            "request_headers_case".into(),
            f.request_headers_case.clone().into(),
        );
        format.insert(
            "request_headers_wildcard".into(),
            f.request_headers_wildcard.clone().into(),
        );
        format.insert("full_vary".into(), f.full_vary.into());
        format.insert("vary_case".into(), f.vary_case.clone().into());
        m.insert("format".into(), Value::Object(format));
        Value::Object(m)
    }
}

/// Converts a TOML document into the JSON value tree the reader walks.
pub(crate) fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

fn invalid_type(path: &str, want: &str, got: &Value, example: &str) -> Problem {
    invalid_type_at("", path, want, got, example)
}

/// As [`invalid_type`] for a key under `prefix` (`private_network.`): the
/// message names the key as written in its table, `key` the whole path.
fn invalid_type_at(prefix: &str, path: &str, want: &str, got: &Value, example: &str) -> Problem {
    Problem::new(
        ErrorCode::InvalidType,
        format!("{prefix}{path}"),
        got.to_string(),
        format!("`{path}` must be {want}, not {}", type_name(got)),
        format!("write it like {example}"),
    )
}

fn object<'v>(
    value: &'v Value,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'v Map<String, Value>> {
    match value {
        Value::Object(m) => Some(m),
        other => {
            problems.push(invalid_type(path, "a table (object)", other, "{ ... }"));
            None
        }
    }
}

pub(crate) fn unknown_keys(
    table: &Map<String, Value>,
    prefix: &str,
    known: &[&str],
    out: &mut Vec<Problem>,
) {
    for key in table.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let close = known.iter().copied().find(|k| similar(k, key));
        let route_file = prefix.is_empty() && crate::ROUTE_FILE_KEYS.contains(&key.as_str());
        let fix = match close {
            None if route_file => {
                "this is a route file: read it as a `PolicySet`, not a single `Policy`".to_owned()
            }
            Some(k) => format!("did you mean `{prefix}{k}`?"),
            None => format!("remove it; known keys are {}", known.join(", ")),
        };
        out.push(Problem::new(
            ErrorCode::UnknownField,
            format!("{prefix}{key}"),
            format!("{prefix}{key}"),
            format!("unknown key `{prefix}{key}`"),
            fix,
        ));
    }
}

/// Same key up to case, `-`/`_`, a plural `s`, or a camelCase spelling.
fn similar(known: &str, written: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
            .trim_end_matches('s')
            .to_owned()
    };
    norm(known) == norm(written)
}

struct Reader<'a> {
    table: &'a Map<String, Value>,
    /// The table's path with a trailing dot (`private_network.`), or empty.
    prefix: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Reader<'_> {
    fn bool(&mut self, key: &str) -> bool {
        match self.table.get(key) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.problems.push(invalid_type_at(
                    self.prefix,
                    key,
                    "true or false",
                    other,
                    "`true`",
                ));
                false
            }
        }
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.table.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.problems.push(invalid_type_at(
                    self.prefix,
                    key,
                    "a string",
                    other,
                    "\"text\"",
                ));
                None
            }
        }
    }

    fn integer(&mut self, key: &str) -> Option<i64> {
        match self.table.get(key) {
            None => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            // Larger than any range: keep it out of range, not mistyped.
            Some(Value::Number(n)) if n.as_u64().is_some() => Some(i64::MAX),
            Some(other) => {
                self.problems.push(invalid_type_at(
                    self.prefix,
                    key,
                    "a whole number",
                    other,
                    "`600`",
                ));
                None
            }
        }
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        match self.table.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => self.problems.push(invalid_type_at(
                            self.prefix,
                            &format!("{key}[{i}]"),
                            "a string",
                            other,
                            "\"text\"",
                        )),
                    }
                }
                out
            }
            Some(Value::String(s)) => {
                self.problems.push(Problem::new(
                    ErrorCode::InvalidType,
                    format!("{}{key}", self.prefix),
                    format!("{s:?}"),
                    format!("`{key}` must be a list of strings, not a string"),
                    format!("write it as a list: [{s:?}]"),
                ));
                Vec::new()
            }
            Some(other) => {
                self.problems.push(invalid_type_at(
                    self.prefix,
                    key,
                    "a list of strings",
                    other,
                    "[\"text\"]",
                ));
                Vec::new()
            }
        }
    }
}
