#!/usr/bin/env bash
# Copy the npm front-end assets into static/vendor/ (git-ignored), where Django's staticfiles finds
# them. Run after `npm ci`. Idempotent: the destination is rebuilt from scratch on every run, so a
# package upgrade never leaves stale files behind. Nothing is ever loaded from a CDN.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/node_modules"
DEST="$ROOT/static/vendor"

if [[ ! -d "$SRC/bootstrap" || ! -d "$SRC/bootstrap-icons" || ! -d "$SRC/htmx.org" ]]; then
  echo "copy_assets: node_modules is incomplete; run 'npm ci' first." >&2
  exit 1
fi

copy() {
  # copy SOURCE [required|optional]: a missing optional file (a source map) is skipped.
  local source="$1" mode="${2:-required}"
  if [[ -f "$source" ]]; then
    cp "$source" "$DEST/"
  elif [[ "$mode" == "required" ]]; then
    echo "copy_assets: missing $source" >&2
    exit 1
  fi
}

rm -rf "$DEST"
mkdir -p "$DEST"

copy "$SRC/bootstrap/dist/css/bootstrap.min.css"
copy "$SRC/bootstrap/dist/css/bootstrap.min.css.map" optional
copy "$SRC/bootstrap/dist/js/bootstrap.bundle.min.js"
copy "$SRC/bootstrap/dist/js/bootstrap.bundle.min.js.map" optional

# The icon stylesheet refers to its fonts as "fonts/...": keep that folder next to it.
copy "$SRC/bootstrap-icons/font/bootstrap-icons.min.css"
cp -R "$SRC/bootstrap-icons/font/fonts" "$DEST/fonts"

copy "$SRC/htmx.org/dist/htmx.min.js"

echo "copy_assets: vendor assets copied to ${DEST#"$ROOT"/}"
