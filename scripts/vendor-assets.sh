#!/usr/bin/env bash
# Refresh app/static/vendor from the npm packages pinned in assets/package.json.
# Run it after changing a version there; commit the result (the app never fetches at run time).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$root/assets/package.json" "$work/"
(cd "$work" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error)
cp "$work/package-lock.json" "$root/assets/package-lock.json"
nm="$work/node_modules"
dest="$root/app/static/vendor"
rm -rf "$dest"
mkdir -p "$dest/bootstrap" "$dest/bootstrap-icons/fonts" "$dest/htmx" "$dest/cytoscape"
cp "$nm/bootstrap/dist/css/bootstrap.min.css" "$nm/bootstrap/dist/css/bootstrap.min.css.map" "$dest/bootstrap/"
cp "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" "$nm/bootstrap/dist/js/bootstrap.bundle.min.js.map" "$dest/bootstrap/"
cp "$nm/bootstrap/LICENSE" "$dest/bootstrap/LICENSE"
cp "$nm/bootstrap-icons/font/bootstrap-icons.min.css" "$dest/bootstrap-icons/"
cp "$nm/bootstrap-icons/font/fonts/bootstrap-icons.woff2" "$nm/bootstrap-icons/font/fonts/bootstrap-icons.woff" "$dest/bootstrap-icons/fonts/"
cp "$nm/bootstrap-icons/LICENSE" "$dest/bootstrap-icons/LICENSE"
cp "$nm/htmx.org/dist/htmx.min.js" "$dest/htmx/"
cp "$nm/htmx.org/LICENSE" "$dest/htmx/LICENSE"
# The CMDB graph view (app/static/js/cmdb-graph.js); the minified UMD build has no dependencies.
cp "$nm/cytoscape/dist/cytoscape.min.js" "$dest/cytoscape/"
cp "$nm/cytoscape/LICENSE" "$dest/cytoscape/LICENSE"
# Report charts (app/static/js/charts.js); Chart.js draws on canvas and injects no styles (CSP).
mkdir -p "$dest/chartjs"
cp "$nm/chart.js/dist/chart.umd.min.js" "$dest/chartjs/"
cp "$nm/chart.js/LICENSE.md" "$dest/chartjs/LICENSE.md"
for pkg in bootstrap bootstrap-icons cytoscape htmx.org chart.js; do
  printf '%s %s\n' "$pkg" "$(node -p "require('$nm/$pkg/package.json').version")"
done > "$dest/VERSIONS"
echo "vendored into $dest:"; cat "$dest/VERSIONS"
