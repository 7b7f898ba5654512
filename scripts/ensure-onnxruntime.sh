#!/usr/bin/env bash
# Finds or installs the ONNX Runtime shared library that plexus-onnx loads at
# run time (ort 2.0.0-rc.15 with `load-dynamic` wants ONNX Runtime 1.31).
#
#   scripts/ensure-onnxruntime.sh           print the library's path, fetching it if missing
#   scripts/ensure-onnxruntime.sh --check   only say whether it is there
#
# Where: $PLEXUS_ORT_LIB if set (checked, never overwritten); otherwise
# $PLEXUS_ORT_CACHE (default /var/tmp/plexus-onnxruntime)/1.31.1/libonnxruntime.so.1.31.1,
# which is where plexus-onnx looks when PLEXUS_ORT_LIB is unset.
# How: `pip download` of the PyPI wheel onnxruntime==1.31.1 (no dependencies,
# binary only) into the cache, then the .so is unzipped out of it. Nothing is
# installed into any Python environment.
#
# The path goes to stdout (last line), messages to stderr, so
#   export PLEXUS_ORT_LIB="$(scripts/ensure-onnxruntime.sh)"
# works. Exit status: 0 found or installed; 1 missing and not installable
# (the message says what to run); 2 bad argument.

set -euo pipefail

VERSION=1.31.1
check_only=0
case "${1:-}" in
    "") ;;
    --check) check_only=1 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ensure-onnxruntime: unknown argument \`$1\` (expected --check or nothing)" >&2; exit 2 ;;
esac

if [ -n "${PLEXUS_ORT_LIB:-}" ]; then
    if [ -f "$PLEXUS_ORT_LIB" ]; then
        echo "ensure-onnxruntime: using PLEXUS_ORT_LIB=$PLEXUS_ORT_LIB" >&2
        echo "$PLEXUS_ORT_LIB"
        exit 0
    fi
    echo "ensure-onnxruntime: PLEXUS_ORT_LIB=$PLEXUS_ORT_LIB does not exist; unset it to use the cache, or point it at libonnxruntime.so.$VERSION" >&2
    exit 1
fi

cache="${PLEXUS_ORT_CACHE:-/var/tmp/plexus-onnxruntime}/$VERSION"
lib="$cache/libonnxruntime.so.$VERSION"
if [ -f "$lib" ]; then
    echo "ensure-onnxruntime: ONNX Runtime $VERSION found at $lib" >&2
    echo "$lib"
    exit 0
fi
if [ "$check_only" = 1 ]; then
    echo "ensure-onnxruntime: $lib is missing; run scripts/ensure-onnxruntime.sh to fetch it" >&2
    exit 1
fi

python="$(command -v python3 || true)"
if [ -z "$python" ] || ! "$python" -m pip --version >/dev/null 2>&1; then
    echo "ensure-onnxruntime: needs python3 with pip to download the onnxruntime==$VERSION wheel from PyPI." >&2
    echo "ensure-onnxruntime: install them (Debian: apt-get install -y python3-pip), or put libonnxruntime.so.$VERSION" >&2
    echo "ensure-onnxruntime: from that wheel (onnxruntime/capi/) at $lib, or set PLEXUS_ORT_LIB to it." >&2
    exit 1
fi

mkdir -p "$cache/wheel"
echo "ensure-onnxruntime: downloading onnxruntime==$VERSION from PyPI into $cache/wheel" >&2
if ! "$python" -m pip download --quiet --no-deps --only-binary=:all: "onnxruntime==$VERSION" -d "$cache/wheel" >&2; then
    echo "ensure-onnxruntime: \`pip download onnxruntime==$VERSION\` failed (no network to PyPI, or no wheel for this platform)." >&2
    echo "ensure-onnxruntime: on a machine that has it: pip download --no-deps onnxruntime==$VERSION, unzip" >&2
    echo "ensure-onnxruntime: onnxruntime/capi/libonnxruntime.so.$VERSION to $lib (or set PLEXUS_ORT_LIB)." >&2
    exit 1
fi
"$python" - "$cache" "$VERSION" >&2 <<'PY'
import glob, os, sys, zipfile
cache, version = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(cache, "wheel", f"onnxruntime-{version}-*.whl"))
if not wheels:
    sys.exit(f"ensure-onnxruntime: no onnxruntime-{version} wheel in {cache}/wheel")
member = f"onnxruntime/capi/libonnxruntime.so.{version}"
with zipfile.ZipFile(wheels[0]) as z:
    tmp = os.path.join(cache, f".libonnxruntime.so.{version}.part")
    with z.open(member) as src, open(tmp, "wb") as dst:
        dst.write(src.read())
os.replace(tmp, os.path.join(cache, f"libonnxruntime.so.{version}"))
print(f"ensure-onnxruntime: unpacked {member} from {os.path.basename(wheels[0])}")
PY
echo "$lib"
