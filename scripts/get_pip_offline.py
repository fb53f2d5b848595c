# An offline stand-in for the get-pip.py bootstrap that ansible-test downloads;
# only this header and one blank line (ruff format) were added. Kept in the repo so that a clean clone can run
# ansible-test offline. scripts/ansible-sanity and scripts/ansible-units install it as
# ~/.ansible/test/cache/get_pip_<pip version>.py, the bootstrap script ansible-test would otherwise download.
"""Offline stand-in for https://ci-files.testing.ansible.com/ansible-test/get-pip-24.2.py.

ansible-test runs this inside a fresh `venv --without-pip` as:
  python get_pip_24_2.py --disable-pip-version-check pip==24.2 [setuptools==X] [wheel==Y] [--no-setuptools] [--no-wheel]
We bootstrap pip from the stdlib's bundled wheel (ensurepip) and then let that pip
install the requested versions from the configured index (PyPI).
"""

import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *args])
