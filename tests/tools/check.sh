#!/usr/bin/env bash
# make check: the fast inner loop (under 3 minutes on 2 cores), before `make test`:
#  1. every unit test (pytest tests/unit, 2 workers);
#  2. ansible-lint on the changed YAML files (and check_dependencies.py);
#  3. ansible-test sanity on the changed files, plus the plugins that import a changed
#     module_utils/plugin_utils file (and the Python 3.8 syntax check of sanity.sh).
# "Changed" means changed since the branch left main (git merge-base HEAD main, else
# origin/main; on main itself: since HEAD), uncommitted and new untracked files included,
# deleted ones left out. CHECK_BASE=<commit> compares with another commit.
# Not covered (make test does it): integration tests, molecule, docs, build, bench-smoke,
# and lint or sanity findings in unchanged files that a change causes.
# shellcheck source=tests/tools/common.sh
source "$(dirname "$0")/common.sh"

cd "$REPO" || exit 1
git rev-parse --git-dir > /dev/null 2>&1 || fail "not a git checkout: make check needs git to find the changed files"
base="${CHECK_BASE:-$(git merge-base HEAD main 2>/dev/null || git merge-base HEAD origin/main 2>/dev/null ||
    git rev-parse HEAD)}"
changed=()
while IFS= read -r -d '' file; do
    [[ -f "$file" ]] && changed+=("$file")
done < <({ git diff --name-only -z "$base" --; git ls-files -o --exclude-standard -z; } | sort -zu)
step "${#changed[@]} file(s) changed since $(git rev-parse --short "$base")"

failed=()
step "unit tests: make unit"
make --no-print-directory unit || failed+=(unit)

yaml=()
for file in "${changed[@]+"${changed[@]}"}"; do
    [[ "$file" == *.yml || "$file" == *.yaml ]] && yaml+=("$file")
done
if (( ${#yaml[@]} )); then
    step "ansible-lint on ${#yaml[@]} changed YAML file(s)"
    bash tests/tools/lint.sh "${yaml[@]}" || failed+=(lint)
else
    step "no YAML file changed: ansible-lint skipped"
fi

# Plugins that import a changed module_utils/plugin_utils file: its change can break their import or docs.
targets=("${changed[@]+"${changed[@]}"}")
for file in "${changed[@]+"${changed[@]}"}"; do
    if [[ "$file" =~ ^plugins/(module_utils|plugin_utils)/([A-Za-z0-9_]+)\.py$ ]]; then
        pattern="plugins[.]${BASH_REMATCH[1]}([.]${BASH_REMATCH[2]}\b| import .*\b${BASH_REMATCH[2]}\b)"
        while IFS= read -r importer; do
            targets+=("$importer")
        done < <(grep -rlE --include='*.py' "$pattern" plugins || true)
    fi
done
if (( ${#targets[@]} )); then
    mapfile -t targets < <(printf '%s\n' "${targets[@]}" | sort -u)
    step "ansible-test sanity on ${#targets[@]} file(s): the changed ones and the plugins importing them"
    bash tests/tools/sanity.sh "${targets[@]}" || failed+=(sanity)
else
    step "nothing changed: ansible-test sanity skipped"
fi

if (( ${#failed[@]} )); then
    fail "${failed[*]} failed (see above); make test runs every check"
fi
echo "PASS [$CHECK_NAME] (unit, then lint and sanity on ${#changed[@]} changed file(s); make test runs every check)"
