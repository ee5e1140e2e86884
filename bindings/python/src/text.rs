//! Header text from Python objects, without copying on the hot path.
//!
//! A header value arrives as `bytes` (ASGI) or `str` (WSGI, Django). `bytes`
//! are read in place. A `str` is read through `PyUnicode_AsUTF8AndSize`,
//! which for an ASCII string returns the string's own buffer and otherwise
//! caches the UTF-8 form in the object: no allocation per request. That
//! function is in the stable ABI only from 3.10, but every CPython 3 exports
//! it on Linux and macOS, where symbols resolve against the running
//! interpreter; on Windows (where an abi3 module links `python3.dll`) a `str`
//! is encoded into a new `bytes` instead.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

#[cfg(not(windows))]
#[allow(unsafe_code)]
mod utf8 {
    use pyo3::ffi;
    use pyo3::prelude::*;
    use pyo3::types::PyString;

    extern "C" {
        fn PyUnicode_AsUTF8AndSize(
            unicode: *mut ffi::PyObject,
            size: *mut ffi::Py_ssize_t,
        ) -> *const std::os::raw::c_char;
    }

    /// The UTF-8 form of `s`, or `None` (error cleared) for lone surrogates.
    pub fn view<'a>(s: &'a Bound<'_, PyString>) -> Option<&'a [u8]> {
        let mut size: ffi::Py_ssize_t = 0;
        // SAFETY: `s` is a live `str` and we are attached to the interpreter.
        // The returned buffer belongs to the string object, is never mutated
        // (str is immutable) and lives as long as the object, which the
        // borrow `'a` of `s` keeps alive.
        unsafe {
            let ptr = PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size);
            if ptr.is_null() {
                drop(PyErr::take(s.py()));
                return None;
            }
            Some(std::slice::from_raw_parts(ptr.cast::<u8>(), size as usize))
        }
    }
}

/// `obj` ready to be viewed as header bytes by [`view`]: `bytes` and `str`
/// as they are, a `str` that has no UTF-8 form (lone surrogates) encoded
/// with `surrogatepass`, so such a value is simply invalid, never an error.
pub(crate) fn header_text<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyAny>> {
    if obj.is_instance_of::<PyBytes>() {
        return Ok(obj.clone());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        #[cfg(not(windows))]
        if utf8::view(s).is_some() {
            return Ok(obj.clone());
        }
        return match s.encode_utf8() {
            Ok(b) => Ok(b.into_any()),
            Err(_) => s.call_method1(intern!(obj.py(), "encode"), ("utf-8", "surrogatepass")),
        };
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be str or bytes, not {}",
        obj.get_type().name()?
    )))
}

/// The bytes of an object returned by [`header_text`].
pub(crate) fn view<'a>(obj: &'a Bound<'_, PyAny>) -> &'a [u8] {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return b.as_bytes();
    }
    #[cfg(not(windows))]
    if let Ok(s) = obj.cast::<PyString>() {
        return utf8::view(s).unwrap_or_default();
    }
    &[]
}

/// Calls `f` with a header name's bytes (`str` or `bytes`).
pub(crate) fn with_name<R>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        #[cfg(not(windows))]
        return Ok(f(utf8::view(s).unwrap_or_default()));
        #[cfg(windows)]
        return Ok(f(s.to_string_lossy().as_bytes()));
    }
    Err(PyTypeError::new_err(format!(
        "a header name must be str or bytes, not {}",
        obj.get_type().name()?
    )))
}
