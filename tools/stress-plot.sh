#!/usr/bin/env bash
# stress-plot.sh CSV [SVG]: draws a stress run's samples (free pages and
# free region nodes over time) as an SVG image, with nothing but awk.
set -eu
csv=${1:?usage: stress-plot.sh CSV [SVG]}
svg=${2:-${csv%.csv}.svg}
awk -F, -v title="$(basename "$csv" .csv)" '
  BEGIN { n = 0 }
  NR == 1 { next }                       # header
  { t[n] = $1; pages[n] = $2; nodes[n] = $3; n++
    if ($1 > tmax) tmax = $1
    if (n == 1 || $2 < pmin) pmin = $2
    if ($2 > pmax) pmax = $2
    if ($3 > nmax) nmax = $3 }
  function x(v) { return 60 + (tmax ? v / tmax : 0) * 620 }
  function yp(v) { return 40 + (pmax > pmin ? (pmax - v) / (pmax - pmin) : 0.5) * 160 }
  function yn(v) { return 260 + (nmax ? (nmax - v) / nmax : 0.5) * 160 }
  function line(arr, which, color,   i, s) {
    s = ""
    for (i = 0; i < n; i++)
      s = s sprintf("%.1f,%.1f ", x(t[i]), which == "p" ? yp(arr[i]) : yn(arr[i]))
    printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", color, s
  }
  END {
    print "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"460\" font-family=\"sans-serif\" font-size=\"12\">"
    print "<rect width=\"720\" height=\"460\" fill=\"white\"/>"
    printf "<text x=\"60\" y=\"20\" font-size=\"14\">%s: %d samples over %d s</text>\n", title, n, tmax
    printf "<text x=\"60\" y=\"36\">free pages (%d..%d)</text>\n", pmin, pmax
    printf "<text x=\"60\" y=\"256\">free region nodes (0..%d)</text>\n", nmax
    print "<line x1=\"60\" y1=\"200\" x2=\"680\" y2=\"200\" stroke=\"#999\"/>"
    print "<line x1=\"60\" y1=\"420\" x2=\"680\" y2=\"420\" stroke=\"#999\"/>"
    printf "<text x=\"640\" y=\"440\">%d s</text>\n", tmax
    line(pages, "p", "#1f77b4")
    line(nodes, "n", "#d62728")
    print "</svg>"
  }' "$csv" >"$svg"
echo "stress-plot: wrote $svg"
