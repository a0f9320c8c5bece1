#!/usr/bin/env bash
# make docs: the collection's documentation renders and is complete.
#  1. ansible-doc renders every plugin (modules, lookups, ... found in the
#     tree, filters/tests as ansible-doc lists them) and every role
#     (ansible-doc -t role) with no error and no [WARNING].
#  2. antsibull-docs lint-collection-docs --plugin-docs: docs schema, markup,
#     references (to this collection and those it depends on), RST rendering.
#  3. antsibull-changelog lint: changelogs/ and every fragment.
#  4. tests/tools/check_role_docs.py: each role's README.md documents every
#     option in meta/argument_specs.yml, and defaults match the spec.
# shellcheck source=tests/tools/common.sh
source "$(dirname "$0")/common.sh"

work="$(make_temp_dir)"; register_temp_dir "$work"
link_collection "$work"
sandbox_ansible_home "$work"
collection="$work/ansible_collections/devkeys/aws"
failures=()

# render TYPE NAME: ansible-doc must succeed and print no warning or error.
render() {
    local output
    if output="$(ansible-doc -t "$1" "devkeys.aws.$2" 2>&1)" && ! grep -Eq '\[WARNING\]|\[ERROR\]|ERROR!' <<<"$output"; then
        echo "ok    ansible-doc -t $1 devkeys.aws.$2"
    else
        echo "FAIL  ansible-doc -t $1 devkeys.aws.$2"
        printf '%s\n' "$output" | tail -n 25 | sed 's/^/      /'
        failures+=("ansible-doc -t $1 devkeys.aws.$2")
    fi
}

step "ansible-doc: plugins and roles found in the tree"
cd "$REPO" || exit 1
count=0
# plugins/<dir> -> ansible-doc type, for plugin types with one plugin per file.
for pair in modules:module lookup:lookup inventory:inventory callback:callback connection:connection \
            become:become cache:cache vars:vars shell:shell strategy:strategy; do
    dir="plugins/${pair%%:*}"
    [[ -d "$dir" ]] || continue
    for file in "$dir"/*.py; do
        [[ -e "$file" ]] || continue
        name="$(basename "$file" .py)"
        [[ "$name" == _* ]] && continue
        render "${pair##*:}" "$name"
        count=$((count + 1))
    done
done
# filter and test plugins: several per file, documented in YAML files.
for type in filter test; do
    [[ -d "plugins/$type" ]] || continue
    while IFS= read -r name; do
        render "$type" "${name#devkeys.aws.}"
        count=$((count + 1))
    done < <(ansible-doc -t "$type" -l devkeys.aws --json | "$BIN/python" -c 'import json, sys; print("\n".join(json.load(sys.stdin)))')
done
for role in roles/*/; do
    [[ -d "$role" ]] || continue
    render role "$(basename "$role")"
    count=$((count + 1))
done
echo "ansible-doc: $count plugin(s) and role(s) rendered"

step "antsibull-docs lint-collection-docs --plugin-docs"
if ! with_heartbeat "antsibull-docs lint-collection-docs" antsibull-docs lint-collection-docs --plugin-docs \
        --validate-collection-refs all --disallow-unknown-collection-refs "$collection"; then
    failures+=("antsibull-docs lint-collection-docs")
fi

step "antsibull-changelog lint"
if ! antsibull-changelog lint; then
    failures+=("antsibull-changelog lint")
fi

step "role README.md against meta/argument_specs.yml"
if ! "$BIN/python" tests/tools/check_role_docs.py "$REPO"; then
    failures+=("tests/tools/check_role_docs.py")
fi

if (( ${#failures[@]} )); then
    printf 'failed: %s\n' "${failures[@]}" >&2
    fail "${#failures[@]} documentation check(s) failed (see above)"
fi
echo "PASS [$CHECK_NAME]"
