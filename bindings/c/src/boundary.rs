//! The one door between C and Rust: result codes, the `ffi_boundary!` macro
//! every export runs inside, and the checked conversions of C pointers.
//!
//! `tests/boundary.rs` parses this crate's source and fails when an
//! `extern "C"` function does not consist of exactly one `ffi_boundary!`.

use std::ffi::c_void;

/// The outcome of every `corsgate_*` call.
///
/// Values are stable and never reused: a retired code keeps its number and a
/// new code takes the next free one.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum corsgate_result {
    /// Success.
    Ok = 0,
    /// A bug in corsgate panicked and the call was abandoned (out-parameters
    /// may be partly written). Please report it.
    Panic = 1,
    /// A required pointer was NULL, or a (pointer, length) pair had a NULL
    /// pointer with a non-zero length.
    NullParameter = 2,
    /// The policy was refused; the problems are in `*errors_out`.
    InvalidPolicy = 3,
    /// The caller's buffer is too small; the needed length was reported.
    BufferTooSmall = 4,
    /// An index past the end of a findings list.
    OutOfRange = 5,
    /// The request was not refused (allowed, or not a CORS request), so there
    /// is nothing to explain.
    NothingToExplain = 6,
    /// An argument is out of its domain: an unknown enum value, or a length
    /// larger than any object can be.
    InvalidArgument = 7,
    /// Nothing to change (e.g. `Vary` already lists every token, or is `*`).
    Unchanged = 8,
    /// The policy file has routes: decide with `corsgate_policy_decide_path`
    /// (or `_values_path`), giving the request path.
    NeedsPath = 9,
}

impl corsgate_result {
    /// Every code, for `corsgate_result_name` and its tests.
    pub(crate) const ALL: [corsgate_result; 10] = [
        corsgate_result::Ok,
        corsgate_result::Panic,
        corsgate_result::NullParameter,
        corsgate_result::InvalidPolicy,
        corsgate_result::BufferTooSmall,
        corsgate_result::OutOfRange,
        corsgate_result::NothingToExplain,
        corsgate_result::InvalidArgument,
        corsgate_result::Unchanged,
        corsgate_result::NeedsPath,
    ];

    /// The name as C spells it, e.g. `CORSGATE_RESULT_NULL_PARAMETER`.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            corsgate_result::Ok => "CORSGATE_RESULT_OK",
            corsgate_result::Panic => "CORSGATE_RESULT_PANIC",
            corsgate_result::NullParameter => "CORSGATE_RESULT_NULL_PARAMETER",
            corsgate_result::InvalidPolicy => "CORSGATE_RESULT_INVALID_POLICY",
            corsgate_result::BufferTooSmall => "CORSGATE_RESULT_BUFFER_TOO_SMALL",
            corsgate_result::OutOfRange => "CORSGATE_RESULT_OUT_OF_RANGE",
            corsgate_result::NothingToExplain => "CORSGATE_RESULT_NOTHING_TO_EXPLAIN",
            corsgate_result::InvalidArgument => "CORSGATE_RESULT_INVALID_ARGUMENT",
            corsgate_result::Unchanged => "CORSGATE_RESULT_UNCHANGED",
            corsgate_result::NeedsPath => "CORSGATE_RESULT_NEEDS_PATH",
        }
    }
}

/// What an export's body returns: `Err` carries the code to hand back.
pub(crate) type Outcome = Result<(), corsgate_result>;

/// The boundary every export consists of:
///
/// ```text
/// #[no_mangle]
/// pub extern "C" fn corsgate_thing_verb(thing: *const corsgate_thing, out: *mut T) -> corsgate_result {
///     ffi_boundary! {
///         require(thing, out);
///         // body: returns Outcome, may use `?`
///     }
/// }
/// ```
///
/// It returns `NullParameter` when a `require`d pointer is NULL, runs the
/// body under `catch_unwind` (a panic becomes `Panic`, never an unwind into
/// C), and maps the body's `Outcome` to the result code.
macro_rules! ffi_boundary {
    (require($($required:ident),* $(,)?); $($body:tt)*) => {{
        $(
            if $crate::boundary::Nullable::is_null_arg(&$required) {
                return $crate::boundary::corsgate_result::NullParameter;
            }
        )*
        let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> $crate::boundary::Outcome { $($body)* },
        ));
        match outcome {
            Ok(Ok(())) => $crate::boundary::corsgate_result::Ok,
            Ok(Err(code)) => code,
            Err(_) => $crate::boundary::corsgate_result::Panic,
        }
    }};
}
pub(crate) use ffi_boundary;

/// Arguments the boundary can check for NULL.
pub(crate) trait Nullable {
    fn is_null_arg(&self) -> bool;
}

impl<T> Nullable for *const T {
    fn is_null_arg(&self) -> bool {
        self.is_null()
    }
}

impl<T> Nullable for *mut T {
    fn is_null_arg(&self) -> bool {
        self.is_null()
    }
}

/// Function pointers arrive as `Option<fn>`: NULL is `None`.
impl<T> Nullable for Option<T> {
    fn is_null_arg(&self) -> bool {
        self.is_none()
    }
}

/// Borrows `len` items at `ptr` (NULL is allowed only with `len == 0`).
///
/// # Safety
///
/// Unless NULL, `ptr` points to `len` initialized, aligned `T`s that stay
/// valid and unchanged for `'a`.
#[inline]
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], corsgate_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(corsgate_result::NullParameter);
    }
    if len > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(corsgate_result::InvalidArgument);
    }
    // SAFETY: `ptr` is not NULL, the total size fits in `isize`, and the
    // caller guarantees `len` valid `T`s for `'a`.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Writes `value` through an out-pointer the boundary found non-NULL.
///
/// # Safety
///
/// `out` is non-NULL, aligned and valid for a write of `T`.
#[inline]
pub(crate) unsafe fn write<T>(out: *mut T, value: T) {
    // SAFETY: guaranteed by the caller; `write` does not read or drop the
    // old (possibly uninitialized) contents.
    unsafe { out.write(value) }
}

/// The user data a C callback receives, moved between threads as the
/// documented contract allows (include/README.md: callbacks and their user
/// data must be callable from any thread at once).
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: corsgate never dereferences the pointer; it only hands it back to
// the caller's callback, which the documented contract requires to be
// thread-safe.
unsafe impl Send for UserData {}
// SAFETY: as for `Send`: shared use is the callback's documented duty.
unsafe impl Sync for UserData {}

#[cfg(test)]
mod tests {
    use super::*;

    fn guarded(p: *const u8, fail: bool) -> corsgate_result {
        ffi_boundary! {
            require(p);
            if fail {
                panic!("deliberate");
            }
            Err(corsgate_result::OutOfRange)
        }
    }

    #[test]
    fn boundary_checks_null_then_catches_panics() {
        let byte = 0u8;
        assert_eq!(
            guarded(std::ptr::null(), true),
            corsgate_result::NullParameter
        );
        assert_eq!(guarded(&byte, true), corsgate_result::Panic);
        assert_eq!(guarded(&byte, false), corsgate_result::OutOfRange);
    }

    #[test]
    fn result_values_are_stable() {
        for (i, code) in corsgate_result::ALL.iter().enumerate() {
            assert_eq!(*code as u32, i as u32, "{}", code.name());
        }
    }

    #[test]
    fn slices_refuse_null_with_length() {
        // SAFETY: NULL with a length is refused before any read.
        let r = unsafe { slice::<u8>(std::ptr::null(), 3) };
        assert_eq!(r, Err(corsgate_result::NullParameter));
        // SAFETY: a zero length never reads.
        let r = unsafe { slice::<u8>(std::ptr::null(), 0) };
        assert_eq!(r, Ok(&[][..]));
        let bytes = [1u8, 2];
        // SAFETY: an oversized length is refused before any read.
        let r = unsafe { slice(bytes.as_ptr(), usize::MAX) };
        assert_eq!(r, Err(corsgate_result::InvalidArgument));
    }
}
