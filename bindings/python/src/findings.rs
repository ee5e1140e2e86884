//! What corsgate says about a policy or a refusal: `PolicyError` with its
//! problems (SPEC §4), lint warnings (SPEC §7) and explanations.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

pyo3::create_exception!(
    corsgate,
    PolicyError,
    PyValueError,
    "A policy that cannot be built. `errors` holds every problem found, each a `Problem`."
);

/// One reason a policy cannot be built: a stable `code`, the policy `key`
/// it is about (`max_age`, `private_network.id`, `origins[2]`), the
/// offending `value`, a `message` and a one-line `fix`.
#[pyclass(frozen, eq, hash, module = "corsgate", get_all)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    code: &'static str,
    key: String,
    value: String,
    message: String,
    fix: String,
}

/// A legal but risky choice in a policy (`Policy.lint()`): a stable `code`,
/// the policy `key`, the `value`, a `message` and a `fix`.
#[pyclass(frozen, eq, hash, module = "corsgate", get_all)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LintWarning {
    code: &'static str,
    key: String,
    value: String,
    message: String,
    fix: String,
}

/// `s` quoted the way Python's `repr` quotes it.
pub fn py_repr(py: Python<'_>, s: &str) -> String {
    PyString::new(py, s)
        .repr()
        .map(|r| r.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("{s:?}"))
}

fn finding_repr(py: Python<'_>, kind: &str, code: &str, value: &str, message: &str) -> String {
    format!(
        "{kind}(code={}, value={}, message={})",
        py_repr(py, code),
        py_repr(py, value),
        py_repr(py, message)
    )
}

#[pymethods]
impl Problem {
    fn __repr__(&self, py: Python<'_>) -> String {
        finding_repr(py, "Problem", self.code, &self.value, &self.message)
    }

    fn __str__(&self) -> String {
        format!("[{}] {} (fix: {})", self.code, self.message, self.fix)
    }
}

#[pymethods]
impl LintWarning {
    fn __repr__(&self, py: Python<'_>) -> String {
        finding_repr(py, "LintWarning", self.code, &self.value, &self.message)
    }

    fn __str__(&self) -> String {
        format!("[{}] {} (fix: {})", self.code, self.message, self.fix)
    }
}

impl From<&corsgate::Warning> for LintWarning {
    fn from(w: &corsgate::Warning) -> Self {
        LintWarning {
            code: w.code.as_str(),
            key: w.key.clone(),
            value: w.value.clone(),
            message: w.message.clone(),
            fix: w.fix.clone(),
        }
    }
}

impl From<&corsgate::Problem> for Problem {
    fn from(p: &corsgate::Problem) -> Self {
        Problem {
            code: p.code.as_str(),
            key: p.key.clone(),
            value: p.value.clone(),
            message: p.message.clone(),
            fix: p.fix.clone(),
        }
    }
}

/// `PolicyError` listing every problem (never empty), with `.errors` set.
pub fn policy_error(py: Python<'_>, problems: &[corsgate::Problem]) -> PyErr {
    let n = problems.len();
    let mut message = format!(
        "invalid CORS policy ({n} problem{}):",
        if n == 1 { "" } else { "s" }
    );
    for p in problems {
        message.push_str("\n  ");
        message.push_str(&p.to_string());
    }
    let exc = PolicyError::new_err(message);
    let items = problems.iter().map(Problem::from);
    match PyTuple::new(py, items).and_then(|t| exc.value(py).setattr("errors", t)) {
        Ok(()) => exc,
        Err(e) => e,
    }
}

/// Why a request was refused, for the person who must fix it.
#[pyclass(frozen, module = "corsgate", get_all)]
pub struct Explanation {
    /// The reason code, as in `Decision.reason`.
    reason: &'static str,
    /// What failed, quoting the request (escaped).
    summary: String,
    /// The message Chrome prints in the console.
    chrome: String,
    /// The message Firefox prints in the console.
    firefox: String,
    /// The policy change that would allow the request, or why none should.
    fix: String,
}

#[pymethods]
impl Explanation {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Explanation(reason={}, summary={}, fix={})",
            py_repr(py, self.reason),
            py_repr(py, &self.summary),
            py_repr(py, &self.fix)
        )
    }

    fn __str__(&self) -> String {
        format!("{}: {} (fix: {})", self.reason, self.summary, self.fix)
    }
}

impl From<corsgate::Explanation> for Explanation {
    fn from(e: corsgate::Explanation) -> Self {
        Explanation {
            reason: e.reason.as_str(),
            summary: e.summary,
            chrome: e.chrome,
            firefox: e.firefox,
            fix: e.fix,
        }
    }
}
