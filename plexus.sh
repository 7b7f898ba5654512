#!/usr/bin/env bash
# Build, demo and test Plexus.
#
#   ./plexus.sh demo    build everything (plugins included) and run the demo pipeline
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

build() {
    echo "==> building the workspace (release) into $CARGO_TARGET_DIR" >&2
    cargo build --release --workspace --locked
    echo "==> packaging built-in plugins into $CARGO_TARGET_DIR/release/plugins" >&2
    for manifest in plugins/*/plugin.toml; do
        dir=$(dirname "$manifest")
        name=$(basename "$dir")
        artifact=$(sed -n 's/^artifact *= *"\(.*\)".*/\1/p' "$manifest" | head -n 1)
        "$BIN" plugins pack "$manifest" --artifact "$CARGO_TARGET_DIR/release/$artifact" \
            --out "$CARGO_TARGET_DIR/release/plugins/$name" >/dev/null
    done
}

case "${1:-}" in
    build)
        build
        ;;
    demo)
        build
        mkdir -p "$ROOT/plexus-demo"
        cd "$ROOT/plexus-demo"
        echo "==> plexus demo" >&2
        PLEXUS_HOME="$ROOT/plexus-demo/.plexus" "$BIN" demo --out .
        echo
        echo "outputs and their JSON sidecars: $ROOT/plexus-demo/out/; events: $BIN events --file $ROOT/plexus-demo/.plexus/events.jsonl"
        ;;
    test)
        build
        echo "==> cargo test (release)" >&2
        cargo test --release --workspace --locked
        ;;
    *)
        echo "usage: ./plexus.sh demo | test | build" >&2
        exit 2
        ;;
esac
