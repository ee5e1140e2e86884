//! Gives the shared library its SONAME (see include/README.md, "Versions and
//! the SONAME"): `libcorsgate.so.<ABI>`, the name the dynamic loader looks
//! for, so that programs linked against one release keep loading later
//! releases with the same ABI number.

/// The ABI number: raised only when a released function changes its
/// signature or meaning, or is removed. New functions do not raise it.
const ABI: u32 = 0;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcorsgate.so.{ABI}");
    }
}
