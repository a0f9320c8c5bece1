#!/usr/bin/env bash
# make sanity: `ansible-test sanity` over a copy of the tree, with no ignore file.
#
# ansible-test insists on running from .../ansible_collections/devkeys/aws and
# is confused by a symlinked tree, so the files git knows about (tracked and
# new, minus ignored ones such as .venv and tests/output) are copied to a temp
# ansible_collections/devkeys/aws; amazon.aws is copied next to it because
# ansible-test resolves collection imports from that ansible_collections dir only.
#
# --venv: no docker here; ansible-test builds one venv per sanity test under
# ~/.ansible/test (cached; first run from scratch downloads from PyPI).
# --python 3.11: the only Python on this machine. The compile test therefore
# runs for 3.11 only, so Python 3.8 syntax of modules/module_utils is checked
# here separately (ast feature_version=(3, 8)).
# shellcheck source=tests/tools/common.sh
source "$(dirname "$0")/common.sh"

if [[ -e "$REPO/tests/sanity" ]] && find "$REPO/tests/sanity" -name 'ignore-*.txt' -size +0 | grep -q .; then
    fail "tests/sanity/ignore-*.txt must not list anything: fix the code instead"
fi

work="$(make_temp_dir)"; register_temp_dir "$work"
dest="$work/ansible_collections/devkeys/aws"
mkdir -p "$dest" "$work/ansible_collections/amazon"

step "copying the working tree to $dest"
cd "$REPO" || exit 1
tracked_files | while IFS= read -r -d '' file; do
    [[ -e "$file" || -L "$file" ]] && printf '%s\0' "$file"
done | tar --null -T - -cf - | tar -xf - -C "$dest"
cp -a "$(site_collections)/ansible_collections/amazon/aws" "$work/ansible_collections/amazon/aws"

# ansible-test bootstraps pip in each venv with get-pip.py from
# ci-files.testing.ansible.com (unreachable here) unless a cached copy exists:
# put our offline shim at that cache path, for the pip version it asks for.
pip_version="$("$BIN/python" - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="3.11"))["pip"])
PY
)"
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
if ! cmp -s "$REPO/tests/tools/get_pip_shim.py" "$cache"; then
    step "installing the offline get-pip shim for pip $pip_version at $cache"
    cp "$REPO/tests/tools/get_pip_shim.py" "$cache"
fi

step "checking Python 3.8 syntax of modules and module_utils"
syntax_ok=true
"$BIN/python" - "$dest" <<'PY' || syntax_ok=false
import ast, pathlib, sys
bad = 0
root = pathlib.Path(sys.argv[1])
for path in sorted(root.glob("plugins/module*/**/*.py")):
    try:
        ast.parse(path.read_bytes(), str(path), feature_version=(3, 8))
    except SyntaxError as error:
        bad += 1
        print(f"{path.relative_to(root)}:{error.lineno}:{error.offset}: not Python 3.8 syntax: {error.msg}")
sys.exit(1 if bad else 0)
PY

step "ansible-test sanity --venv --python 3.11"
cd "$dest" || exit 1
# Requirement installs use this machine's pip config (PyPI plus local indexes).
status=0
with_heartbeat "ansible-test sanity" ansible-test sanity --venv --python 3.11 --requirements --color no "$@" ||
    status=$?
if [[ "$syntax_ok" != true ]]; then
    fail "modules or module_utils do not parse as Python 3.8 (listed above)"
fi
if (( status != 0 )); then
    fail "ansible-test sanity failed (see the errors above; paths are relative to the collection root)"
fi
echo "PASS [$CHECK_NAME]"
