//! Shared pieces of the fuzz targets: the conformance policies, the input
//! encoding, and the one invariant check (`oracle::verify`) the property
//! tests also use.

use std::sync::OnceLock;

use corsgate::Policy;

pub use corsgate_testkit::oracle;

/// Header lines as (name, value) bytes.
pub type Lines = Vec<(Vec<u8>, Vec<u8>)>;

/// Every valid policy in `tests/conformance/`, in file order.
pub fn conformance_policies() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(corsgate_testkit::vectors::valid_policies)
}

const NAMES: [&str; 5] = [
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "access-control-request-private-network",
    "x-other",
];

/// Decodes `[method] 0xFF ([selector][value] 0xFF)*`: the selector picks the
/// header name (and its case), the value runs to the next 0xFF.
pub fn decode_request(data: &[u8]) -> (Vec<u8>, Lines) {
    let mut fields = data.split(|&b| b == 0xFF);
    let method = fields.next().unwrap_or_default().to_vec();
    let lines = fields
        .filter_map(|f| {
            let (&sel, value) = f.split_first()?;
            let name = NAMES[usize::from(sel) % NAMES.len()];
            let name = if (sel / 5) % 2 == 1 {
                name.to_ascii_uppercase()
            } else {
                name.to_owned()
            };
            Some((name.into_bytes(), value.to_vec()))
        })
        .collect();
    (method, lines)
}
