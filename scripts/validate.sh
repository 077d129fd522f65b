#!/usr/bin/env bash
# The web's own validators over the sample site (this repository):
#   1. the Nu HTML Checker (vnu, from the npm package vnu-jar, on the machine's Java)
#      over every page, stylesheet and SVG image of the output;
#   2. axe-core in Debian's headless Chromium (scripts/axe.mjs) over the front page, an
#      article, a region page, the archive and a poll page, served on 127.0.0.1 by
#      the script itself.
# Exits non-zero on any error. Needs: java (17+), node and npm, /usr/bin/chromium.
#
#   bash scripts/validate.sh            # npm ci if node_modules/ is missing, then check
#   PORT=8123 bash scripts/validate.sh  # another port for the local server
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-8765}
base="http://127.0.0.1:${port}"
work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

if [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ] || [ ! -d node_modules/@axe-core/playwright ]; then
  echo "== npm ci (validators)"
  # --ignore-scripts: vnu-jar's install script would download a Java; the machine's is used.
  npm ci --ignore-scripts --no-audit --no-fund
fi

echo "== build the sample site for ${base}/"
cargo build --quiet
"${CARGO_TARGET_DIR:-target}/debug/birge" build --quiet --output "$work/public" --base-url "$base/"

status=0

echo "== Nu HTML Checker: every page, stylesheet and SVG image"
pages=$(find "$work/public" -name '*.html' | wc -l)
assets=$(find "$work/public" -name '*.css' -o -name '*.svg' | wc -l)
if java -jar node_modules/vnu-jar/build/dist/vnu.jar --errors-only --skip-non-html \
  --also-check-css --also-check-svg "$work/public"; then
  echo "vnu: ${pages} pages, ${assets} stylesheets and SVG images, no errors"
else
  echo "vnu: errors above (${pages} pages, ${assets} stylesheets and SVG images checked)"
  status=1
fi

echo "== axe-core in headless Chromium"
if ! node scripts/axe.mjs --serve "$work/public" "$base/"; then
  status=1
fi

if [ "$status" -eq 0 ]; then
  echo "validate: all checks passed"
else
  echo "validate: FAILED"
fi
exit "$status"
