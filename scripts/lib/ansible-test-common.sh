# shellcheck shell=bash
# Shared by scripts/ansible-sanity and scripts/ansible-units (sourced, not executed).
#
# ansible-test needs the collection at .../ansible_collections/<namespace>/<name>/, and it must run offline:
#  1. install_get_pip_standin: every venv ansible-test creates is made `--without-pip` and bootstrapped with
#     get-pip-<pip version>.py, downloaded from ci-files.testing.ansible.com (unreachable here) unless
#     ~/.ansible/test/cache/get_pip_<pip version>.py exists. We put scripts/get_pip_offline.py there; it
#     bootstraps pip with ensurepip and installs the requested pip from PyPI.
#  2. layout_collection: copy the collection's files to .build/ansible_collections/raftops/cluster (git-ignored),
#     the directory layout ansible-test requires.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${ROOT}/.venv"
ANSIBLE_TEST="${VENV}/bin/ansible-test"
COLLECTION_DIR="${ROOT}/.build/ansible_collections/raftops/cluster"

# Paths (relative to the repository root) that are not collection content and stay out of the layout that
# ansible-test checks (a Perl regex, see layout_collection). They have their own tooling (ruff + pytest for
# server/ and for the pytest suites under tests/integration/, the CI runner for .ci/, shellcheck for scripts/)
# and ansible-test's rules for collection content (pylint/pep8 settings, module and shebang rules) are not
# meant for them. ansible-test integration targets (tests/integration/targets/) stay in. The tarball built by
# `ansible-galaxy collection build` follows galaxy.yml's build_ignore instead; scripts/collection-build-check
# checks that one.
LAYOUT_EXCLUDE_REGEX='^(server/|\.ci/|scripts/|bench/|tests/integration/(?!targets/)|tests/conftest\.py$|Makefile$)'

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

require_venv() {
  [[ -x "${ANSIBLE_TEST}" ]] || die "${ANSIBLE_TEST} not found; create the venv first (.venv with ansible-core)"
}

# The pip version ansible-test bootstraps into its venvs decides the cache file name (get_pip_24_2.py for
# ansible-core 2.19). Ask the installed ansible-test; fall back to reading its source.
ansible_test_pip_version() {
  "${VENV}/bin/python" - <<'PY'
import re
import types

try:
    from ansible_test._internal.python_requirements import get_venv_packages

    print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])
except Exception:  # older/newer layouts: read the pinned default from the source
    import ansible_test

    path = ansible_test.__path__[0] + "/_internal/python_requirements.py"
    match = re.search(r"pip='([0-9.]+)'", open(path, encoding="utf-8").read())
    if not match:
        raise SystemExit("cannot find the pip version pinned by ansible-test in " + path)
    print(match.group(1))
PY
}

install_get_pip_standin() {
  local version cache target
  version="$(ansible_test_pip_version)" || die "cannot determine the pip version ansible-test uses"
  cache="${HOME}/.ansible/test/cache"
  target="${cache}/get_pip_${version//./_}.py"
  mkdir -p "${cache}"
  if ! cmp -s "${ROOT}/scripts/get_pip_offline.py" "${target}"; then
    cp "${ROOT}/scripts/get_pip_offline.py" "${target}"
    echo "installed the offline get-pip stand-in as ${target}"
  fi
}

# Copy tracked and untracked-but-not-ignored files (so work in progress is checked too), minus
# LAYOUT_EXCLUDE_REGEX and files deleted from the work tree. The layout is rebuilt from scratch each time so
# that deleted or renamed files do not linger, except tests/output/: ansible-test keeps the venv of
# `units --venv` there (tests/output/.tmp/delegation), and rebuilding it costs about 20 s per run.
layout_collection() {
  local saved_output="${ROOT}/.build/.ansible-test-output"
  rm -rf "${saved_output}"
  if [[ -d "${COLLECTION_DIR}/tests/output" ]]; then
    mv "${COLLECTION_DIR}/tests/output" "${saved_output}"
  fi
  rm -rf "${COLLECTION_DIR}"
  mkdir -p "${COLLECTION_DIR}"
  (
    cd "${ROOT}" || exit 1
    git ls-files -z --cached --others --exclude-standard \
      | grep -zPv "${LAYOUT_EXCLUDE_REGEX}" \
      | while IFS= read -r -d '' path; do
        if [[ -f "${path}" || -L "${path}" ]]; then
          printf '%s\0' "${path}"
        fi
      done \
      | tar --null --no-recursion -T - -cf - \
      | tar -xf - -C "${COLLECTION_DIR}"
  )
  # ansible-test looks for version control upwards from the collection root and would find this repository's
  # .git, where .build/ is ignored, and then see no files at all. An empty repository at the layout root stops
  # the search there; ansible-test lists its untracked files (git ls-files --others --exclude-standard).
  git -c init.defaultBranch=main init -q "${COLLECTION_DIR}"
  if [[ -d "${saved_output}" ]]; then
    mkdir -p "${COLLECTION_DIR}/tests"
    mv "${saved_output}" "${COLLECTION_DIR}/tests/output"
  fi
  echo "collection laid out at ${COLLECTION_DIR#"${ROOT}"/}"
}
