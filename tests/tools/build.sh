#!/usr/bin/env bash
# make build: build the collection tarball, check what it holds, install it
# with ansible-galaxy into a temp dir and run tests/tools/smoke-installed.yml
# against that installed copy only, with a sandbox HOME.
#
# The tarball must hold only files git sees (tracked or new, not ignored) plus
# galaxy's MANIFEST.json/FILES.json, nothing of .venv, tests/output, demo,
# reports, bench/results, caches or bytecode; and every plugin, role, meta,
# playbook and docs/policies file of the tree must be in it.
# shellcheck source=tests/tools/common.sh
source "$(dirname "$0")/common.sh"

work="$(make_temp_dir)"; register_temp_dir "$work"
sandbox_ansible_home "$work"
cd "$REPO" || exit 1

step "ansible-galaxy collection build"
ansible-galaxy collection build --output-path "$work/dist" "$REPO" || fail "ansible-galaxy collection build failed"
tarballs=("$work"/dist/devkeys-aws-*.tar.gz)
[[ -f "${tarballs[0]}" ]] || fail "no devkeys-aws-*.tar.gz was built"
tarball="${tarballs[0]}"
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

step "checking the tarball's contents"
tracked_files > "$work/tree-files"
"$BIN/python" - "$work/tree-files" "$tarball" <<'PY' || fail "the tarball's contents are wrong (see above)"
import re, sys, tarfile
tree = set(open(sys.argv[1], encoding="utf-8").read().split("\0")) - {""}
with tarfile.open(sys.argv[2]) as archive:
    members = archive.getmembers()
files = {m.name for m in members if not m.isdir()}
forbidden = re.compile(r"(^|/)(\.venv|\.git|\.ansible|\.cache|\.pytest_cache|\.hypothesis|__pycache__|tests/output"
                       r"|demo|reports|bench/results|build|dist)(/|$)|\.pyc$|\.tar\.gz$")
problems = [f"must not be in the tarball: {m.name}" for m in members if forbidden.search(m.name)]
problems += [f"not a file of the tree (ignored or generated): {name}" for name in sorted(files - tree)
             if name not in ("MANIFEST.json", "FILES.json")]
must_ship = re.compile(r"^(plugins|roles|meta|playbooks|extensions|docs/policies)/|^(README\.md|LICENSE)$")
problems += [f"missing from the tarball: {name}" for name in sorted(tree) if must_ship.search(name) and name not in files]
for problem in problems:
    print(problem)
print(f"tarball: {len(files)} files, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
PY

step "ansible-galaxy collection install --no-deps into a temp dir"
installed="$work/installed"
# Only the installed copy provides devkeys.aws; amazon.aws comes from the venv.
site="$(site_collections)"
export ANSIBLE_COLLECTIONS_PATH="$installed:$site"
ansible-galaxy collection install --no-deps -p "$installed" "$tarball" || fail "installing the tarball failed"
where="$(ansible-galaxy collection list devkeys.aws --format json 2>/dev/null |
    "$BIN/python" -c 'import json, sys; print(" ".join(path for path, found in json.load(sys.stdin).items() if found))')" ||
    fail "ansible-galaxy collection list devkeys.aws failed"
[[ "$where" == "$installed/ansible_collections" ]] ||
    fail "devkeys.aws must be found only in $installed, found in: ${where:-nowhere}"

step "smoke playbook against the installed copy (sandbox HOME)"
home="$work/home"
mkdir -p "$home"
cd "$work" || exit 1
if ! HOME="$home" ansible-playbook -i localhost, -e ansible_python_interpreter="$BIN/python" \
        "$REPO/tests/tools/smoke-installed.yml"; then
    fail "the smoke playbook failed against the installed collection"
fi
echo "PASS [$CHECK_NAME]"
