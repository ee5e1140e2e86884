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
