# Sourced by demo.sh and test.sh: system packages (when root), a virtualenv, the project and its dev tools.
SYSTEM_PACKAGES="espeak-ng ffmpeg chromium chromium-driver fonts-thai-tlwg postgresql-client"
missing=""
for tool in espeak-ng ffmpeg chromium pg_dump; do command -v "$tool" >/dev/null 2>&1 || missing="yes"; done
[ -d /usr/share/fonts/truetype/tlwg ] || missing="yes"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: $SYSTEM_PACKAGES"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $SYSTEM_PACKAGES >/dev/null
  else
    echo "Please install: sudo apt-get install $SYSTEM_PACKAGES (speech, audio and browser tests need them)" >&2
  fi
fi
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.wela-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
