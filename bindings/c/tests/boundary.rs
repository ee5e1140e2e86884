//! Every export is `#[no_mangle] pub extern "C" fn … -> corsgate_result`
//! whose whole body is one `ffi_boundary!`, and the header declares exactly
//! the exports. Parses the crate's source, so a new export that bypasses the
//! boundary fails here.

use std::collections::BTreeSet;
use std::path::Path;

/// The crate's non-test source, file by file.
fn sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests sit at the end of a file, after `#[cfg(test)]`;
            // comments (doc examples included) are not code.
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .flat_map(|l| [l, "\n"])
                .collect();
            out.push((
                path.file_name().unwrap().to_string_lossy().into_owned(),
                code,
            ));
        }
    }
    assert!(
        out.len() >= 3,
        "source files not found in {}",
        dir.display()
    );
    out
}

/// Index just past the brace that closes the one opening at `open`,
/// skipping string literals.
fn matching_brace(text: &[u8], open: usize) -> usize {
    assert_eq!(text[open], b'{');
    let (mut depth, mut i) = (0usize, open);
    while i < text.len() {
        match text[i] {
            b'"' => {
                i += 1;
                while text[i] != b'"' {
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced braces");
}

fn skip_ws(text: &[u8], mut i: usize) -> usize {
    while text[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// (file, export name) for every named `extern "C" fn`, after checking its shape.
fn exports() -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut no_mangle = 0;
    let mut boundaries = 0;
    for (file, code) in sources() {
        no_mangle += code.matches("#[no_mangle]").count();
        boundaries += code.matches("ffi_boundary! {").count();
        let bytes = code.as_bytes();
        for (at, _) in code.match_indices("extern \"C\" fn") {
            let rest = &code[at + "extern \"C\" fn".len()..];
            if rest.starts_with('(') {
                continue; // a function pointer type, e.g. the origin callback
            }
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let head = code[..at].trim_end();
            assert!(
                head.ends_with("#[no_mangle]\npub"),
                "{file}: {name} must be `#[no_mangle] pub extern \"C\" fn`"
            );
            let sig_end = at + rest.find('{').expect("a body") + "extern \"C\" fn".len();
            assert!(
                code[at..sig_end].trim_end().ends_with("-> corsgate_result"),
                "{file}: {name} must return corsgate_result"
            );
            let body_end = matching_brace(bytes, sig_end);
            let i = skip_ws(bytes, sig_end + 1);
            assert!(
                code[i..].starts_with("ffi_boundary! {"),
                "{file}: {name} must begin with `ffi_boundary! {{`"
            );
            let macro_end = matching_brace(bytes, i + "ffi_boundary! ".len());
            assert_eq!(
                skip_ws(bytes, macro_end) + 1,
                body_end,
                "{file}: {name} must consist of the ffi_boundary! alone"
            );
            found.push((file.clone(), name));
        }
    }
    assert_eq!(
        no_mangle,
        found.len(),
        "#[no_mangle] count differs from extern \"C\" fns"
    );
    assert_eq!(
        boundaries,
        found.len(),
        "ffi_boundary! uses differ from extern \"C\" fns"
    );
    found
}

#[test]
fn every_export_goes_through_the_boundary() {
    let exports = exports();
    assert!(exports.len() >= 16, "only {} exports found", exports.len());
    for (file, name) in &exports {
        assert!(
            name.starts_with("corsgate_"),
            "{file}: {name} lacks the corsgate_ prefix"
        );
    }
}

#[test]
fn the_header_declares_exactly_the_exports() {
    let header = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../include/corsgate.h"),
    )
    .unwrap();
    let declared: BTreeSet<String> = header
        .lines()
        .filter_map(|l| l.strip_prefix("corsgate_result "))
        .map(|l| l.split('(').next().unwrap().to_owned())
        .collect();
    let exported: BTreeSet<String> = exports().into_iter().map(|(_, n)| n).collect();
    assert_eq!(declared, exported);
}
