"""Check a commit message against CONTRIBUTING.md's rules (the pre-commit ``commit-msg`` hook).

A subject of at most 72 characters, so that ``git log --oneline`` and review tools show it
whole; if there is a body, a blank line between subject and body, so that git tells them
apart. Lines git strips (comments) are ignored.

    python scripts/check_commit_msg.py .git/COMMIT_EDITMSG
"""

from __future__ import annotations

import sys
from pathlib import Path

MAX_SUBJECT = 72


def problems(message: str) -> list[str]:
    """What is wrong with ``message``; empty when it follows the rules."""
    lines = [line for line in message.splitlines() if not line.startswith("#")]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return ["the message is empty"]
    found = []
    subject = lines[0]
    if len(subject) > MAX_SUBJECT:
        found.append(f"the subject has {len(subject)} characters; at most {MAX_SUBJECT}")
    if len(lines) > 1 and lines[1].strip():
        found.append("put a blank line between the subject and the body")
    return found


def main(argv: list[str]) -> int:
    found = problems(Path(argv[1]).read_text(encoding="utf-8"))
    for problem in found:
        print(f"commit message: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
