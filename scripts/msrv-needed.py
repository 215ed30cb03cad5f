"""The newest `rust-version` among the dependencies that users build.

Reads `cargo metadata` on stdin and prints `VERSION CRATE` for the crate
that needs the newest compiler among every normal and build dependency of
the workspace members (on every target; dev-dependencies left out, as
users never build them).
"""
import json
import sys

metadata = json.load(sys.stdin)
packages = {p["id"]: p for p in metadata["packages"]}
nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
members = set(metadata["workspace_members"])


def used(dep):
    return any(kind["kind"] in (None, "build") for kind in dep["dep_kinds"])


reached, todo = set(), list(members)
while todo:
    node = nodes[todo.pop()]
    for dep in node["deps"]:
        if used(dep) and dep["pkg"] not in reached:
            reached.add(dep["pkg"])
            todo.append(dep["pkg"])


def version(text):
    return tuple(int(part) for part in text.split("."))


needs = [
    (version(packages[id]["rust_version"]), packages[id]["name"])
    for id in reached - members
    if packages[id].get("rust_version")
]
newest, name = max(needs)
print(".".join(map(str, newest)), name)
