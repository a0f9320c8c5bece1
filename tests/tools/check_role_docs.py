"""Check that every role documents its interface.

For each role under roles/: meta/argument_specs.yml exists; every option of
every entry point (suboptions included) is named in the role's README.md;
every variable set in defaults/main.yml is an option of the role's main
entry point.

Usage: python tests/tools/check_role_docs.py [REPO]   (exit 1 on any problem)
"""

import re
import sys
from pathlib import Path

import yaml


def spec_options(options):
    """Yield the names of ``options`` and of their suboptions, depth first."""
    for name, spec in (options or {}).items():
        yield name
        yield from spec_options((spec or {}).get("options"))


def mentions(readme, name):
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", readme) is not None


def check_role(role):
    problems = []
    spec_path = role / "meta" / "argument_specs.yml"
    readme_path = role / "README.md"
    if not spec_path.is_file():
        return [f"{spec_path}: missing (every role needs a typed argument spec)"]
    if not readme_path.is_file():
        return [f"{readme_path}: missing"]
    try:
        entry_points = (yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}).get("argument_specs") or {}
    except yaml.YAMLError as error:
        return [f"{spec_path}: not valid YAML: {error}"]
    if "main" not in entry_points:
        problems.append(f"{spec_path}: no 'main' entry point")
    readme = readme_path.read_text(encoding="utf-8")
    for entry_point, spec in entry_points.items():
        for name in spec_options((spec or {}).get("options")):
            if not mentions(readme, name):
                problems.append(f"{readme_path}: does not document {name!r} (entry point {entry_point!r})")
    defaults_path = role / "defaults" / "main.yml"
    if defaults_path.is_file():
        defaults = yaml.safe_load(defaults_path.read_text(encoding="utf-8")) or {}
        main_options = ((entry_points.get("main") or {}).get("options")) or {}
        for name in defaults:
            if name not in main_options:
                problems.append(f"{defaults_path}: {name!r} is not an option in {spec_path} (entry point 'main')")
    return problems


def main(repo):
    roles = sorted(path for path in (repo / "roles").glob("*") if path.is_dir())
    problems = [problem for role in roles for problem in check_role(role)]
    for problem in problems:
        print(f"FAIL: {problem}")
    print(f"role docs: {len(roles)} role(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])))
