//! The constants a host may precompute once per policy: the fixed header
//! values (`Policy::fixed_headers`) and the joined `Vary` line
//! (`Decision::vary_line`) agree with every decision of every vector.

use corsgate::{HeaderName, Source};
use corsgate_testkit as support;

#[test]
fn fixed_headers_and_vary_line_match_every_decision() {
    let mut checked = 0;
    for vector in support::load_vectors() {
        let Ok(policy) = support::build(&vector.policy) else {
            continue;
        };
        let fixed: Vec<(HeaderName, &[u8])> = policy.fixed_headers().collect();
        for (i, (name, _)) in fixed.iter().enumerate() {
            assert!(
                fixed[..i].iter().all(|(n, _)| n != name),
                "{}: {name} listed twice",
                vector.file
            );
        }
        for case in &vector.cases {
            let decision = policy.decide(&support::request(case));
            assert_eq!(
                decision.vary_line(),
                decision.vary().join(", "),
                "{} / {}",
                vector.file,
                case.name
            );
            for header in decision.headers() {
                let constant = fixed.iter().find(|(n, _)| *n == header.name);
                match header.source {
                    Source::Policy => {
                        assert_eq!(
                            constant.map(|(_, v)| *v),
                            Some(header.value),
                            "{} / {}: {}",
                            vector.file,
                            case.name,
                            header.name
                        );
                        checked += 1;
                    }
                    _ => assert!(
                        constant.is_none(),
                        "{} / {}: {} is both fixed and per request",
                        vector.file,
                        case.name,
                        header.name
                    ),
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} fixed headers seen");
}
