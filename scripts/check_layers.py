#!/usr/bin/env python3
"""Fails when a file under src/<layer>/ includes a header of a layer it may not use.

The table below is the layering of shared/DESIGN.md: dependencies point down only.
`server` and `cmd` are the composition root (they wire every layer together) and
sit on top. Run by the build (target check_layers), so a wrong-way include breaks it.

Tests follow the same table: a test file (`*_test.cc`) or a test-support header
(`*_for_test.h`) may include its own layer, the layers its layer may include, and
the test-support headers of those layers; a layer's test binary links nothing
else. Library code may not include a test-support header at all.
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
    # core reaches storage through its interfaces only (Backend and the
    # capabilities: HABackend, ClusterMembership, Snapshotter,
    # ReplicationLog), never raft: see FORBIDDEN below.
    "core": {"engines", "barrier", "seal", "snapshot", "storage", "common"},
    "http": {"core", "common"},
    # cli talks to servers over HTTP only; it may read snapshot/ because
    # reading and verifying an archive is a local file operation (inspect,
    # save's verification), not a way around the server.
    "cli": {"command", "snapshot", "common"},
    "server": {"command", "http", "core", "engines", "barrier", "seal", "snapshot", "storage",
               "raft", "common"},
    "cmd": {"server", "cli", "command", "common"},
}
# Headers a layer may not include although their layer is allowed: core's
# HA and cluster endpoints use storage's interfaces, so that HA works on
# any backend (docs/ha.md) and the consensus library stays out of core.
FORBIDDEN = {"core": ("storage/raft/",)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"(([a-z_]+)/[^"]*)"')
# Test-support headers end in `_for_test.h`.
TEST_SUPPORT = ("_for_test.h",)


def is_test_file(name: str) -> bool:
    return name.endswith("_test.cc") or name.endswith(TEST_SUPPORT)


def main(src: pathlib.Path) -> int:
    bad = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        layer = path.relative_to(src).parts[0]
        allowed = ALLOWED.get(layer)
        if allowed is None:
            bad.append(f"{path}: folder src/{layer} is not in the layer table")
            continue
        test = is_test_file(path.name)
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            header, target = match.group(1), match.group(2)
            kind = "test" if test else "layer"
            if target != layer and target not in allowed:
                bad.append(f"{path}:{number}: {kind} in '{layer}' may not include "
                           f"'{header}' (allowed: {sorted(allowed)})")
            elif header.startswith(FORBIDDEN.get(layer, ())):
                bad.append(f"{path}:{number}: {kind} in '{layer}' may not include "
                           f"'{header}': use the storage interfaces")
            elif not test and header.endswith(TEST_SUPPORT):
                bad.append(f"{path}:{number}: library code in '{layer}' may not include "
                           f"the test-support header '{header}'")
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print(f"check_layers: {len(bad)} wrong-way include(s); the layer table is in "
              f"{pathlib.Path(__file__).name}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
