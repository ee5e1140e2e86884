//! `max_age`, `preflight_status` and `refused_preflight_status`: the
//! numbers of a preflight's answer.

use crate::config::PolicyConfig;
use crate::error::{ErrorCode, Problem};
use crate::limits::MAX_MAX_AGE;

/// Validates `max_age`; the `Access-Control-Max-Age` value, if any.
pub(crate) fn max_age(config: &PolicyConfig, problems: &mut Vec<Problem>) -> Option<Box<[u8]>> {
    match config.max_age {
        None => None,
        Some(s) if (0..=i64::from(MAX_MAX_AGE)).contains(&s) => {
            Some(s.to_string().into_bytes().into_boxed_slice())
        }
        Some(s) => {
            problems.push(Problem::new(
                ErrorCode::MaxAgeOutOfRange,
                "max_age",
                s.to_string(),
                format!("`max_age` is {s}, outside 0..=86400 seconds"),
                "use a value from 0 to 86400 (Chrome caps it at 7200), or remove it",
            ));
            None
        }
    }
}

/// Validates `preflight_status`; the status of an allowed preflight.
pub(crate) fn status(config: &PolicyConfig, problems: &mut Vec<Problem>) -> u16 {
    match u16::try_from(config.preflight_status) {
        Ok(s) if (200..=299).contains(&s) => s,
        _ => {
            let s = config.preflight_status;
            problems.push(Problem::new(
                ErrorCode::InvalidPreflightStatus,
                "preflight_status",
                s.to_string(),
                format!(
                    "`preflight_status` is {s}; browsers accept a preflight only with a 2xx status"
                ),
                "use 204 (the default) or 200",
            ));
            204
        }
    }
}

/// Validates `refused_preflight_status`; the status of a refused preflight.
/// A 2xx would pass the browser's status check (the CORS check still fails,
/// but the refusal would read as a success in logs and caches), a 3xx is a
/// redirect a preflight may not follow, a 5xx says the server failed: a
/// refusal is the client's request being declined, a 4xx.
pub(crate) fn refused_status(config: &PolicyConfig, problems: &mut Vec<Problem>) -> u16 {
    match u16::try_from(config.refused_preflight_status) {
        Ok(s) if (400..=499).contains(&s) => s,
        _ => {
            let s = config.refused_preflight_status;
            problems.push(Problem::new(
                ErrorCode::InvalidPreflightStatus,
                "refused_preflight_status",
                s.to_string(),
                format!("`refused_preflight_status` is {s}; a refused preflight is answered with a 4xx status"),
                "use 403 (the default) or 400",
            ));
            403
        }
    }
}
