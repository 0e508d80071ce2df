# Shared by bin/demo and bin/test (sourced, not run). Works on a fresh Debian or Ubuntu
# machine that has only Python 3.11: what is missing is installed with apt-get when run
# as root, or named so that you can install it.
PYTHON=${PYTHON:-python3}

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing $* with apt-get …"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "Missing: install the Debian packages $* (for example: sudo apt-get install $*)." >&2
    exit 1
  fi
}

ensure_venv() {
  if [ -x .venv/bin/python ] && .venv/bin/python -m pip --version >/dev/null 2>&1; then
    return
  fi
  rm -rf .venv
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    # Debian's own Python needs python3-venv for ensurepip.
    rm -rf .venv
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
}

pip_install() {
  # setuptools' notes about editable installs are not for the person running this.
  PYTHONWARNINGS=ignore .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"
}
