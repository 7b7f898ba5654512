#!/usr/bin/env bash
# Build, demo and test Plexus.
#
#   ./plexus.sh demo    build everything (plugins included) and run the demo pipelines
#                       (the grains demo, then examples/porous.toml)
#   ./plexus.sh test    build everything and run every test
#   ./plexus.sh build   build and package the built-in plugins only
#
# Builds go to $CARGO_TARGET_DIR (default /var/tmp/plexus-target, kept between
# runs so a rebuild is incremental). The `plexus` binary ends up at
# $CARGO_TARGET_DIR/release/plexus with its built-in plugins beside it in
# $CARGO_TARGET_DIR/release/plugins/.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        echo "error: cargo is not installed. Install Rust with rustup (https://rustup.rs):" >&2
        echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . \"\$HOME/.cargo/env\"" >&2
        exit 1
    fi
fi
if ! command -v cc >/dev/null 2>&1; then
    echo "error: no C compiler/linker (cc) found; on Debian: sudo apt-get install -y build-essential" >&2
    exit 1
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/plexus-target}"
BIN="$CARGO_TARGET_DIR/release/plexus"

# HDF5 support (dxchange scans, image sets) needs the system HDF5 library:
# installed here when we are root on Debian, else built without, loudly.
FEATURES=()
if [ "${PLEXUS_NO_HDF5:-}" != 1 ] && scripts/ensure-deps.sh >&2; then
    FEATURES=(--features plexus-host/hdf5,plexus-e2e/hdf5)
    # The tests fail, rather than skip, when HDF5 was expected and missing.
    export PLEXUS_EXPECT_HDF5=1
elif [ "${PLEXUS_REQUIRE_HDF5:-}" = 1 ]; then
    echo "error: PLEXUS_REQUIRE_HDF5=1 but HDF5 is missing (see scripts/ensure-deps.sh above)" >&2
    exit 1
else
    echo "warning: building WITHOUT HDF5 support: .h5 files will be refused and the HDF5 tests skipped." >&2
    echo "warning: install it with: sudo sh -c 'apt-get update && apt-get install -y libhdf5-dev pkg-config'" >&2
fi

build() {
    echo "==> building the workspace (release) into $CARGO_TARGET_DIR" >&2
    cargo build --release --workspace --locked "${FEATURES[@]}"
    echo "==> packaging built-in plugins into $CARGO_TARGET_DIR/release/plugins" >&2
    for manifest in plugins/*/plugin.toml; do
        dir=$(dirname "$manifest")
        name=$(basename "$dir")
        artifact=$(sed -n 's/^artifact *= *"\(.*\)".*/\1/p' "$manifest" | head -n 1)
        "$BIN" plugins pack "$manifest" --artifact "$CARGO_TARGET_DIR/release/$artifact" \
            --out "$CARGO_TARGET_DIR/release/plugins/$name" >/dev/null
    done
    wasm_builtin
}

# One built-in ships for the wasm sandbox too: `trend` built for
# wasm32-wasip1 (with simd128, .cargo/config.toml), packaged as `trend_wasm`
# from trend's own manifest (name, kind and artifact replaced), so a fresh
# install lists a wasm-tier plugin. Skipped with a warning when the Rust
# wasm target cannot be installed.
wasm_builtin() {
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 \
        && ! rustup target add wasm32-wasip1 >/dev/null 2>&1; then
        echo "WARNING: \`rustup target add wasm32-wasip1\` failed: the wasm built-in \`trend_wasm\` is not built" >&2
        return 0
    fi
    echo "==> building the wasm built-in trend_wasm (wasm32-wasip1, simd128)" >&2
    cargo build --release --locked --target wasm32-wasip1 -p plexus-trend
    staging="$CARGO_TARGET_DIR/wasm-builtin/trend_wasm"
    mkdir -p "$staging"
    sed -e 's/^name = "trend"$/name = "trend_wasm"/' -e 's/^kind = "native"$/kind = "wasm"/' \
        -e 's/^artifact = "libplexus_trend.so"$/artifact = "plexus_trend.wasm"/' \
        -e 's/^description = "\(.*\)"$/description = "\1 (the wasm32-wasip1 build of `trend`, sandboxed)"/' \
        plugins/trend/plugin.toml > "$staging/plugin.toml"
    "$BIN" plugins pack "$staging/plugin.toml" \
        --artifact "$CARGO_TARGET_DIR/wasm32-wasip1/release/plexus_trend.wasm" \
        --out "$CARGO_TARGET_DIR/release/plugins/trend_wasm" >/dev/null
}

# Toolchains for the wasm guests the tests build: the Rust target (its one
# test says so loudly if this fails) and clang + wasi-libc for the C guests.
wasm_toolchains() {
    if ! command -v rustup >/dev/null 2>&1 || ! rustup target add wasm32-wasip1 >/dev/null 2>&1; then
        echo "WARNING: \`rustup target add wasm32-wasip1\` failed: the Rust wasm guest test will fail and say so; the C-guest tests still run" >&2
    fi
    probe=$(mktemp -d)
    echo 'int f(void) { return 1; }' > "$probe/p.c"
    if ! clang --target=wasm32-wasi -mexec-model=reactor -o "$probe/p.wasm" "$probe/p.c" >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "==> installing clang + wasi-libc for the C wasm guests" >&2
            apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32 >/dev/null \
                || echo "error: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 failed: the C wasm guest tests will fail" >&2
        else
            echo "error: the C wasm guest tests need clang + wasi-libc: sudo apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32" >&2
        fi
    fi
    rm -rf "$probe"
}

# The ONNX operators (denoise.onnx, segment.onnx and plexus-onnx's tests)
# load ONNX Runtime 1.31 at run time; without it they fail and say to run
# scripts/ensure-onnxruntime.sh. Exported so the `plexus` binary finds it.
onnxruntime() {
    if ort_lib="$(scripts/ensure-onnxruntime.sh)"; then
        export PLEXUS_ORT_LIB="$ort_lib"
    else
        echo "WARNING: scripts/ensure-onnxruntime.sh failed: the ONNX operators and their tests will fail and say why" >&2
    fi
}

case "${1:-}" in
    build)
        build
        ;;
    demo)
        build
        onnxruntime
        mkdir -p "$ROOT/plexus-demo"
        cd "$ROOT/plexus-demo"
        echo "==> plexus demo" >&2
        PLEXUS_HOME="$ROOT/plexus-demo/.plexus" "$BIN" demo --out .
        echo
        # The porous-media chain (examples/porous.toml): a noisy blobs volume
        # denoised, thresholded, labelled and quantified.
        echo "==> plexus run porous.toml" >&2
        cp "$ROOT/examples/porous.toml" porous.toml
        PLEXUS_HOME="$ROOT/plexus-demo/.plexus" "$BIN" run porous.toml | tee porous-report.txt
        result() { sed -n "s/^  $1 = //p" porous-report.txt; }
        echo
        echo "porous sample: porosity $(result porosity.porosity), $(result label.count) pores (6-connected)," \
            "mean pore size $(result psd.mean_radius_um) um (local-thickness radius)," \
            "Euler number $(result euler.euler_number) (26-connected)"
        echo
        echo "outputs and their JSON sidecars: $ROOT/plexus-demo/out/ (porous: out/porous/); events: $BIN events --file $ROOT/plexus-demo/.plexus/events.jsonl"
        ;;
    test)
        build
        wasm_toolchains
        onnxruntime
        echo "==> cargo test (release)" >&2
        cargo test --release --workspace --locked "${FEATURES[@]}"
        echo "==> plugin API with its ndarray feature" >&2
        cargo test --release -p plexus-plugin-api --features ndarray --locked
        echo "==> peer read-back of what plexus-io writes (scripts/peer-check.sh)" >&2
        scripts/peer-check.sh
        echo "==> the Python examples of docs/API.md against a live server (.ci/api-examples.sh)" >&2
        .ci/api-examples.sh
        ;;
    *)
        echo "usage: ./plexus.sh demo | test | build" >&2
        exit 2
        ;;
esac
