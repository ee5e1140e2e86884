//! Runs every SPEC §8 vector in `tests/conformance/` through the Rust API.

use corsgate::PolicySet;
use corsgate_testkit::{
    build, build_set, compare, load_route_vectors, load_vectors, request, Observed,
};

#[test]
fn every_conformance_vector_passes() {
    let mut failures = Vec::new();
    let (mut cases, mut invalid) = (0, 0);
    for vector in load_vectors() {
        match (&vector.errors, build(&vector.policy)) {
            (Some(codes), Ok(_)) => failures.push(format!(
                "{}: built, but must fail with {codes:?}",
                vector.file
            )),
            (Some(codes), Err(err)) => {
                invalid += 1;
                let got: Vec<&str> = err.problems().iter().map(|p| p.code.as_str()).collect();
                for code in codes {
                    if !got.contains(&code.as_str()) {
                        failures.push(format!(
                            "{}: missing error {code}; got {got:?}",
                            vector.file
                        ));
                    }
                }
                for p in err.problems() {
                    assert!(
                        !p.message.is_empty() && !p.fix.is_empty(),
                        "{}: {p:?}",
                        vector.file
                    );
                }
            }
            (None, Err(err)) => failures.push(format!("{}: policy refused: {err}", vector.file)),
            (None, Ok(policy)) => {
                for case in &vector.cases {
                    cases += 1;
                    let req = request(case);
                    let decision = policy.decide(&req);
                    let diffs = compare(&Observed::from_decision(&decision), &case.expect);
                    if !diffs.is_empty() {
                        failures.push(format!(
                            "{} / {}:\n    {}",
                            vector.file,
                            case.name,
                            diffs.join("\n    ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} conformance failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases >= 200, "only {cases} request cases");
    println!("conformance: {cases} request cases and {invalid} invalid policies passed");
}

#[test]
fn every_route_vector_passes() {
    let mut failures = Vec::new();
    let (mut cases, mut invalid) = (0, 0);
    for vector in load_route_vectors() {
        match (&vector.errors, build_set(&vector.policy)) {
            (Some(codes), Ok(_)) => failures.push(format!(
                "{}: built, but must fail with {codes:?}",
                vector.file
            )),
            (Some(codes), Err(err)) => {
                invalid += 1;
                let got: Vec<&str> = err.problems().iter().map(|p| p.code.as_str()).collect();
                for code in codes {
                    if !got.contains(&code.as_str()) {
                        failures.push(format!(
                            "{}: missing error {code}; got {got:?}",
                            vector.file
                        ));
                    }
                }
            }
            (None, Err(err)) => failures.push(format!("{}: policy refused: {err}", vector.file)),
            (None, Ok(set)) => {
                // A route file is not a single policy.
                assert!(build(&vector.policy).is_err(), "{}", vector.file);
                // Written back out, the set reads as itself.
                let again = PolicySet::from_value(&set.to_value())
                    .unwrap_or_else(|e| panic!("{}: to_value reads back as {e}", vector.file));
                for case in &vector.cases {
                    cases += 1;
                    let req = request(case);
                    let decision = set.decide(case.path.as_bytes(), &req);
                    let reread = Observed::from_decision(&again.decide(case.path.as_bytes(), &req));
                    assert_eq!(
                        format!("{reread:?}"),
                        format!("{:?}", Observed::from_decision(&decision)),
                        "{} / {}: the set written by to_value decides differently",
                        vector.file,
                        case.name
                    );
                    let diffs = compare(&Observed::from_decision(&decision), &case.expect);
                    if !diffs.is_empty() {
                        failures.push(format!(
                            "{} / {} ({}):\n    {}",
                            vector.file,
                            case.name,
                            case.path,
                            diffs.join("\n    ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} route vector failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        cases >= 25 && invalid >= 5,
        "only {cases} route cases and {invalid} invalid files"
    );
    println!("routes: {cases} request cases and {invalid} invalid route files passed");
}

/// Every single-policy vector reads as a one-route set deciding the same.
#[test]
fn single_policy_files_are_one_route_sets() {
    for vector in load_vectors() {
        let (Ok(policy), Ok(set)) = (build(&vector.policy), build_set(&vector.policy)) else {
            assert!(build_set(&vector.policy).is_err(), "{}", vector.file);
            continue;
        };
        assert!(set.as_single().is_some());
        for case in &vector.cases {
            let req = request(case);
            for path in ["/", "/any/path", "*", ""] {
                let a = Observed::from_decision(&policy.decide(&req));
                let b = Observed::from_decision(&set.decide(path.as_bytes(), &req));
                assert_eq!(
                    format!("{a:?}"),
                    format!("{b:?}"),
                    "{} / {}",
                    vector.file,
                    case.name
                );
            }
        }
    }
}
