//! Runs every SPEC §8 vector in `tests/conformance/` through the Rust API.

use corsgate_testkit::{build, compare, load_vectors, request, Observed};

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
