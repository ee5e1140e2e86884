//! `corsgate._corsgate`: the Python face of the corsgate engine.
//!
//! Thin newtypes over the core crate: a [`policy::Policy`] wraps
//! `corsgate::Policy`, a [`decision::Decision`] keeps what `decide` answered.
//! Every policy, whatever its source (keyword arguments, a dict, JSON, TOML,
//! a file), goes through `PolicyBuilder::from_value`, the one validator. No
//! CORS rule lives here: this crate only converts at the edge.
#![deny(unsafe_code)]

mod decision;
mod findings;
mod host;
mod policy;
mod text;

use pyo3::prelude::*;

/// corsgate: one audited CORS engine (Rust), with Python bindings.
#[pymodule]
mod _corsgate {
    use pyo3::prelude::*;
    use pyo3::types::PyTuple;

    #[pymodule_export]
    use crate::decision::Decision;
    #[pymodule_export]
    use crate::findings::{Explanation, LintWarning, PolicyError, Problem};
    #[pymodule_export]
    use crate::policy::Policy;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        let py = m.py();
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add("CORE_VERSION", corsgate::VERSION)?;
        // A PolicyError raised by hand has no problems; ours always set some.
        py.get_type::<PolicyError>()
            .setattr("errors", PyTuple::empty(py))?;
        use corsgate::limits;
        m.add("MAX_ORIGIN_LEN", limits::MAX_ORIGIN_LEN)?;
        m.add("MAX_REQUEST_METHOD_LEN", limits::MAX_REQUEST_METHOD_LEN)?;
        m.add("MAX_REQUEST_HEADERS_LEN", limits::MAX_REQUEST_HEADERS_LEN)?;
        m.add(
            "MAX_REQUEST_HEADERS_LINES",
            limits::MAX_REQUEST_HEADERS_LINES,
        )?;
        Ok(())
    }

    /// Whether a response header named `name` (`str` or `bytes`, any case) is
    /// one corsgate owns on the routes it covers (`Access-Control-*`,
    /// `Private-Network-Access-*`): remove the application's copy before
    /// setting a decision's headers (SPEC §5).
    #[pyfunction]
    fn is_cors_response_header(name: &Bound<'_, PyAny>) -> PyResult<bool> {
        crate::text::with_name(name, corsgate::host::is_cors_response_header)
    }

    /// Whether `origin` is a canonical serialized origin as browsers send it
    /// (`null` is not).
    #[pyfunction]
    fn is_valid_origin(origin: &Bound<'_, PyAny>) -> PyResult<bool> {
        let text = crate::text::header_text(origin, "origin")?;
        Ok(corsgate::is_valid_origin(crate::text::view(&text)))
    }
}
