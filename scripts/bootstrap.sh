#!/usr/bin/env bash
# Finds a Python >= 3.12, creates .venv and installs the pinned dependencies.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again (it only installs
# when pyproject.toml or the constraints changed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
            command -v "$candidate"; return 0
        fi
    done
    # pyenv installs that are not the active version: their shims refuse to run,
    # so look for the binaries themselves.
    if command -v pyenv >/dev/null; then
        for candidate in "$(pyenv root)"/versions/3.13*/bin/python3.13 "$(pyenv root)"/versions/3.12*/bin/python3.12; do
            if [ -x "$candidate" ] && python_ok "$candidate"; then
                echo "$candidate"; return 0
            fi
        done
    fi
    return 1
}

if [ ! -x .venv/bin/python ] || ! python_ok .venv/bin/python; then
    if ! PYTHON=$(find_python); then
        echo "The Expertise Exchange needs Python 3.12 or newer, and none was found." >&2
        echo "Install one (e.g. 'apt-get install python3.12', 'brew install python@3.13'," >&2
        echo "or 'pyenv install 3.13') and run this command again." >&2
        exit 1
    fi
    echo "Creating .venv with $PYTHON ($("$PYTHON" --version))"
    rm -rf .venv
    "$PYTHON" -m venv .venv
fi

stamp=.venv/.installed
inputs=$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$inputs" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
    echo "$inputs" > "$stamp"
fi
