"""Checks that no resolved dependency declares a newer Rust than the workspace's MSRV.

Reads `cargo metadata` on stdin. The code itself is held to the MSRV by clippy's
`incompatible_msrv` lint, which reads `rust-version` too.
"""

import json
import sys


def version(text):
    parts = [int(part) for part in text.split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


meta = json.load(sys.stdin)
packages = {package["id"]: package for package in meta["packages"]}
msrv = min(version(packages[member]["rust_version"]) for member in meta["workspace_members"])
resolved = {node["id"] for node in meta["resolve"]["nodes"]}
newer = [
    "{name} {version} needs Rust {rust_version}".format(**package)
    for id, package in packages.items()
    if id in resolved and package.get("rust_version") and version(package["rust_version"]) > msrv
]
shown = ".".join(map(str, msrv))
if newer:
    sys.exit(f"dependencies that need a newer Rust than the MSRV {shown}:\n  " + "\n  ".join(newer))
print(f"{len(resolved)} packages resolved; none needs a newer Rust than the MSRV {shown}")
