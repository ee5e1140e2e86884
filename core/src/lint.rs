//! Legal but risky policy choices (SPEC §7).

use crate::error::{Warning, WarningCode};
use crate::fetch::NORMALIZED_METHODS;
use crate::limits::CHROME_MAX_AGE_CAP;
use crate::origin;
use crate::policy::{is_public_suffix, Policy};

impl Policy {
    /// Warnings about choices that are allowed but probably not meant.
    pub fn lint(&self) -> Vec<Warning> {
        let c = &self.config;
        let mut out = Vec::new();
        if let Some(age) = c.max_age {
            if age > i64::from(CHROME_MAX_AGE_CAP) {
                out.push(Warning::new(
                    WarningCode::MaxAgeAboveChromeCap,
"max_age",
                    age.to_string(),
                    format!("`max_age` is {age}, but Chrome caches preflights for at most {CHROME_MAX_AGE_CAP} seconds"),
                    format!("use {CHROME_MAX_AGE_CAP} or less"),
                ));
            }
        }
        for m in &c.methods {
            let normalized = NORMALIZED_METHODS.iter().any(|n| n.eq_ignore_ascii_case(m));
            if m.bytes().any(|b| b.is_ascii_lowercase()) && !normalized {
                let upper = m.to_ascii_uppercase();
                out.push(Warning::new(
                    WarningCode::LowercaseMethod,
"methods",
                    m,
                    format!("`methods` lists {m:?}: browsers send methods other than DELETE, GET, HEAD, OPTIONS, POST and PUT exactly as the script wrote them, so a script sending {upper:?} will be refused"),
                    format!("list {upper:?} (and keep {m:?} only if scripts really send it)"),
                ));
            }
        }
        for o in &c.origins {
            if o == "null" {
                out.push(Warning::new(
                    WarningCode::NullOriginAllowed,
                    "origins",
                    o,
                    "`origins` allows `null`, which any sandboxed iframe or file page can send",
                    "serve the page from a real origin and list that",
                ));
                continue;
            }
            let Ok(parts) = origin::parse(o.as_bytes(), true) else {
                continue;
            };
            if parts.is_insecure() {
                out.push(Warning::new(
                    WarningCode::InsecureOrigin,
                    "origins",
                    o,
                    format!(
                        "`origins` allows {o:?}, which anyone on the network path can impersonate"
                    ),
                    format!("use {:?}", o.replacen("http://", "https://", 1)),
                ));
            }
            if parts.wildcard && is_public_suffix(parts.host) {
                out.push(Warning::new(
                    WarningCode::PublicSuffixWildcard,
"origins",
                    o,
                    format!("`origins` allows {o:?}: anyone can register a site under that public suffix"),
                    "list your own subdomains instead",
                ));
            }
        }
        let pn = &c.private_network;
        if pn.allow {
            out.push(Warning::new(
                WarningCode::LegacyPrivateNetwork,
"private_network.allow",
                "true",
                "`private_network.allow` answers the legacy Private Network Access preflight, which Chrome is replacing with the Local Network Access permission prompt",
                "keep it for older Chrome versions, and plan for the permission prompt",
            ));
            if !c.credentials {
                out.push(Warning::new(
                    WarningCode::PrivateNetworkWithoutCredentials,
"private_network.allow",
                    "false",
                    "`private_network.allow` without `credentials`: no-cors private network preflights are credentialed and will fail",
                    "set `credentials = true` if pages load subresources from this device",
                ));
            }
        } else if pn.id.is_some() || pn.name.is_some() {
            out.push(Warning::new(
                WarningCode::PrivateNetworkFieldsUnused,
"private_network.id",
                pn.id.clone().or_else(|| pn.name.clone()).unwrap_or_default(),
                "`private_network.id`/`name` are set but `private_network.allow` is false, so they are never sent",
                "set `private_network.allow = true`, or remove them",
            ));
        }
        let d = &c.dangerous;
        for (on, key) in [
            (d.allow_null_origin, "allow_null_origin"),
            (
                d.allow_insecure_origins_with_credentials,
                "allow_insecure_origins_with_credentials",
            ),
            (
                d.allow_public_suffix_wildcards_with_credentials,
                "allow_public_suffix_wildcards_with_credentials",
            ),
        ] {
            if on {
                out.push(Warning::new(
                    WarningCode::DangerousOption,
                    format!("dangerous.{key}"),
                    "true",
                    format!("`dangerous.{key}` lifts a safety check"),
                    "make sure this is intended and reviewed",
                ));
            }
        }
        out
    }
}
