//! The version and the names of result codes, kinds and reasons.

use crate::boundary::{corsgate_result, ffi_boundary, write};
use crate::types::{corsgate_kind, corsgate_reason, corsgate_str};

/// Writes corsgate's version (e.g. `0.1.0`, static storage) to `*out`.
#[no_mangle]
pub extern "C" fn corsgate_version(out: *mut corsgate_str) -> corsgate_result {
    ffi_boundary! {
        require(out);
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(out, corsgate_str::new(corsgate::VERSION.as_bytes())) };
        Ok(())
    }
}

/// Writes the name of a result code (e.g. `CORSGATE_RESULT_OK`, static
/// storage) to `*out`; `CORSGATE_RESULT_INVALID_ARGUMENT` for an unknown code.
#[no_mangle]
pub extern "C" fn corsgate_result_name(result: u32, out: *mut corsgate_str) -> corsgate_result {
    ffi_boundary! {
        require(out);
        let code = corsgate_result::ALL
            .into_iter()
            .find(|c| *c as u32 == result)
            .ok_or(corsgate_result::InvalidArgument)?;
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(out, corsgate_str::new(code.name().as_bytes())) };
        Ok(())
    }
}

/// Writes the SPEC name of a kind (`not-cors`, `preflight`, `actual`, static
/// storage) to `*out`; `CORSGATE_RESULT_INVALID_ARGUMENT` for an unknown kind.
#[no_mangle]
pub extern "C" fn corsgate_kind_name(kind: u32, out: *mut corsgate_str) -> corsgate_result {
    ffi_boundary! {
        require(out);
        let kind = corsgate_kind::from_u32(kind).ok_or(corsgate_result::InvalidArgument)?;
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(out, corsgate_str::new(kind.as_str().as_bytes())) };
        Ok(())
    }
}

/// Writes the SPEC code of a reason (e.g. `origin-not-allowed`, static
/// storage; empty for `CORSGATE_REASON_NONE`) to `*out`;
/// `CORSGATE_RESULT_INVALID_ARGUMENT` for an unknown reason.
#[no_mangle]
pub extern "C" fn corsgate_reason_name(reason: u32, out: *mut corsgate_str) -> corsgate_result {
    ffi_boundary! {
        require(out);
        let reason = corsgate_reason::from_u32(reason).ok_or(corsgate_result::InvalidArgument)?;
        let name = reason.map_or("", |r| r.as_str());
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(out, corsgate_str::new(name.as_bytes())) };
        Ok(())
    }
}
