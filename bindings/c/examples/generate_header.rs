//! Writes include/corsgate.h from this crate's source with the pinned
//! cbindgen; tests/suites/c.sh runs it and fails when the committed file differs.

fn main() {
    let crate_dir = env!("CARGO_MANIFEST_DIR");
    let path = std::path::Path::new(crate_dir).join("../../include/corsgate.h");
    let config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml"))
        .expect("bindings/c/cbindgen.toml");
    let changed = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write_to_file(&path);
    println!(
        "{} {}",
        if changed { "wrote" } else { "unchanged:" },
        path.display()
    );
}
