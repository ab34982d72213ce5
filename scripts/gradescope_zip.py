"""Pack the Gradescope example into the zip Gradescope takes, with the client wheel inside.

    python scripts/gradescope_zip.py --wheel dist/nntrace_client-X-py3-none-any.whl \
        --out dist/gradescope-autograder.zip [--url https://nntrace.example.edu] \
        [--grading examples/gradescope/grading.stored.json] [--api-key-from-env]

(``make gradescope-zip [NNTRACE_URL=...] [GRADING=...] [NNTRACE_API_KEY=...]`` runs it.) The zip holds, at its top level as
Gradescope wants: ``setup.sh``, ``run_autograder``, ``grading.json``, the wheel (so the
image build needs no package index for the client itself) and, with ``--url``, a file
``nntrace_url`` that ``run_autograder`` reads when ``NNTRACE_URL`` is not set (Gradescope
has no place to set environment variables). ``--grading`` packs another grading file as
``grading.json`` (``grading.stored.json``: a stored reference by ``reference_id``), and
``--api-key-from-env`` packs ``$NNTRACE_API_KEY`` (a ``grade`` key) as ``nntrace_api_key``,
read from the environment so that the key never appears on a command line. Files keep their modes, so ``setup.sh`` and
``run_autograder`` stay executable; entries are in a fixed order with a fixed date, so the
same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "gradescope"
FILES = ("setup.sh", "run_autograder", "grading.json")
EPOCH = (1980, 1, 1, 0, 0, 0)


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def pack(
    wheel: Path,
    out: Path,
    url: str | None = None,
    *,
    grading: Path | None = None,
    api_key: str | None = None,
) -> list[str]:
    """Write the zip; return its entry names."""
    if not wheel.name.startswith("nntrace_client-") or wheel.suffix != ".whl":
        raise ValueError(f"{wheel} is not an nntrace_client wheel")
    if api_key is not None and (not api_key or any(c.isspace() for c in api_key)):
        raise ValueError("NNTRACE_API_KEY is empty or has white space: not a key")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        for name in FILES:
            path = grading if name == "grading.json" and grading else EXAMPLE / name
            _add(archive, name, path.read_bytes(), path.stat().st_mode & 0o777)
        _add(archive, wheel.name, wheel.read_bytes(), 0o644)
        if url:
            _add(archive, "nntrace_url", f"{url.rstrip('/')}\n".encode(), 0o644)
        if api_key:
            _add(archive, "nntrace_api_key", f"{api_key}\n".encode(), 0o600)
        return archive.namelist()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help="the client wheel to pack")
    parser.add_argument("--out", type=Path, required=True, help="the zip to write")
    parser.add_argument("--url", help="the nntrace service the autograder calls")
    parser.add_argument("--grading", type=Path, help="the grading file to pack as grading.json")
    parser.add_argument(
        "--api-key-from-env",
        action="store_true",
        help="pack $NNTRACE_API_KEY (a grade key, for a stored reference)",
    )
    args = parser.parse_args(argv)
    try:
        api_key = os.environ.get("NNTRACE_API_KEY", "") if args.api_key_from_env else None
        names = pack(args.wheel, args.out, args.url, grading=args.grading, api_key=api_key)
    except (OSError, ValueError) as error:
        print(f"gradescope-zip: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
