#!/usr/bin/env bash
# Rebuild kg/web/static/vendor/sparql-editor.js from the pinned npm packages (needs node and npm).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
