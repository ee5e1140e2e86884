//! The committed include/corsgate.h is what the pinned cbindgen generates.

#[test]
fn committed_header_is_current() {
    let crate_dir = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let committed = std::fs::read(format!("{crate_dir}/../../include/corsgate.h")).unwrap();
    assert!(
        generated == committed,
        "include/corsgate.h is stale: run `cargo run -p corsgate-ffi --example generate_header`"
    );
}

/// The result codes are written once, as the enum cbindgen reads (it cannot
/// see items a macro generates); `corsgate_result_name` must name exactly
/// the codes the header declares, with the header's spelling and values.
#[test]
fn result_names_match_the_header_enum() {
    use corsgate_ffi::{corsgate_result, corsgate_result_name, corsgate_str};
    let header = include_str!("../../../include/corsgate.h");
    let start = header
        .find("enum corsgate_result\n")
        .expect("enum corsgate_result");
    let body = &header[start..];
    let body = &body[..body.find("};").unwrap()];
    let declared: Vec<(String, u32)> = body
        .lines()
        .filter_map(|l| {
            let (name, value) = l.trim().trim_end_matches(',').split_once(" = ")?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect();
    assert!(declared.len() >= 9, "{declared:?}");
    let mut named = Vec::new();
    for value in 0..64 {
        let mut out = std::mem::MaybeUninit::<corsgate_str>::uninit();
        match corsgate_result_name(value, out.as_mut_ptr()) {
            corsgate_result::Ok => {
                // SAFETY: written by the OK call; static storage.
                let s = unsafe { out.assume_init() };
                let bytes = unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len) };
                named.push((String::from_utf8(bytes.to_vec()).unwrap(), value));
            }
            corsgate_result::InvalidArgument => {}
            other => panic!("corsgate_result_name({value}) returned {other:?}"),
        }
    }
    assert_eq!(named, declared);
}
