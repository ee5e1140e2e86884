//! The response-side rules a host applies, from core: which headers corsgate owns.

use crate::boundary::{corsgate_result, ffi_boundary, slice, write};

/// Writes to `*out` whether a response header named `name` (`len` bytes, any
/// case) is one corsgate owns on the routes it covers (`Access-Control-*`,
/// `Private-Network-Access-*`): a host removes the application's copy before
/// setting the decision's headers (SPEC §5).
#[no_mangle]
pub extern "C" fn corsgate_response_header_is_cors(
    name: *const u8,
    len: usize,
    out: *mut bool,
) -> corsgate_result {
    ffi_boundary! {
        require(out);
        // SAFETY: the caller vouches for `len` readable bytes at `name`.
        let name = unsafe { slice(name, len) }?;
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(out, corsgate::host::is_cors_response_header(name)) };
        Ok(())
    }
}
