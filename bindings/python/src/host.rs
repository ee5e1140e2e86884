//! Applying a decision to a response's header list (SPEC §5), for the
//! adapters: the decision's headers replace the application's, any other
//! `Access-Control-*` header the application set is dropped, and the `Vary`
//! tokens are merged: appended when missing (compared without case), never
//! overwriting, `Vary: *` left alone.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::text::with_name;

use corsgate::host::{is_cors_response_header as is_cors_name, VaryMerge};

fn pair<'py>(item: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    if let Ok(t) = item.cast::<PyTuple>() {
        if t.len() == 2 {
            return Ok((t.get_item(0)?, t.get_item(1)?));
        }
    } else if let Ok(l) = item.cast::<PyList>() {
        if l.len() == 2 {
            return Ok((l.get_item(0)?, l.get_item(1)?));
        }
    }
    Err(PyTypeError::new_err(format!(
        "each response header must be a (name, value) pair, not {}",
        item.repr()?
    )))
}

fn value_bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_string_lossy().into_owned().into_bytes());
    }
    Err(PyTypeError::new_err(format!(
        "a response header value must be str or bytes, not {}",
        value.get_type().name()?
    )))
}

/// Calls `f` on each item of a list (fast) or any other iterable.
fn for_each<'py>(
    items: &Bound<'py, PyAny>,
    mut f: impl FnMut(Bound<'py, PyAny>) -> PyResult<()>,
) -> PyResult<()> {
    if let Ok(list) = items.cast::<PyList>() {
        return list.iter().try_for_each(f);
    }
    for item in items.try_iter()? {
        f(item?)?;
    }
    Ok(())
}

/// The application's header list with the decision applied; `ours` are the
/// decision's pairs, in the same form (`str` or `bytes`) as `vary_name`.
pub(crate) fn apply<'py, I, P>(
    headers: &Bound<'py, PyAny>,
    ours: I,
    vary: &[&str],
    vary_name: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>>
where
    I: Iterator<Item = P>,
    P: IntoPyObject<'py>,
{
    let py = headers.py();
    let out = PyList::empty(py);
    let mut seen = VaryMerge::new(vary);
    let mut last_vary: Option<(usize, Bound<'py, PyAny>, Bound<'py, PyAny>)> = None;
    for_each(headers, |item| {
        let (name, value) = pair(&item)?;
        let (owned, is_vary) = with_name(&name, |n| {
            (is_cors_name(n), n.eq_ignore_ascii_case(b"vary"))
        })?;
        if owned {
            return Ok(());
        }
        if is_vary {
            seen.read(&value_bytes(&value)?);
            last_vary = Some((out.len(), name, value));
        }
        out.append(item)
    })?;
    for pair in ours {
        out.append(pair)?;
    }
    if vary.is_empty() {
        return Ok(out);
    }
    let Some(missing) = seen.missing() else {
        return Ok(out);
    };
    let as_bytes = vary_name.is_instance_of::<PyBytes>();
    match last_vary {
        None => {
            let value = if as_bytes {
                PyBytes::new(py, missing.as_bytes()).into_any()
            } else {
                PyString::new(py, &missing).into_any()
            };
            out.append((vary_name, value))?;
        }
        Some((index, name, value)) => {
            let merged = VaryMerge::append(&value_bytes(&value)?, &missing);
            let value = if value.is_instance_of::<PyBytes>() {
                PyBytes::new(py, &merged).into_any()
            } else {
                PyString::new(py, &String::from_utf8_lossy(&merged)).into_any()
            };
            out.set_item(index, (name, value))?;
        }
    }
    Ok(out)
}
