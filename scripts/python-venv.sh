# Sourced, not run: what scripts/peer-check.sh and .ci/api-examples.sh share
# to get a Python venv on a fresh Debian machine. The caller sets TAG (the
# name its messages start with) and then calls
#
#   ensure_venv REQUIREMENTS VENV
#
# which installs python3 and python3-venv with apt when we are root and
# they are missing (otherwise says what to run), and makes VENV from
# REQUIREMENTS, cached until that file changes, one build at a time.

fail() {
    echo "$TAG: error: $*" >&2
    exit 1
}

as_root_apt() {
    # Installs Debian packages when we can; otherwise says what to run.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> $TAG: installing $*" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
            || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } \
            || fail "apt-get install $* failed"
    else
        fail "needs $*: run \`sudo apt-get install -y $*\`"
    fi
}

ensure_venv() {
    local req=$1 venv=$2 want
    command -v python3 >/dev/null 2>&1 || as_root_apt python3
    # Debian splits venv (and ensurepip, which venv needs) into python3-venv.
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || as_root_apt python3-venv
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 \
        || fail "python3 cannot make a venv even after installing python3-venv ($(python3 --version 2>&1))"
    want=$(sha256sum "$req" | cut -d' ' -f1)
    mkdir -p "$(dirname "$venv")"
    exec 9>"$venv.lock"
    flock 9 # one venv build at a time
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
        echo "==> $TAG: creating the Python venv $venv from $req" >&2
        rm -rf "$venv"
        python3 -m venv "$venv" || fail "\`python3 -m venv $venv\` failed"
        if ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >"$venv.log" 2>&1; then
            tail -n 20 "$venv.log" >&2
            rm -rf "$venv"
            fail "\`pip install -r $req\` failed (PyPI unreachable, or no wheel for this Python); full log: $venv.log"
        fi
        echo "$want" >"$venv/.requirements.sha256"
    fi
    flock -u 9
}
