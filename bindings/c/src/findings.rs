//! `corsgate_findings`: the problems of a refused policy, or the lint
//! warnings of a built one, walked by index.

use std::fmt::Display;

use corsgate::{ErrorCode, Finding};

use crate::boundary::{corsgate_result, ffi_boundary, write};
use crate::types::{corsgate_finding, corsgate_str};

/// A list of findings (errors or warnings). Immutable; free it with
/// `corsgate_findings_free`.
#[allow(non_camel_case_types)]
pub struct corsgate_findings {
    items: Vec<Item>,
}

struct Item {
    code: String,
    key: String,
    value: String,
    message: String,
    fix: String,
}

impl corsgate_findings {
    pub(crate) fn from_findings<C: Display>(findings: &[Finding<C>]) -> Self {
        let items = findings
            .iter()
            .map(|f| Item {
                code: f.code.to_string(),
                key: f.key.clone(),
                value: f.value.clone(),
                message: f.message.clone(),
                fix: f.fix.clone(),
            })
            .collect();
        corsgate_findings { items }
    }

    /// Policy text that is not UTF-8 never reaches the core's parsers.
    pub(crate) fn not_utf8(valid_up_to: usize) -> Self {
        corsgate_findings {
            items: vec![Item {
                code: ErrorCode::InvalidSyntax.as_str().to_owned(),
                key: String::new(),
                value: String::new(),
                message: format!(
                    "the policy is not valid UTF-8 (invalid byte at offset {valid_up_to})"
                ),
                fix: "save the policy as UTF-8".to_owned(),
            }],
        }
    }

    pub(crate) fn into_raw(self) -> *mut corsgate_findings {
        Box::into_raw(Box::new(self))
    }
}

/// Writes the number of findings to `*len_out`.
#[no_mangle]
pub extern "C" fn corsgate_findings_len(
    findings: *const corsgate_findings,
    len_out: *mut usize,
) -> corsgate_result {
    ffi_boundary! {
        require(findings, len_out);
        // SAFETY: a non-NULL findings pointer is live (contract).
        let findings = unsafe { &*findings };
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(len_out, findings.items.len()) };
        Ok(())
    }
}

/// Writes finding number `index` (from 0) to `*out`; its strings borrow
/// from `findings`. `CORSGATE_RESULT_OUT_OF_RANGE` past the end.
#[no_mangle]
pub extern "C" fn corsgate_findings_get(
    findings: *const corsgate_findings,
    index: usize,
    out: *mut corsgate_finding,
) -> corsgate_result {
    ffi_boundary! {
        require(findings, out);
        // SAFETY: a non-NULL findings pointer is live (contract).
        let findings = unsafe { &*findings };
        let item = findings.items.get(index).ok_or(corsgate_result::OutOfRange)?;
        let finding = corsgate_finding {
            code: corsgate_str::new(item.code.as_bytes()),
            key: corsgate_str::new(item.key.as_bytes()),
            value: corsgate_str::new(item.value.as_bytes()),
            message: corsgate_str::new(item.message.as_bytes()),
            fix: corsgate_str::new(item.fix.as_bytes()),
        };
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(out, finding) };
        Ok(())
    }
}

/// Frees a findings list. NULL is accepted and ignored.
#[no_mangle]
pub extern "C" fn corsgate_findings_free(findings: *mut corsgate_findings) -> corsgate_result {
    ffi_boundary! {
        require();
        if !findings.is_null() {
            // SAFETY: a non-NULL pointer came from `into_raw` and, by the
            // contract, is freed once and no longer used.
            drop(unsafe { Box::from_raw(findings) });
        }
        Ok(())
    }
}
