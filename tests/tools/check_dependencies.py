"""Check that roles and playbooks use only collections galaxy.yml declares.

A user who installs devkeys.aws from its tarball gets ansible-core plus the
dependencies in galaxy.yml, not the ~100 collections of the `ansible` package
that the venv has. Every `namespace.collection.name` used as a task action or
in `collections:`/`include_role`/`import_role` under roles/ and playbooks/ must
be ansible.builtin, ansible.legacy, devkeys.aws or a declared dependency.

Usage: python tests/tools/check_dependencies.py [REPO]   (exit 1 on any problem)
"""

import re
import sys
from pathlib import Path

import yaml

FQCN = re.compile(r"^([a-z0-9_]+)\.([a-z0-9_]+)\.[a-z0-9_.]+$")
ROLE_INCLUDES = ("include_role", "import_role")


def used_names(node):
    """Yield every FQCN-shaped task key and role name found in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and FQCN.match(key):
                yield key
            if isinstance(key, str) and key.rsplit(".", 1)[-1] in ROLE_INCLUDES and isinstance(value, dict):
                if isinstance(value.get("name"), str) and FQCN.match(value["name"]):
                    yield value["name"]
            if key == "roles" and isinstance(value, list):
                for role in value:
                    name = role.get("role", role.get("name")) if isinstance(role, dict) else role
                    if isinstance(name, str) and FQCN.match(name):
                        yield name
            yield from used_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from used_names(item)


def main(repo):
    declared = {"ansible.builtin", "ansible.legacy", "devkeys.aws"}
    declared.update((yaml.safe_load((repo / "galaxy.yml").read_text(encoding="utf-8")).get("dependencies") or {}))
    problems = []
    files = sorted(path for top in ("roles", "playbooks") for path in (repo / top).rglob("*.y*ml"))
    for path in files:
        if path.suffix not in (".yml", ".yaml") or "/templates/" in str(path) or "/files/" in str(path):
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            problems.append(f"{path.relative_to(repo)}: not valid YAML: {error}")
            continue
        for name in sorted(set(used_names(data))):
            collection = ".".join(name.split(".")[:2])
            if collection not in declared:
                problems.append(f"{path.relative_to(repo)}: uses {name} but galaxy.yml does not depend on {collection}")
    for problem in problems:
        print(f"FAIL: {problem}")
    print(f"dependencies: {len(files)} file(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])))
