#!/usr/bin/env bash
# Usage: scripts/find-python.sh 3.10|3.11 — prints the path of a working interpreter of that
# version: first `pythonX.Y` on PATH, then pyenv's newest X.Y.*; otherwise explains what to do.
set -euo pipefail
want="$1"
check() { "$1" -c "import sys; sys.exit(0 if sys.version.startswith('$want.') else 1)" >/dev/null 2>&1; }
if command -v "python$want" >/dev/null 2>&1 && check "python$want"; then
  command -v "python$want"; exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for candidate in $(ls -d "$root"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -V -r); do
    if check "$candidate"; then echo "$candidate"; exit 0; fi
  done
fi
cat >&2 <<MSG
error: Python $want was not found (looked for python$want on PATH, then pyenv's versions).
  calmdesk needs Python 3.11 for its own code and Python 3.10 for Rasa 3.6.
  Install it with one of:
    pyenv install $want        (then rerun: make install)
    apt-get install python$want python$want-venv
MSG
exit 1
