#!/usr/bin/env bash
# Builds the C wasm guests into $1 (default: this folder/out) with Debian's
# clang + wasi-libc (`apt-get install clang lld wasi-libc`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/out}
mkdir -p "$out"
for src in example faulty files slabs; do
    clang --target=wasm32-wasi -O2 -mexec-model=reactor -I"$here/../../../plugin-api" \
        -o "$out/$src.wasm" "$here/$src.c"
done
