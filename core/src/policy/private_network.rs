//! `private_network` (Private Network Access): validation of the device id
//! and name, and whether such preflights may be granted.

use crate::config::PrivateNetworkConfig;
use crate::error::{ErrorCode, Problem};

/// Validates `private_network` (pushing every problem); whether private
/// network preflights may be granted.
pub(crate) fn compile(
    pn: &PrivateNetworkConfig,
    any_origin: bool,
    problems: &mut Vec<Problem>,
) -> bool {
    if let Some(id) = &pn.id {
        if !is_private_network_id(id) {
            problems.push(Problem::new(
                ErrorCode::InvalidPrivateNetworkId,
                "private_network.id",
                id,
                format!("`private_network.id` {id:?} is not six colon-separated hex bytes"),
                "write it like `01:23:45:67:89:0A`",
            ));
        }
    }
    if let Some(name) = &pn.name {
        if !is_private_network_name(name) {
            problems.push(Problem::new(
                ErrorCode::InvalidPrivateNetworkName,
                "private_network.name",
                name,
                format!("`private_network.name` {name:?} must be 1 to 248 of a-z, 0-9, _, . and -"),
                format!("use a lowercase name like {:?}", suggest_device_name(name)),
            ));
        }
    }
    if pn.allow && any_origin {
        problems.push(Problem::new(
            ErrorCode::AnyOriginWithPrivateNetwork,
            "private_network.allow",
            "*",
            "`private_network.allow` with `origins = [\"*\"]` would let every site on the internet reach this device",
            "list the origins that may reach the private network",
        ));
    }
    pn.allow
}

pub(super) fn is_private_network_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 17
        && b.chunks(3).all(|c| {
            c[0].is_ascii_hexdigit() && c[1].is_ascii_hexdigit() && (c.len() == 2 || c[2] == b':')
        })
}

pub(super) fn is_private_network_name(name: &str) -> bool {
    (1..=248).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        })
}

pub(super) fn suggest_device_name(name: &str) -> String {
    let s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' | '.' | '-' => c,
            _ => '-',
        })
        .take(248)
        .collect();
    if s.is_empty() {
        "my-device".to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_network_fields() {
        assert!(is_private_network_id("01:23:45:67:89:0A"));
        assert!(!is_private_network_id("01:23:45:67:89"));
        assert!(!is_private_network_id("01-23-45-67-89-0A"));
        assert!(is_private_network_name("printer_2.local-net"));
        assert!(!is_private_network_name("Printer"));
        assert!(!is_private_network_name(""));
    }
}
