//! Every SPEC §8 vector through the C ABI, compared by the shared test kit
//! (the C program `tests/conformance.c` checks the same from C).

use std::mem::MaybeUninit;
use std::ptr::null_mut;

use corsgate_ffi::*;
use corsgate_testkit::{compare, load_vectors, Observed};

fn text(s: corsgate_str) -> String {
    // SAFETY: corsgate hands out `len` valid bytes that live as long as the
    // decision or the static tables they point into.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) })
        .into_owned()
}

fn name(call: impl FnOnce(*mut corsgate_str) -> corsgate_result) -> String {
    let mut s = MaybeUninit::uninit();
    assert_eq!(call(s.as_mut_ptr()), corsgate_result::Ok);
    // SAFETY: written by the OK call.
    text(unsafe { s.assume_init() })
}

fn bytes(b: &[u8]) -> corsgate_bytes {
    corsgate_bytes {
        data: b.as_ptr(),
        len: b.len(),
    }
}

#[test]
fn every_conformance_vector_passes_through_the_c_abi() {
    let (mut cases, mut invalid, mut failures) = (0, 0, Vec::new());
    for vector in load_vectors() {
        let json = vector.policy.to_string();
        let (mut policy, mut errors) = (null_mut(), null_mut());
        let r = corsgate_policy_from_json(json.as_ptr(), json.len(), &mut policy, &mut errors);
        if vector.errors.is_some() {
            invalid += 1;
            assert_eq!(r, corsgate_result::InvalidPolicy, "{}", vector.file);
            assert_eq!(corsgate_findings_free(errors), corsgate_result::Ok);
            continue;
        }
        assert_eq!(r, corsgate_result::Ok, "{}", vector.file);
        for case in &vector.cases {
            cases += 1;
            let lines: Vec<_> = case
                .headers
                .iter()
                .map(|(n, v)| corsgate_header_line {
                    name: bytes(n.as_bytes()),
                    value: bytes(v.as_bytes()),
                })
                .collect();
            let mut out = Box::new(MaybeUninit::<corsgate_decision>::uninit());
            let r = corsgate_policy_decide(
                policy,
                case.method.as_ptr(),
                case.method.len(),
                lines.as_ptr(),
                lines.len(),
                out.as_mut_ptr(),
            );
            assert_eq!(r, corsgate_result::Ok);
            // SAFETY: decide returned OK, so the decision is written.
            let d = unsafe { out.assume_init_ref() };
            let reason = d.reason as u32;
            let got = Observed {
                kind: name(|s| corsgate_kind_name(d.kind as u32, s)),
                allowed: d.allowed,
                status: (d.status != 0).then_some(d.status),
                reason: (reason != 0).then(|| name(|s| corsgate_reason_name(reason, s))),
                headers: d.headers[..d.headers_len]
                    .iter()
                    .map(|h| (text(h.name), text(h.value)))
                    .collect(),
                vary: d.vary[..d.vary_len].iter().map(|v| text(*v)).collect(),
            };
            let diffs = compare(&got, &case.expect);
            if !diffs.is_empty() {
                failures.push(format!(
                    "{} / {}: {}",
                    vector.file,
                    case.name,
                    diffs.join("; ")
                ));
            }
        }
        assert_eq!(corsgate_policy_free(policy), corsgate_result::Ok);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        cases >= 200 && invalid > 0,
        "{cases} cases, {invalid} invalid policies"
    );
}
