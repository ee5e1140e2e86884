//! Reading a Python request into a core `Request`, and `corsgate.Decision`:
//! what `decide` answered, copied out of core's borrowed decision.

use corsgate::host::VaryMerge;
use corsgate::{Answer, Check, HeaderName, Kind, Reason, Refusal, Request, RequestHeader};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::findings::{py_repr, Explanation};
use crate::host;
use crate::policy::{ask, Policy};
use crate::text::{header_text, view, with_name};

/// Lines kept per header: enough to give core exactly what it would read (a
/// second line already makes a single-valued header invalid; ACRH overflows
/// at line 17).
const fn keep(header: RequestHeader) -> u8 {
    match header {
        RequestHeader::RequestHeaders => corsgate::limits::MAX_REQUEST_HEADERS_LINES as u8 + 1,
        _ => 2,
    }
}

/// Lines kept without a heap allocation; browsers send at most three.
const INLINE: usize = 4;

/// The CORS-relevant header lines of one request, in the order received,
/// each the `str` or `bytes` object the caller gave.
pub(crate) struct Lines {
    inline: [(RequestHeader, Option<Py<PyAny>>); INLINE],
    len: usize,
    spill: Vec<(RequestHeader, Py<PyAny>)>,
    seen: [u8; 4],
}

impl Lines {
    pub(crate) fn new() -> Self {
        Lines {
            inline: [const { (RequestHeader::Origin, None) }; INLINE],
            len: 0,
            spill: Vec::new(),
            seen: [0; 4],
        }
    }

    /// Keeps the value of a line of `header`.
    pub(crate) fn push(&mut self, header: RequestHeader, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let text = header_text(value, &format!("the {} value", header.as_str()))?.unbind();
        let seen = &mut self.seen[header.index()];
        if *seen < keep(header) {
            *seen += 1;
            if self.len < INLINE {
                self.inline[self.len] = (header, Some(text));
                self.len += 1;
            } else {
                self.spill.push((header, text));
            }
        }
        Ok(())
    }

    fn pair(&mut self, name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        match with_name(name, RequestHeader::from_name)? {
            Some(header) => self.push(header, value),
            None => Ok(()),
        }
    }

    /// Reads a mapping or an iterable of `(name, value)` pairs.
    pub(crate) fn collect(&mut self, headers: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(list) = headers.cast::<PyList>() {
            for item in list.iter() {
                self.item(&item)?;
            }
            return Ok(());
        }
        if let Ok(dict) = headers.cast::<PyDict>() {
            for (k, v) in dict.iter() {
                self.pair(&k, &v)?;
            }
            return Ok(());
        }
        if headers.is_instance_of::<PyString>() || headers.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(
                "headers must be a mapping or an iterable of (name, value) pairs, not a string",
            ));
        }
        let items = if headers.hasattr(intern!(headers.py(), "items"))? {
            headers.call_method0(intern!(headers.py(), "items"))?
        } else {
            headers.clone()
        };
        let iter = items.try_iter().map_err(|_| {
            PyTypeError::new_err("headers must be a mapping or an iterable of (name, value) pairs")
        })?;
        for item in iter {
            self.item(&item?)?;
        }
        Ok(())
    }

    fn item(&mut self, item: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(t) = item.cast::<PyTuple>() {
            if t.len() == 2 {
                let name = t.get_borrowed_item(0)?;
                return match with_name(&name, RequestHeader::from_name)? {
                    Some(header) => self.push(header, &*t.get_borrowed_item(1)?),
                    None => Ok(()),
                };
            }
        } else if let Ok(l) = item.cast::<PyList>() {
            if l.len() == 2 {
                return self.pair(&l.get_item(0)?, &l.get_item(1)?);
            }
        }
        Err(PyTypeError::new_err(format!(
            "each header must be a (name, value) pair, not {}",
            item.repr()?
        )))
    }

    /// The request core sees, borrowing these lines.
    fn request<'a>(&'a self, py: Python<'a>, method: &'a Py<PyAny>) -> Request<'a> {
        let mut request = Request::new(view(method.bind(py)));
        let inline = self.inline[..self.len]
            .iter()
            .filter_map(|(header, v)| v.as_ref().map(|v| (*header, v)));
        let spilled = self.spill.iter().map(|(header, v)| (*header, v));
        for (header, value) in inline.chain(spilled) {
            request.push(header, view(value.bind(py)));
        }
        request
    }
}

const NONE: (HeaderName, u32, u32) = (HeaderName::AllowOrigin, 0, 0);

fn needs_path() -> PyErr {
    pyo3::exceptions::PyValueError::new_err(
        "this policy has routes: pass the request path, as decide(..., path=request.path)",
    )
}

/// What the policy decided for one request (SPEC §5).
#[pyclass(frozen, module = "corsgate")]
pub struct Decision {
    kind: Kind,
    allowed: bool,
    status: Option<u16>,
    reason: Option<Reason>,
    vary: &'static [&'static str],
    /// Header values, back to back; `spans` cut them out.
    values: Vec<u8>,
    spans: [(HeaderName, u32, u32); HeaderName::ALL.len()],
    len: u8,
    /// What a refusal recorded, copied: `explain` renders it.
    refusal: Option<Recorded>,
}

/// A core [`Refusal`](corsgate::Refusal), owning its bytes.
struct Recorded {
    kind: Kind,
    check: Check,
    origin: Option<Vec<u8>>,
    value: Vec<u8>,
}

pub(crate) fn decide(
    slf: &Bound<'_, Policy>,
    method: &Bound<'_, PyAny>,
    lines: Lines,
    path: Option<&Bound<'_, PyAny>>,
) -> PyResult<Decision> {
    let py = slf.py();
    let method = header_text(method, "method")?.unbind();
    let policy = slf.get();
    let set = &policy.inner;
    let index = match (set.as_single(), path) {
        (Some(_), _) => Some(0),
        (None, Some(path)) => set.route_index(view(&header_text(path, "path")?)),
        (None, None) => return Err(needs_path()),
    };
    let route = index.and_then(|i| {
        let p = set.routes()[i].policy()?;
        Some((p, policy.predicates[i].as_ref()))
    });
    let mut values = Vec::new();
    let mut spans = [NONE; HeaderName::ALL.len()];
    let mut len = 0;
    let mut pending = None;
    let (kind, allowed, status, reason, vary, refusal) = {
        let request = lines.request(py, &method);
        let d = match route {
            Some((route_policy, predicate)) => {
                let mut asker = |origin: &str| match predicate {
                    Some(p) => ask(py, p, origin, &mut pending),
                    None => false,
                };
                // The Python predicate is asked from inside the one decision.
                route_policy.decide_with(&request, Answer::Ask(&mut asker))
            }
            None => corsgate::Decision::outside_routes(),
        };
        values.reserve_exact(d.headers().map(|h| h.value.len()).sum());
        for (slot, h) in spans.iter_mut().zip(d.headers()) {
            let start = values.len() as u32;
            values.extend_from_slice(h.value);
            *slot = (h.name, start, values.len() as u32);
            len += 1;
        }
        let refusal = d.refusal().map(|r| Recorded {
            kind: r.kind(),
            check: r.check(),
            origin: r.origin().map(<[u8]>::to_vec),
            value: r.value().to_vec(),
        });
        (
            d.kind(),
            d.allowed(),
            d.status(),
            d.reason(),
            d.vary(),
            refusal,
        )
    };
    if let Some(err) = pending {
        return Err(err);
    }
    Ok(Decision {
        kind,
        allowed,
        status,
        reason,
        vary,
        values,
        spans,
        len: len as u8,
        refusal,
    })
}

fn kind_str(py: Python<'_>, kind: Kind) -> Bound<'_, PyString> {
    match kind {
        Kind::NotCors => intern!(py, "not-cors").clone(),
        Kind::Preflight => intern!(py, "preflight").clone(),
        Kind::Actual => intern!(py, "actual").clone(),
        other => PyString::intern(py, other.as_str()),
    }
}

fn reason_str(py: Python<'_>, reason: Reason) -> Bound<'_, PyString> {
    match reason {
        Reason::OriginNotAllowed => intern!(py, "origin-not-allowed").clone(),
        Reason::InvalidOrigin => intern!(py, "invalid-origin").clone(),
        Reason::MethodNotAllowed => intern!(py, "method-not-allowed").clone(),
        Reason::InvalidMethod => intern!(py, "invalid-method").clone(),
        Reason::HeaderNotAllowed => intern!(py, "header-not-allowed").clone(),
        Reason::InvalidRequestHeaders => intern!(py, "invalid-request-headers").clone(),
        other => PyString::intern(py, other.as_str()),
    }
}

fn name_str(py: Python<'_>, name: HeaderName) -> Bound<'_, PyString> {
    match name {
        HeaderName::AllowOrigin => intern!(py, "Access-Control-Allow-Origin").clone(),
        HeaderName::AllowCredentials => intern!(py, "Access-Control-Allow-Credentials").clone(),
        HeaderName::AllowMethods => intern!(py, "Access-Control-Allow-Methods").clone(),
        HeaderName::AllowHeaders => intern!(py, "Access-Control-Allow-Headers").clone(),
        HeaderName::MaxAge => intern!(py, "Access-Control-Max-Age").clone(),
        HeaderName::AllowPrivateNetwork => {
            intern!(py, "Access-Control-Allow-Private-Network").clone()
        }
        HeaderName::PrivateNetworkAccessId => intern!(py, "Private-Network-Access-ID").clone(),
        HeaderName::PrivateNetworkAccessName => intern!(py, "Private-Network-Access-Name").clone(),
        HeaderName::ExposeHeaders => intern!(py, "Access-Control-Expose-Headers").clone(),
        other => PyString::intern(py, other.as_str()),
    }
}

fn vary_str<'py>(py: Python<'py>, token: &'static str) -> Bound<'py, PyString> {
    match token {
        "Origin" => intern!(py, "Origin").clone(),
        "Access-Control-Request-Method" => intern!(py, "Access-Control-Request-Method").clone(),
        "Access-Control-Request-Headers" => intern!(py, "Access-Control-Request-Headers").clone(),
        "Access-Control-Request-Private-Network" => {
            intern!(py, "Access-Control-Request-Private-Network").clone()
        }
        other => PyString::new(py, other),
    }
}

/// Lowercase header names as `bytes`, made once, for ASGI.
static RAW_NAMES: PyOnceLock<Vec<Py<PyBytes>>> = PyOnceLock::new();

fn raw_name(py: Python<'_>, name: HeaderName) -> &Py<PyBytes> {
    let names = RAW_NAMES.get_or_init(py, || {
        HeaderName::ALL
            .iter()
            .map(|n| PyBytes::new(py, n.lowercase().as_bytes()).unbind())
            .collect()
    });
    let i = HeaderName::ALL.iter().position(|n| *n == name).unwrap_or(0);
    &names[i]
}

type StrPair<'py> = (Bound<'py, PyString>, Bound<'py, PyString>);
type RawPair<'py> = (Py<PyBytes>, Bound<'py, PyBytes>);

impl Decision {
    fn str_pairs<'a, 'py: 'a>(
        &'a self,
        py: Python<'py>,
    ) -> impl ExactSizeIterator<Item = StrPair<'py>> + 'a {
        // Every value is visible ASCII (SPEC §6.4), hence valid UTF-8.
        self.header_values().map(move |(name, value)| {
            let value = PyString::new(py, std::str::from_utf8(value).unwrap_or_default());
            (name_str(py, name), value)
        })
    }

    fn raw_pairs<'a, 'py: 'a>(
        &'a self,
        py: Python<'py>,
    ) -> impl ExactSizeIterator<Item = RawPair<'py>> + 'a {
        self.header_values()
            .map(move |(name, value)| (raw_name(py, name).clone_ref(py), PyBytes::new(py, value)))
    }

    fn header_values(&self) -> impl ExactSizeIterator<Item = (HeaderName, &[u8])> {
        self.spans[..usize::from(self.len)]
            .iter()
            .map(|&(name, start, end)| (name, &self.values[start as usize..end as usize]))
    }
}

#[pymethods]
impl Decision {
    /// `"not-cors"`, `"preflight"` or `"actual"` (SPEC §1).
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        kind_str(py, self.kind)
    }

    /// True exactly when the response carries `Access-Control-Allow-Origin`.
    #[getter]
    fn allowed(&self) -> bool {
        self.allowed
    }

    /// For a preflight, the status to answer with; `None` otherwise.
    #[getter]
    fn status(&self) -> Option<u16> {
        self.status
    }

    /// Why the request was refused; `None` when allowed and for `not-cors`.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        self.reason.map(|r| reason_str(py, r))
    }

    /// The headers to set, as `(name, value)` strings in their usual spelling.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.str_pairs(py))
    }

    /// The headers to set as lowercase `(name, value)` bytes, as ASGI sends them.
    #[getter]
    fn raw_headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.raw_pairs(py))
    }

    /// Tokens to merge into `Vary`: append the missing ones, never overwrite,
    /// leave `Vary: *` alone.
    #[getter]
    fn vary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.vary.iter().map(|t| vary_str(py, t)))
    }

    /// A response's `(name, value)` `str` pairs (WSGI) with this decision
    /// applied: its headers replace the application's, other
    /// `Access-Control-*` headers are dropped, the `Vary` tokens are merged.
    fn apply<'py>(&self, headers: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = headers.py();
        let name = intern!(py, "Vary").clone().into_any();
        host::apply(headers, self.str_pairs(py), self.vary, name)
    }

    /// [`apply`](Self::apply) for `bytes` pairs, as ASGI sends them.
    fn apply_raw<'py>(&self, headers: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = headers.py();
        let name = PyBytes::new(py, b"vary").into_any();
        host::apply(headers, self.raw_pairs(py), self.vary, name)
    }

    /// The `Vary` value after merging this decision's tokens into `current`
    /// (`None` when absent); `None` to leave it as it is.
    fn merge_vary(&self, current: Option<&str>) -> Option<String> {
        if self.vary.is_empty() {
            return None;
        }
        let Some(current) = current else {
            return Some(self.vary.join(", "));
        };
        let mut seen = VaryMerge::new(self.vary);
        seen.read(current.as_bytes());
        let merged: Vec<u8> = seen
            .merged(current.as_bytes())?
            .flatten()
            .copied()
            .collect();
        Some(String::from_utf8_lossy(&merged).into_owned())
    }

    /// Why the request was refused, with the browsers' console messages and
    /// the policy change that would allow it; `None` when nothing was refused.
    /// `url` is the resource URL, quoted in the console messages.
    #[pyo3(signature = (url=""))]
    fn explain(&self, url: &str) -> Option<Explanation> {
        let r = self.refusal.as_ref()?;
        let refusal = Refusal::new(r.kind, r.check, r.origin.as_deref(), &r.value);
        Some(Explanation::from(refusal.explain(url)))
    }

    /// For a preflight answered by the host itself (empty body), the
    /// `Content-Length` to send: `None` for a 204 (which carries none) and
    /// for the other kinds.
    #[getter]
    fn content_length(&self) -> Option<&'static str> {
        self.status
            .and_then(corsgate::host::preflight_content_length)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let reason = self
            .reason
            .map_or("None".to_owned(), |r| py_repr(py, r.as_str()));
        let status = self.status.map_or("None".to_owned(), |s| s.to_string());
        format!(
            "Decision(kind={}, allowed={}, status={status}, reason={reason})",
            py_repr(py, self.kind.as_str()),
            if self.allowed { "True" } else { "False" },
        )
    }
}
