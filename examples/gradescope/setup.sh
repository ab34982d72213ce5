#!/usr/bin/env bash
# Gradescope runs this once, as root in /autograder/source, when it builds the autograder
# image. It puts the nntrace client into its own virtual environment, /opt/nntrace-venv:
# Debian 12 and Ubuntu 23.04+ refuse `pip install` into the system Python (PEP 668), and a
# venv keeps the autograder's packages apart from the image's anyway. run_autograder runs
# with that venv's python.
#
# The client comes from the wheel that `make gradescope-zip` packs beside this script; when
# there is none, from the nntrace service itself, which serves its own client wheel at
# /client/ (the service's address: NNTRACE_URL, else the nntrace_url file beside this one).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV=/opt/nntrace-venv

if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi
python3 -m venv "$VENV"

wheels=("$HERE"/nntrace_client-*-py3-none-any.whl)
if [[ -e "${wheels[0]}" ]]; then
    client="${wheels[-1]}"
else
    url="${NNTRACE_URL:-$(cat "$HERE/nntrace_url" 2>/dev/null || true)}"
    if [[ -z "$url" ]]; then
        echo "setup.sh: no nntrace_client wheel here and no service address (NNTRACE_URL or" \
            "the nntrace_url file); build the zip with: make gradescope-zip NNTRACE_URL=..." >&2
        exit 1
    fi
    # The service lists its wheel at /client/; install that exact file (by URL), never a
    # package of the same name from an index.
    client="$("$VENV/bin/python" - "${url%/}/client/" <<'PY'
import re, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=30) as answer:
    names = re.findall(r'href="(nntrace_client-[^"#]+\.whl)', answer.read().decode())
if not names:
    sys.exit(f"setup.sh: {sys.argv[1]} offers no nntrace_client wheel")
print(sys.argv[1] + names[-1])
PY
)"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$client"
"$VENV/bin/python" -c 'import nntrace, sys; print(f"nntrace client {nntrace.__version__} in {sys.prefix}")'
