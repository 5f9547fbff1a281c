#!/usr/bin/env bash
# Builds the Leasehold Debian package from the workspace:
#   packaging/build-deb.sh                   release build, the package to ship
#   packaging/build-deb.sh --profile dev     debug build (what the CI test installs: no second
#                                            optimised build of the workspace)
#   packaging/build-deb.sh --no-build        package the binary already in target/<profile>/
#   packaging/build-deb.sh --fast            faster, larger compression of the .deb
#   packaging/build-deb.sh --output DIR      write the .deb into DIR (default target/debian)
# Steps: build `leasehold` (cargo), generate from that binary the man pages (one per command and
# subcommand, gzipped) and the bash, zsh and fish completions into
# target/<profile dir>/package-assets/, then run cargo-deb with the [package.metadata.deb] section
# of crates/leasehold/Cargo.toml (which names those files). The .deb goes to target/debian/ (or
# --output DIR), the release build's debug symbols into leasehold-dbgsym_*.ddeb beside it; the
# last line of the output is the path of the .deb. cargo-deb warns that the dev profile is unsupported (it is
# meant for releases): the package test uses it anyway, to reuse the debug build of the workspace.
# Needs cargo-deb (`cargo install cargo-deb --locked`, 3.8.0 tested) and gzip.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
build=1
deb_args=()
out=
while [ $# -gt 0 ]; do
  case $1 in
    --profile) profile=${2:?--profile needs a name}; shift 2 ;;
    --profile=*) profile=${1#--profile=}; shift ;;
    --no-build) build=0; shift ;;
    --fast) deb_args+=(--fast); shift ;;
    --output) out=${2:?--output needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if ! cargo deb --version >/dev/null 2>&1; then
  echo "build-deb.sh: cargo-deb is missing: cargo install cargo-deb --locked" >&2
  exit 1
fi

target_dir=${CARGO_TARGET_DIR:-target}
# cargo's directory of a profile: dev builds land in debug/, the others under their own name.
case $profile in
  dev|test) profile_dir=debug ;;
  bench) profile_dir=release ;;
  *) profile_dir=$profile ;;
esac
bin="$target_dir/$profile_dir/leasehold"

if [ "$build" = 1 ]; then
  cargo build --locked -p leasehold --bin leasehold --profile "$profile"
fi
if [ ! -x "$bin" ]; then
  echo "build-deb.sh: $bin does not exist: build it first (or leave out --no-build)" >&2
  exit 1
fi

# Generated assets, from the binary that goes into the package, so they match its --help.
# cargo-deb reads them from target/<profile dir>/package-assets/ (the asset paths
# target/release/package-assets/... in crates/leasehold/Cargo.toml).
assets="$target_dir/$profile_dir/package-assets"
rm -rf "$assets"
mkdir -p "$assets/man" "$assets/completions"
"$bin" generate man --out "$assets/man"
# -n: no name or time stamp in the gzip header, so the pages are reproducible.
gzip -9n "$assets"/man/*.1
"$bin" generate completions bash >"$assets/completions/leasehold"
"$bin" generate completions zsh >"$assets/completions/_leasehold"
"$bin" generate completions fish >"$assets/completions/leasehold.fish"

# Debug information: the release profile keeps it (debug = 1), and cargo-deb would ship it in the
# binary (116 MB instead of 25). A release build strips the binary and moves the symbols into a
# leasehold-dbgsym .ddeb next to the .deb (Debian's practice; needs objcopy, from binutils); the
# dev build of the test is simply stripped.
case $profile in
  dev|test) deb_args+=(--strip) ;;
  *)
    if command -v objcopy >/dev/null 2>&1; then
      deb_args+=(--dbgsym --compress-debug-symbols=zlib)
    else
      echo "build-deb.sh: objcopy (binutils) missing: stripping without a dbgsym package" >&2
      deb_args+=(--strip)
    fi
    ;;
esac

# --no-build: cargo-deb packages the binary built above; --profile maps the asset path
# target/release/leasehold to target/<profile dir>/leasehold.
out=${out:-$target_dir/debian}
mkdir -p "$out"
cargo deb -p leasehold --no-build --profile "$profile" --output "$out" "${deb_args[@]}"
