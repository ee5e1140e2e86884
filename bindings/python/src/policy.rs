//! `corsgate.Policy`: every constructor builds a JSON value tree (or hands
//! over the text) to `PolicySet`'s reader, so keyword arguments, dicts,
//! JSON, TOML and files, with or without routes, are checked by the same
//! validator.

use std::path::PathBuf;

use corsgate::{PolicyBuilder, PolicyError, PolicySet, RequestHeader};
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString};
use serde_json::{Map, Number, Value};

use crate::decision::{self, Decision, Lines};
use crate::findings::{policy_error, py_repr, LintWarning};

fn log_predicate_error(py: Python<'_>, origin: &str, err: &PyErr) {
    let logged = (|| -> PyResult<()> {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("corsgate",))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("exc_info", err.value(py))?;
        logger.call_method(
            "error",
            (
                "origin_predicate raised for Origin %r; the origin is refused",
                origin,
            ),
            Some(&kwargs),
        )?;
        Ok(())
    })();
    if let Err(e) = logged {
        // Logging itself failed: the request is still refused, never crashed.
        e.write_unraisable(py, None);
    }
}

/// Checks that `callable` can be an origin predicate.
fn python_predicate(callable: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    if !callable.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "origin_predicate must be callable, not {}",
            type_name(&callable)
        )));
    }
    Ok(callable.unbind())
}

/// Asks the Python predicate about `origin` (core calls this at most once
/// per decision, only when needed): an `Exception` is "no", logged to the
/// `corsgate` logger; any other `BaseException` (KeyboardInterrupt,
/// SystemExit) is "no" and kept in `pending`, to be raised once `decide`
/// returns.
pub(crate) fn ask(
    py: Python<'_>,
    callable: &Py<PyAny>,
    origin: &str,
    pending: &mut Option<PyErr>,
) -> bool {
    match callable
        .bind(py)
        .call1((origin,))
        .and_then(|r| r.is_truthy())
    {
        Ok(yes) => yes,
        Err(err) if err.is_instance_of::<PyException>(py) => {
            log_predicate_error(py, origin, &err);
            false
        }
        Err(err) => {
            *pending = Some(err);
            false
        }
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    let ty = obj.get_type();
    let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let name = ty
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    if module.is_empty() || module == "builtins" {
        name
    } else {
        format!("{module}.{name}")
    }
}

/// A Python value with no JSON counterpart, replaced by `null` for the
/// validator; its problem is reworded to name the Python type.
struct Unconvertible {
    path: String,
    type_name: String,
    repr: String,
}

/// Python data → the JSON value tree the core validator reads.
#[derive(Default)]
struct Converter {
    unconvertible: Vec<Unconvertible>,
}

const MAX_DEPTH: usize = 32;

impl Converter {
    /// `path` names the value as core's problems' `key` does: `origins[0]`,
    /// `max_age`, `private_network.allow`.
    fn value(&mut self, obj: &Bound<'_, PyAny>, path: &str, depth: usize) -> PyResult<Value> {
        if obj.is_none() {
            return Ok(Value::Null);
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Value::Bool(b.is_true()));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Value::String(s.to_string_lossy().into_owned()));
        }
        if obj.is_instance_of::<PyInt>() {
            if let Ok(i) = obj.extract::<i64>() {
                return Ok(Value::from(i));
            }
            if let Ok(u) = obj.extract::<u64>() {
                return Ok(Value::from(u));
            }
            // Out of every range either way; keep the sign for the message.
            let negative = obj.lt(0)?;
            return Ok(if negative {
                Value::from(i64::MIN)
            } else {
                Value::from(u64::MAX)
            });
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            if let Some(n) = Number::from_f64(f.value()) {
                return Ok(Value::Number(n));
            }
            return Ok(self.placeholder(obj, path));
        }
        if depth >= MAX_DEPTH || obj.is_instance_of::<PyBytes>() {
            return Ok(self.placeholder(obj, path));
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            let mut map = Map::new();
            for (k, v) in d.iter() {
                let key = k.str()?.to_string_lossy().into_owned();
                // Core's key paths: `max_age`, `private_network.allow`.
                let inner = match depth {
                    0 => key.clone(),
                    _ => format!("{path}.{key}"),
                };
                let value = self.value(&v, &inner, depth + 1)?;
                map.insert(key, value);
            }
            return Ok(Value::Object(map));
        }
        if obj.hasattr("keys")? && obj.hasattr("__getitem__")? {
            // Any other mapping.
            let dict = PyDict::new(obj.py());
            for k in obj.call_method0("keys")?.try_iter()? {
                let k = k?;
                dict.set_item(&k, obj.get_item(&k)?)?;
            }
            return self.value(dict.as_any(), path, depth);
        }
        let unordered = obj.is_instance_of::<PySet>() || obj.is_instance_of::<PyFrozenSet>();
        let iter = if obj.is_instance_of::<PyList>() || obj.hasattr("__iter__")? {
            obj.try_iter().ok()
        } else {
            None
        };
        let Some(iter) = iter else {
            return Ok(self.placeholder(obj, path));
        };
        let mut items = Vec::new();
        for (i, item) in iter.enumerate() {
            let item = item?;
            let item_path = format!("{path}[{i}]");
            items.push(self.value(&item, &item_path, depth + 1)?);
        }
        if unordered {
            // A set has no order; sort it so the emitted lists are stable.
            items.sort_by_key(|a| a.to_string());
        }
        Ok(Value::Array(items))
    }

    fn placeholder(&mut self, obj: &Bound<'_, PyAny>, path: &str) -> Value {
        let repr = obj
            .repr()
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "<unprintable>".to_owned());
        self.unconvertible.push(Unconvertible {
            path: path.to_owned(),
            type_name: type_name(obj),
            repr: truncate(repr, 80),
        });
        Value::Null
    }

    /// Core's problems, with the ones about placeholders reworded.
    fn problems(&self, err: Option<&corsgate::PolicyError>) -> Vec<corsgate::Problem> {
        let mut out: Vec<corsgate::Problem> =
            err.map(|e| e.problems().to_vec()).unwrap_or_default();
        for u in &self.unconvertible {
            // Core names the key of each problem: no need to read its message.
            let hit = out.iter_mut().find(|p| {
                p.code == corsgate::ErrorCode::InvalidType && p.value == "null" && p.key == u.path
            });
            match hit {
                Some(p) => {
                    // Core wrote "..., not null" about the placeholder: say what it was.
                    p.value = u.repr.clone();
                    if let Some(head) = p.message.strip_suffix("null") {
                        p.message = format!("{head}a Python {}", u.type_name);
                    }
                }
                // Core did not read it (e.g. under an unknown key): say so anyway.
                None if err.is_none() => out.push(corsgate::Problem::new(
                    corsgate::ErrorCode::InvalidType,
                    u.path.clone(),
                    u.repr.clone(),
                    format!("`{}` cannot be a Python {}", u.path, u.type_name),
                    "use strings, booleans, whole numbers, lists and dicts",
                )),
                None => {}
            }
        }
        out
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// The `origin_predicate` argument: one callable for every policy, or a
/// callable per named policy.
enum Predicates {
    None,
    All(Py<PyAny>),
    /// `(label, callable)`: labels as core's `PolicySet::label` writes them.
    Named(Vec<(String, Py<PyAny>)>),
}

impl Predicates {
    fn read(arg: Option<Bound<'_, PyAny>>) -> PyResult<Predicates> {
        let Some(arg) = arg.filter(|a| !a.is_none()) else {
            return Ok(Predicates::None);
        };
        if arg.is_callable() {
            return Ok(Predicates::All(arg.unbind()));
        }
        let Ok(items) = arg.call_method0("items") else {
            return Err(PyTypeError::new_err(format!(
                "origin_predicate must be callable, or a dict of callables by policy name, not {}",
                type_name(&arg)
            )));
        };
        let mut named = Vec::new();
        for item in items.try_iter()? {
            let (key, value): (String, Bound<'_, PyAny>) = item?.extract()?;
            let label = if key.starts_with("policies.") || key.starts_with("routes[") {
                key
            } else {
                format!("policies.{key}")
            };
            named.push((label, python_predicate(value)?));
        }
        Ok(Predicates::Named(named))
    }

    fn covers(&self, label: &str) -> bool {
        match self {
            Predicates::None => false,
            Predicates::All(_) => true,
            Predicates::Named(named) => named.iter().any(|(l, _)| l == label),
        }
    }

    fn get(&self, py: Python<'_>, label: &str) -> Option<Py<PyAny>> {
        match self {
            Predicates::None => None,
            Predicates::All(p) => Some(p.clone_ref(py)),
            Predicates::Named(named) => named
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, p)| p.clone_ref(py)),
        }
    }

    /// A named predicate for no policy of the file (`seen`: every label
    /// the reader built).
    fn unknown(&self, seen: &[String]) -> PyResult<()> {
        let Predicates::Named(named) = self else {
            return Ok(());
        };
        for (label, _) in named {
            if !seen.contains(label) {
                let fix = if seen.iter().all(String::is_empty) {
                    "a policy without routes is one policy: give origin_predicate a callable"
                        .to_owned()
                } else {
                    format!("name one of: {}", seen.join(", "))
                };
                return Err(PyValueError::new_err(format!(
                    "origin_predicate names {label:?}, which is not a policy here; {fix}"
                )));
            }
        }
        Ok(())
    }

    /// Each route's predicate, by route index.
    fn by_route(&self, py: Python<'_>, set: &PolicySet) -> Vec<Option<Py<PyAny>>> {
        (0..set.routes().len())
            .map(|i| {
                set.routes()[i]
                    .policy()
                    .and_then(|_| self.get(py, &set.label(i)))
            })
            .collect()
    }
}

/// A set read by `read` (each policy's builder given a host predicate where
/// one was asked for), with the Python predicates placed by route.
fn build(
    py: Python<'_>,
    predicate: Option<Bound<'_, PyAny>>,
    read: impl FnOnce(&corsgate::Configure<'_>) -> Result<PolicySet, PolicyError>,
    problems: impl FnOnce(Option<&PolicyError>) -> Vec<corsgate::Problem>,
) -> PyResult<Policy> {
    let predicates = Predicates::read(predicate)?;
    let seen = std::cell::RefCell::new(Vec::new());
    let configure = |label: &str, builder: PolicyBuilder| {
        seen.borrow_mut().push(label.to_owned());
        if predicates.covers(label) {
            builder.host_origin_predicate()
        } else {
            builder
        }
    };
    let read = read(&configure);
    predicates.unknown(&seen.borrow())?;
    match read {
        Ok(inner) => {
            let found = problems(None);
            if !found.is_empty() {
                return Err(policy_error(py, &found));
            }
            let predicates = predicates.by_route(py, &inner);
            Ok(Policy { inner, predicates })
        }
        Err(e) => Err(policy_error(py, &problems(Some(&e)))),
    }
}

/// Builds from a value tree converted from Python data.
fn build_value(
    py: Python<'_>,
    value: &Value,
    converter: &Converter,
    predicate: Option<Bound<'_, PyAny>>,
) -> PyResult<Policy> {
    build(
        py,
        predicate,
        |configure| PolicySet::from_value_with(value, configure),
        |err| converter.problems(err),
    )
}

fn build_text(
    py: Python<'_>,
    text: &str,
    toml: bool,
    predicate: Option<Bound<'_, PyAny>>,
) -> PyResult<Policy> {
    build(
        py,
        predicate,
        |configure| match toml {
            true => PolicySet::from_toml_with(text, configure),
            false => PolicySet::from_json_with(text, configure),
        },
        |err| err.map(|e| e.problems().to_vec()).unwrap_or_default(),
    )
}

/// A validated, compiled CORS policy (SPEC §2), or a policy file's routes,
/// each with its own policy. Immutable: share one across threads and
/// requests.
#[pyclass(frozen, module = "corsgate")]
pub struct Policy {
    pub(crate) inner: PolicySet,
    /// Each route's origin predicate (by route index), asked through
    /// `Policy::decide_with`.
    pub(crate) predicates: Vec<Option<Py<PyAny>>>,
}

const ROUTES_NEED_PATH: &str = "this policy has routes";

impl Policy {
    /// The one policy of a file without routes.
    fn one(&self, what: &str) -> PyResult<&corsgate::Policy> {
        self.inner.as_single().map(|p| &**p).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{ROUTES_NEED_PATH}, each with its own {what}: ask `policy.policy_for(path)`"
            ))
        })
    }

    /// Route `index`'s policy as a policy of its own.
    fn route_policy(&self, py: Python<'_>, index: usize) -> Option<Policy> {
        let policy = self.inner.routes()[index].policy()?;
        Some(Policy {
            inner: PolicySet::single(policy.clone()),
            predicates: vec![self.predicates[index].as_ref().map(|p| p.clone_ref(py))],
        })
    }
}

#[pymethods]
impl Policy {
    /// Builds a policy from keyword arguments named like the SPEC §2 keys.
    #[new]
    #[pyo3(signature = (
        *,
        origins=None,
        credentials=None,
        methods=None,
        request_headers=None,
        expose_headers=None,
        max_age=None,
        preflight_status=None,
        refused_preflight_status=None,
        private_network=None,
        dangerous=None,
        format=None,
        origin_predicate=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        origins: Option<Bound<'_, PyAny>>,
        credentials: Option<Bound<'_, PyAny>>,
        methods: Option<Bound<'_, PyAny>>,
        request_headers: Option<Bound<'_, PyAny>>,
        expose_headers: Option<Bound<'_, PyAny>>,
        max_age: Option<Bound<'_, PyAny>>,
        preflight_status: Option<Bound<'_, PyAny>>,
        refused_preflight_status: Option<Bound<'_, PyAny>>,
        private_network: Option<Bound<'_, PyAny>>,
        dangerous: Option<Bound<'_, PyAny>>,
        format: Option<Bound<'_, PyAny>>,
        origin_predicate: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let given = [
            ("origins", origins),
            ("credentials", credentials),
            ("methods", methods),
            ("request_headers", request_headers),
            ("expose_headers", expose_headers),
            ("max_age", max_age),
            ("preflight_status", preflight_status),
            ("refused_preflight_status", refused_preflight_status),
            ("private_network", private_network),
            ("dangerous", dangerous),
            ("format", format),
        ];
        let mut converter = Converter::default();
        let mut map = Map::new();
        for (key, value) in given {
            if let Some(v) = value {
                // One level into the policy, as under `from_dict`.
                map.insert(key.to_owned(), converter.value(&v, key, 1)?);
            }
        }
        let value = Value::Object(map);
        build_value(py, &value, &converter, origin_predicate)
    }

    /// Builds a policy from a dict in the SPEC §2 format (as parsed from
    /// JSON), or a dict of `routes` and `policies`.
    #[staticmethod]
    #[pyo3(signature = (policy, *, origin_predicate=None))]
    fn from_dict(
        py: Python<'_>,
        policy: &Bound<'_, PyAny>,
        origin_predicate: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut converter = Converter::default();
        let value = converter.value(policy, "policy", 0)?;
        build_value(py, &value, &converter, origin_predicate)
    }

    /// Parses and validates a JSON policy.
    #[staticmethod]
    #[pyo3(signature = (text, *, origin_predicate=None))]
    fn from_json(
        py: Python<'_>,
        text: &str,
        origin_predicate: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        build_text(py, text, false, origin_predicate)
    }

    /// Parses and validates a TOML policy.
    #[staticmethod]
    #[pyo3(signature = (text, *, origin_predicate=None))]
    fn from_toml(
        py: Python<'_>,
        text: &str,
        origin_predicate: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        build_text(py, text, true, origin_predicate)
    }

    /// Reads a policy file: TOML when the name ends in `.toml`, JSON when it
    /// ends in `.json`, otherwise JSON if the text starts with `{`.
    #[staticmethod]
    #[pyo3(signature = (path, *, origin_predicate=None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        origin_predicate: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let text = std::fs::read_to_string(&path)?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let toml = match ext.to_ascii_lowercase().as_str() {
            "toml" => true,
            "json" => false,
            _ => !text.trim_start().starts_with('{'),
        };
        build_text(py, &text, toml, origin_predicate)
    }

    /// Decides a request from its method and header lines: an iterable of
    /// `(name, value)` pairs or a mapping, names and values `str` or `bytes`.
    /// Only `Origin` and the `Access-Control-Request-*` lines are read.
    /// `path` (the request path, `str` or `bytes`) picks the route; a
    /// policy with routes needs it.
    #[pyo3(signature = (method, headers=None, *, path=None))]
    fn decide(
        slf: &Bound<'_, Self>,
        method: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        path: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let mut lines = Lines::new();
        if let Some(h) = headers {
            lines.collect(h)?;
        }
        decision::decide(slf, method, lines, path)
    }

    /// Decides a request from the four header values a middleware has looked
    /// up (`None` when absent, one line each): the fast path.
    #[pyo3(signature = (method, origin=None, request_method=None, request_headers=None, private_network=None, *, path=None))]
    #[allow(clippy::too_many_arguments)]
    fn decide_values(
        slf: &Bound<'_, Self>,
        method: &Bound<'_, PyAny>,
        origin: Option<&Bound<'_, PyAny>>,
        request_method: Option<&Bound<'_, PyAny>>,
        request_headers: Option<&Bound<'_, PyAny>>,
        private_network: Option<&Bound<'_, PyAny>>,
        path: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let mut lines = Lines::new();
        let values = [origin, request_method, request_headers, private_network];
        for (header, value) in RequestHeader::ALL.into_iter().zip(values) {
            if let Some(v) = value {
                if !v.is_none() {
                    lines.push(header, v)?;
                }
            }
        }
        decision::decide(slf, method, lines, path)
    }

    /// Legal but risky choices in this policy, and routes that can never
    /// match (SPEC §7).
    fn lint(&self) -> Vec<LintWarning> {
        self.inner.lint().iter().map(LintWarning::from).collect()
    }

    /// The policy as data in the SPEC §2 format, defaults included (for a
    /// policy with routes, a dict of `routes` and `policies`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.to_value())
    }

    /// Whether the policy has routes (then `decide` needs the `path`).
    #[getter]
    fn has_routes(&self) -> bool {
        self.inner.as_single().is_none()
    }

    /// The routes, in matching order: `(pattern, policy)` pairs, `policy`
    /// `None` where the route is not CORS. A policy without routes is one
    /// route, `"/**"`.
    #[getter]
    fn routes(&self, py: Python<'_>) -> Vec<(String, Option<Policy>)> {
        self.inner
            .routes()
            .iter()
            .enumerate()
            .map(|(i, r)| (r.pattern().to_owned(), self.route_policy(py, i)))
            .collect()
    }

    /// The policy that answers `path`; `None` outside every route and on a
    /// route that is not CORS.
    fn policy_for(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Option<Policy>> {
        let text = crate::text::header_text(path, "path")?;
        let index = self.inner.route_index(crate::text::view(&text));
        Ok(index.and_then(|i| self.route_policy(py, i)))
    }

    /// Whether `Access-Control-Allow-Credentials: true` is sent.
    #[getter]
    fn credentials(&self) -> PyResult<bool> {
        Ok(self.one("credentials")?.credentials())
    }

    /// Whether the policy is `origins = ["*"]`.
    #[getter]
    fn is_any_origin(&self) -> PyResult<bool> {
        Ok(self.one("origins")?.is_any_origin())
    }

    /// Whether an origin predicate was given (to any route's policy).
    #[getter]
    fn has_origin_predicate(&self) -> bool {
        self.inner.has_origin_predicate()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let Some(single) = self.inner.as_single() else {
            let routes: Vec<String> = self
                .inner
                .routes()
                .iter()
                .map(|r| py_repr(py, r.pattern()))
                .collect();
            return format!("Policy(routes=[{}])", routes.join(", "));
        };
        let origins: Vec<String> = single
            .config()
            .origins
            .iter()
            .map(|o| py_repr(py, o))
            .collect();
        format!(
            "Policy(origins=[{}], credentials={}{})",
            origins.join(", "),
            if single.credentials() {
                "True"
            } else {
                "False"
            },
            if single.has_origin_predicate() {
                ", origin_predicate=..."
            } else {
                ""
            }
        )
    }
}

fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any(),
            None => n.as_f64().unwrap_or(0.0).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_python(py, v)?)?;
            }
            dict.into_any()
        }
    })
}
