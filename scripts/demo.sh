#!/usr/bin/env bash
# Set up Wela on a fresh machine, load the demo village and serve it on http://127.0.0.1:5000/
# Usage: ./scripts/demo.sh [--host H] [--port P]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
.venv/bin/wela demo
exec .venv/bin/wela serve "$@"
