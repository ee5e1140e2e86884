//! The response-side rules a host applies, from core: which headers corsgate
//! owns, and how `Vary` is merged.

use corsgate::host::VaryMerge;

use crate::boundary::{corsgate_result, ffi_boundary, slice, write};
use crate::types::{corsgate_bytes, corsgate_str};

/// Writes to `*out` the `Content-Length` value of a preflight answer the
/// host writes itself with `status` (its body is empty): `"0"` (static
/// storage), or an empty string for a 204, which carries none.
#[no_mangle]
pub extern "C" fn corsgate_preflight_content_length(
    status: u16,
    out: *mut corsgate_str,
) -> corsgate_result {
    ffi_boundary! {
        require(out);
        let value = corsgate::host::preflight_content_length(status).unwrap_or("");
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(out, corsgate_str::new(value.as_bytes())) };
        Ok(())
    }
}

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

/// Merges a decision's `Vary` tokens (`tokens`, `tokens_len`: its `vary`)
/// into the `Vary` lines a response already has (`lines`, `lines_len`, in
/// order; any number, possibly none), as SPEC §5 says: tokens already
/// present (compared without case) are not repeated, `Vary: *` is left
/// alone, trailing separators of the last line are dropped.
///
/// When something changes, writes the new value of the **last** line (or,
/// with no lines, of a new `Vary` line) to `buf` and its length to
/// `*len_out`; when `buf_len < *len_out` the result is
/// `CORSGATE_RESULT_BUFFER_TOO_SMALL` and nothing is written to `buf` (`buf`
/// may be NULL when `buf_len` is 0, to ask for the length). When nothing
/// changes the result is `CORSGATE_RESULT_UNCHANGED` with `*len_out = 0`.
/// Never allocates.
#[no_mangle]
pub extern "C" fn corsgate_vary_merge(
    lines: *const corsgate_bytes,
    lines_len: usize,
    tokens: *const corsgate_str,
    tokens_len: usize,
    buf: *mut u8,
    buf_len: usize,
    len_out: *mut usize,
) -> corsgate_result {
    ffi_boundary! {
        require(len_out);
        // SAFETY: the boundary checked `len_out`; the caller vouched for it.
        unsafe { write(len_out, 0) };
        if buf.is_null() && buf_len > 0 {
            return Err(corsgate_result::NullParameter);
        }
        // SAFETY: the caller vouches for the (pointer, length) pairs.
        let lines = unsafe { slice(lines, lines_len) }?;
        // SAFETY: as above.
        let tokens = unsafe { slice(tokens, tokens_len) }?;
        let mut names = [""; corsgate::limits::MAX_VARY_TOKENS];
        if tokens.len() > names.len() {
            return Err(corsgate_result::InvalidArgument);
        }
        for (name, token) in names.iter_mut().zip(tokens) {
            // SAFETY: the caller vouches for the (pointer, length) pair.
            let bytes = unsafe { slice(token.data.cast::<u8>(), token.len) }?;
            *name = std::str::from_utf8(bytes).map_err(|_| corsgate_result::InvalidArgument)?;
        }
        let mut merge = VaryMerge::new(&names[..tokens.len()]);
        let mut last: &[u8] = &[];
        for line in lines {
            // SAFETY: the caller vouches for each line's (pointer, length) pair.
            last = unsafe { slice(line.data, line.len) }?;
            merge.read(last);
        }
        let len = merge.merged_len(last).ok_or(corsgate_result::Unchanged)?;
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(len_out, len) };
        if buf_len < len {
            return Err(corsgate_result::BufferTooSmall);
        }
        // SAFETY: `buf` is not NULL (len > 0 as the merge adds a token, and
        // NULL was refused with buf_len > 0) and holds `buf_len >= len` bytes
        // the caller lets us write; it does not overlap the lines or tokens
        // (the caller's duty, include/README.md).
        let out = unsafe { std::slice::from_raw_parts_mut(buf, len) };
        merge.write_merged(last, out);
        Ok(())
    }
}
