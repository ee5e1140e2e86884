#!/usr/bin/env bash
# The release artefacts (dist/build), installed as users install them:
#   - one version everywhere (dist/version --check, and each artefact's own);
#   - the crate: cargo publish --dry-run;
#   - without cargo or rustc on PATH: the abi3 wheel in fresh venvs (the whole
#     Python suite on the system CPython; the vectors on 3.9 and 3.13), the
#     npm tarballs in a fresh project (the vectors and the README's
#     examples, the platform-package error), the C tarball (shared and
#     static builds of a quick start, the CLI on the README's example);
#   - the Debian packages with dpkg -i: the library through pkg-config, the
#     CLI, nginx and Apache httpd with the module enabled the Debian way and
#     their whole suites run against it, a2dismod/a2enmod; then purged, the
#     machine left as it was;
#   - the sdist: pip install builds it (with the toolchain) and the Python
#     suite passes again.
# Run by tests/run from the repository root, as root on Debian (it needs
# dpkg -i); after the python and node suites, whose builds it reuses.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$target"
target=$(cd "$target" && pwd)
dist="$target/dist"
work="$target/release-check"
export PIP_DISABLE_PIP_VERSION_CHECK=1

packages=(libcorsgate0 libcorsgate-dev corsgate libnginx-mod-http-corsgate libapache2-mod-corsgate)
# `! cmd` never stops a `set -e` script; refute does: it fails when CMD succeeds.
refute() { if "$@"; then echo "release: expected this to fail: $*" >&2; exit 1; fi; }
installed() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^ii'; }
cleanup() {   # purge what this check installed, in one dpkg run (they depend on each other)
  local present=()
  for pkg in "${packages[@]}"; do
    if dpkg-query -W "$pkg" >/dev/null 2>&1; then present+=("$pkg"); fi
  done
  [ ${#present[@]} -eq 0 ] || dpkg --purge "${present[@]}" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "--- one version (dist/version --check)"
dist/version --check
version=$(dist/version)
echo "version $version"

echo "--- build: dist/build"
dist/build

echo "--- crate: cargo publish --dry-run -p corsgate"
cargo publish --dry-run --quiet --locked --allow-dirty -p corsgate --target-dir "$target/dist-work/cargo-package" 2>&1 |
  grep -v '^warning: aborting upload due to dry run$' || true
tar -tzf "$dist/corsgate-$version.crate" >"$target/dist-work/crate-files"
for file in README.md LICENSE-MIT LICENSE-APACHE Cargo.toml src/lib.rs; do
  grep -qx "corsgate-$version/$file" "$target/dist-work/crate-files" ||
    { echo "release: the crate has no $file" >&2; exit 1; }
done

rm -rf "$work"
mkdir -p "$work"

# A PATH without the Rust toolchain: every command of /usr/local/bin and
# /usr/bin except cargo, rustc and their kin (Debian's rustc lives in
# /usr/bin too, so leaving a directory out is not enough).
norust="$work/bin"
mkdir -p "$norust"
for dir in /usr/local/bin /usr/bin /usr/local/sbin /usr/sbin; do
  for f in "$dir"/*; do
    name=${f##*/}
    case $name in cargo | cargo-* | rustc | rustdoc | rustup | rustfmt | rust-* | clippy-driver | maturin) continue ;; esac
    [ -e "$norust/$name" ] || ln -s "$f" "$norust/$name"
  done
done
no_rust() { env -u CARGO -u RUSTC -u RUSTUP_HOME -u RUSTUP_TOOLCHAIN -u CARGO_HOME -u CARGO_TARGET_DIR PATH="$norust" "$@"; }
no_rust sh -c '! command -v cargo && ! command -v rustc' >/dev/null ||
  { echo "release: cargo or rustc is still on the PATH of the no-Rust checks" >&2; exit 1; }

echo "--- python: the abi3 wheel in fresh venvs, without cargo or rustc"
wheel=$(ls "$dist"/corsgate-"$version"-cp39-abi3-manylinux_*_x86_64.whl)
venv="$work/venv"
no_rust /usr/bin/python3 -m venv "$venv"
no_rust "$venv/bin/pip" install --quiet -r bindings/python/requirements-dev.txt
no_rust "$venv/bin/pip" install --quiet --no-index "$wheel"
got=$(no_rust "$venv/bin/python" -c 'import corsgate; print(corsgate.__version__, corsgate.CORE_VERSION)')
[ "$got" = "$version $version" ] || { echo "release: corsgate.__version__, CORE_VERSION = $got, expected $version" >&2; exit 1; }
# The whole suite, against the installed wheel (the tests import corsgate from site-packages).
(cd bindings/python && no_rust "$venv/bin/python" -m pytest -q -p no:cacheprovider -W error tests | tail -n 1)
for py in ~/.pyenv/versions/3.9.*/bin/python3 ~/.pyenv/versions/3.13.*/bin/python3; do
  [ -x "$py" ] || continue
  minor=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  v="$work/venv-$minor"
  no_rust "$py" -m venv "$v"
  if [ "$minor" = 3.9 ]; then
    no_rust "$v/bin/pip" install --quiet -r tests/release/requirements-pytest-py39.txt
  else
    no_rust "$v/bin/pip" install --quiet $(grep -E '^(pytest|iniconfig|pluggy|packaging|Pygments)==' bindings/python/requirements-dev.txt)
  fi
  no_rust "$v/bin/pip" install --quiet --no-index "$wheel"
  echo "CPython $minor: $(cd bindings/python && no_rust "$v/bin/python" -m pytest -q -p no:cacheprovider -W error tests/test_conformance.py | tail -n 1)"
done

echo "--- node: the npm tarballs in a fresh project, without cargo or rustc"
project="$work/npm-project"
mkdir -p "$project"
cp tests/release/package.json "$project/"
(cd "$project" && no_rust npm install --silent --no-audit --no-fund \
  "$dist/corsgate-linux-x64-gnu-$version.tgz" "$dist/corsgate-$version.tgz")
[ ! -e "$project/node_modules/corsgate/corsgate.node" ] || { echo "release: the main npm package carries an addon" >&2; exit 1; }
[ -f "$project/node_modules/corsgate/corsgate.wasm" ] || { echo "release: the npm package has no corsgate.wasm" >&2; exit 1; }
got=$(cd "$project" && no_rust node -p "[require('corsgate/package.json').version, require('corsgate').VERSION].join(' ')")
[ "$got" = "$version $version" ] || { echo "release: npm package version, VERSION = $got, expected $version" >&2; exit 1; }
CORSGATE_PROJECT="$project" no_rust node --test bindings/node/test/conformance.test.js bindings/node/test/readme.test.js |
  grep -E '^# (tests|pass|fail)'
# Without the platform package, the error names it.
mv "$project/node_modules/corsgate-linux-x64-gnu" "$work/hidden-platform-package"
if out=$(cd "$project" && no_rust node -e "require('corsgate')" 2>&1); then
  echo "release: corsgate loaded without its platform package" >&2
  exit 1
fi
grep -q 'the package corsgate-linux-x64-gnu is not installed' <<<"$out" ||
  { echo "release: unclear error without the platform package: $out" >&2; exit 1; }
mv "$work/hidden-platform-package" "$project/node_modules/corsgate-linux-x64-gnu"
echo "without corsgate-linux-x64-gnu: $(grep -o 'corsgate: the native addon[^.]*' <<<"$out" | head -n 1)"

echo "--- c: the tarball, without cargo or rustc"
tar -C "$work" -xzf "$dist/corsgate-$version-x86_64-linux-gnu.tar.gz"
prefix="$work/corsgate-$version-x86_64-linux-gnu"
[ "$(objdump -p "$prefix/lib/libcorsgate.so.$version" | awk '$1 == "SONAME" { print $2 }')" = libcorsgate.so.0 ]
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic)
# shellcheck disable=SC2046
no_rust gcc "${cflags[@]}" tests/release/quickstart.c $(pkg-config --cflags --libs corsgate) -o "$work/quickstart"
readelf -d "$work/quickstart" | grep -q 'NEEDED.*\[libcorsgate.so.0\]'
LD_LIBRARY_PATH="$prefix/lib" no_rust "$work/quickstart" "$version" | head -n 1
# shellcheck disable=SC2046
no_rust gcc "${cflags[@]}" tests/release/quickstart.c $(pkg-config --cflags corsgate) \
  "$(pkg-config --variable=libdir corsgate)/libcorsgate.a" \
  $(pkg-config --static --libs-only-l corsgate | sed 's/-lcorsgate //') -o "$work/quickstart-static"
refute grep -q corsgate <(readelf -d "$work/quickstart-static")
no_rust "$work/quickstart-static" "$version" >/dev/null
unset PKG_CONFIG_PATH
[ "$(no_rust "$prefix/bin/corsgate" --version)" = "corsgate $version" ]
no_rust "$prefix/bin/corsgate" decide --policy examples/policy.toml <examples/requests.jsonl >"$work/decide.jsonl"
cmp "$work/decide.jsonl" <(cargo run --quiet --release --locked -p corsgate-cli -- decide --policy examples/policy.toml <examples/requests.jsonl)
echo "the tarball's CLI decides the README's example as the tree's does"

echo "--- debian: dpkg -i, the module enabled the Debian way"
for pkg in "${packages[@]}"; do
  if installed "$pkg"; then
    echo "release: $pkg is installed already; the check installs and purges it, so remove it first" >&2
    trap - EXIT
    exit 1
  fi
done
debs=()
for pkg in "${packages[@]}"; do debs+=("$dist/${pkg}_${version}-1_amd64.deb"); done
for deb in "${debs[@]}"; do
  [ "$(dpkg-deb -f "$deb" Version)" = "$version-1" ]
done
dpkg -i "${debs[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
for pkg in "${packages[@]}"; do installed "$pkg"; done
[ "$(/usr/bin/corsgate --version)" = "corsgate $version" ]
# Built against the system's copy: /usr/include, the multiarch libdir, ldconfig's cache.
# shellcheck disable=SC2046
gcc "${cflags[@]}" tests/release/quickstart.c $(pkg-config --cflags --libs corsgate) -o "$work/quickstart-system"
"$work/quickstart-system" "$version" >/dev/null
ldconfig -p | grep -q 'libcorsgate.so.0 '
echo "libcorsgate0, libcorsgate-dev: pkg-config, ldconfig and the quick start work"

link=/etc/nginx/modules-enabled/50-mod-http-corsgate.conf
[ -L "$link" ] || { echo "release: libnginx-mod-http-corsgate did not enable the module ($link)" >&2; exit 1; }
mkdir -p "$work/nginx"
python3 bindings/nginx/tests/run.py --debian --work "$work/nginx" --vectors tests/conformance \
  --oracle /usr/bin/corsgate | tail -n 1

a2query -q -m corsgate || { echo "release: libapache2-mod-corsgate did not enable the module" >&2; exit 1; }
a2dismod -q corsgate >/dev/null
refute a2query -q -m corsgate
a2enmod -q corsgate >/dev/null
a2query -q -m corsgate
mkdir -p "$work/apache"
python3 bindings/apache/tests/run.py --debian --work "$work/apache" --vectors tests/conformance \
  --oracle /usr/bin/corsgate | tail -n 1

echo "--- debian: dpkg --purge leaves the machine as it was"
dpkg --purge "${packages[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
for pkg in "${packages[@]}"; do refute installed "$pkg"; done
for path in "$link" "$link.removed" /etc/apache2/mods-enabled/corsgate.load /etc/apache2/mods-available/corsgate.load \
  /usr/lib/nginx/modules/ngx_http_corsgate_module.so /usr/lib/apache2/modules/mod_corsgate.so /usr/bin/corsgate \
  /usr/include/corsgate.h; do
  if [ -e "$path" ] || [ -L "$path" ]; then
    echo "release: $path is left after purging" >&2
    exit 1
  fi
done
refute grep -q libcorsgate <(ldconfig -p)
trap - EXIT
echo "purged: no file, link or ldconfig entry left"

echo "--- python: the sdist builds with pip (toolchain present) and passes the suite"
"$venv/bin/pip" uninstall --quiet --yes corsgate
CARGO_TARGET_DIR="$target/py" "$venv/bin/pip" install --quiet "$dist/corsgate-$version.tar.gz"
(cd bindings/python && "$venv/bin/python" -m pytest -q -p no:cacheprovider -W error tests | tail -n 1)
