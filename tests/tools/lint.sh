#!/usr/bin/env bash
# make lint: ansible-lint (production profile, offline; yamllint included)
# over the whole collection: roles, playbooks, extensions/molecule, meta,
# galaxy.yml, changelogs; .ansible-lint at the repo root says what is excluded.
#
# Then tests/tools/check_dependencies.py: roles and playbooks use only
# collections that galaxy.yml declares (task actions and role names).
#
# ansible-lint must resolve devkeys.aws.* names without installing a copy of
# the collection: --offline stops its local install, and a temp
# ansible_collections/devkeys/aws symlink to the tree is first on the
# collections path (the venv's collections, e.g. amazon.aws and those bench/
# compares against, stay visible through the sys.path scan). ANSIBLE_HOME is a
# temp dir, so nothing lands in ~/.ansible; the check fails if a copy of
# devkeys.aws appears anywhere anyway.
# shellcheck source=tests/tools/common.sh
source "$(dirname "$0")/common.sh"

work="$(make_temp_dir)"; register_temp_dir "$work"
link_collection "$work"
# ansible-lint warns and isolates less with the sys.path scan off.
unset ANSIBLE_COLLECTIONS_SCAN_SYS_PATH
sandbox_ansible_home "$work"
export ANSIBLE_ROLES_PATH="$REPO/roles"

installed_copies() {
    find "$HOME/.ansible/collections" "$REPO/.ansible" "$REPO/.venv/.ansible" \
        -path '*/ansible_collections/devkeys/aws' 2>/dev/null || true
}
before="$(installed_copies)"

cd "$REPO" || exit 1
step "ansible-lint --offline --profile production (config: .ansible-lint)"
status=0
with_heartbeat ansible-lint ansible-lint --offline --profile production --config-file "$REPO/.ansible-lint" "$@" ||
    status=$?

after="$(installed_copies)"
if [[ "$after" != "$before" ]]; then
    fail "ansible-lint left an installed copy of devkeys.aws: $after"
fi
step "collections used by roles and playbooks are declared in galaxy.yml"
"$BIN/python" tests/tools/check_dependencies.py "$REPO" || status=$?
if (( status != 0 )); then
    fail "ansible-lint or check_dependencies.py found problems (listed above, as path:line rule)"
fi
echo "PASS [$CHECK_NAME]"
