#!/usr/bin/env python3
"""Fails when a file under src/<layer>/ includes a header of a layer it may not use.

The table below is the layering of shared/DESIGN.md: dependencies point down only.
`server` and `cmd` are the composition root (they wire every layer together) and
sit on top. Run by the build (target check_layers), so a wrong-way include breaks it.
"""
import pathlib
import re
import sys

ALLOWED = {
    "common": set(),
    # The command framework (flags, Command, the registry): below both cli
    # and server, so that every `tresor` command registers in one registry.
    "command": {"common"},
    "raft": {"common"},
    "storage": {"raft", "common"},
    "seal": {"common"},
    "barrier": {"storage", "common"},
    "snapshot": {"barrier", "seal", "storage", "common"},
    "engines": {"barrier", "storage", "common"},
    "core": {"engines", "barrier", "seal", "snapshot", "storage", "raft", "common"},
    "http": {"core", "common"},
    # cli talks to servers over HTTP only; it may read snapshot/ because
    # reading and verifying an archive is a local file operation (inspect,
    # save's verification), not a way around the server.
    "cli": {"command", "snapshot", "common"},
    "server": {"command", "http", "core", "engines", "barrier", "seal", "snapshot", "storage",
               "raft", "common"},
    "cmd": {"server", "cli", "command", "common"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def main(src: pathlib.Path) -> int:
    bad = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".h", ".cc") or path.name.endswith("_test.cc"):
            continue
        layer = path.relative_to(src).parts[0]
        allowed = ALLOWED.get(layer)
        if allowed is None:
            bad.append(f"{path}: folder src/{layer} is not in the layer table")
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if match and match.group(1) != layer and match.group(1) not in allowed:
                bad.append(f"{path}:{number}: layer '{layer}' may not include "
                           f"'{match.group(1)}/' (allowed: {sorted(allowed)})")
    for line in bad:
        print(line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
