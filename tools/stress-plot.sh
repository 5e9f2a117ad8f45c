#!/usr/bin/env bash
# stress-plot.sh [RUN|CSV [SVG]]: draws a stress run's samples as an SVG
# image, with nothing but awk, and a PNG beside it if rsvg-convert or
# ImageMagick is installed. `make stress-plot RUN=...` calls it.
#
# RUN is a run's path without its ending (build/stress/stress-cpus4-seed1-30s),
# or its .csv or .log, or a bare run name looked up in build/stress and
# build/fuzz; any existing file is taken as the CSV. With no argument it draws the newest CSV in build/stress.
#
# The picture: a title with the verdict (PASS, FAIL, HANG, PANIC: read from
# the run's log beside the CSV), the seed and the harts; then four panels
# over time (seconds since the driver took its baseline): free pages and
# free region nodes, each with its baseline (the first sample) as a dashed
# line; operations per second (from the cumulative ops column); and live
# processes. A dotted line marks the end of the workers' run (DURATION).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "stress-plot: $*" >&2; exit 1; }
rel() { local p=$1; p=${p#"$PWD"/}; echo "$p"; }

arg=${1:-}
if [ -z "$arg" ]; then
  csv=$(ls -t "$top"/build/stress/*.csv 2>/dev/null | head -n 1)
  [ -n "$csv" ] || die "no run to draw: build/stress holds no CSV yet (run make stress first, or give RUN=path)"
  csv=$(rel "$csv")
  echo "stress-plot: drawing the newest run, ${csv%.csv} (RUN=build/stress/<run> draws another)"
else
  [ -d "$arg" ] && die "$arg is a folder: name one run in it, e.g. RUN=$arg/stress-cpus4-seed1-30s"
  case $arg in
    *.log | *.svg | *.png) csv=${arg%.*}.csv ;;
    *) if [ -f "$arg" ]; then csv=$arg; else csv=${arg%.csv}.csv; fi ;;
  esac
  if [ ! -e "$csv" ] && [ "$csv" = "${csv#*/}" ]; then     # a bare run name
    for d in build/stress build/fuzz; do
      [ -e "$top/$d/$csv" ] && csv=$(rel "$top/$d/$csv") && break
    done
  fi
  [ -e "$csv" ] || die "no run ${csv%.csv}: $csv does not exist (runs are named like build/stress/stress-cpus4-seed1-30s; see ls build/stress)"
fi
{ [ -f "$csv" ] && [ -r "$csv" ]; } || die "$csv is not a readable file"
[ "$(head -n 1 "$csv")" = "seconds,free_pages,free_nodes,ops,lazy_faults,procs" ] ||
  die "$csv is not a stress run's samples (its first line is not the stress-csv header)"
[ "$(wc -l <"$csv")" -ge 2 ] || die "$csv holds no samples (the run ended before its first one: see ${csv%.csv}.log)"
svg=${2:-${csv%.csv}.svg}
png=${svg%.svg}.png
log=${csv%.csv}.log
[ -f "$log" ] || log=/dev/null

tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
awk -F, -v name="$(basename "${csv%.csv}")" -v run="${csv%.csv}" '
  function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
  # The number after "word " in s (e.g. "seed 7"), or "".
  function after(s, word) {
    if (!match(s, word " [0-9]+")) return ""
    return substr(s, RSTART + length(word) + 1, RLENGTH - length(word) - 1) + 0
  }
  function before(s, word) {
    if (!match(s, "[0-9]+ " word)) return ""
    return substr(s, RSTART, RLENGTH - length(word) - 1) + 0
  }
  # A round tick step giving about n intervals over range: 1, 2 or 5 x 10^k.
  function nicestep(range, n, intonly,   raw, p, f) {
    if (range <= 0) return 1
    raw = range / n
    p = 1
    while (p * 10 <= raw) p *= 10
    while (p > raw) p /= 10
    f = raw / p
    f = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
    if (intonly && f * p < 1) return 1
    return f * p
  }
  function floorv(v) { return v == int(v) || v >= 0 ? int(v) : int(v) - 1 }
  # Sets lo[k], hi[k], step[k] for values vmin..vmax.
  function yaxis(k, vmin, vmax, from0,   s) {
    if (from0) vmin = 0
    if (vmax <= vmin) vmax = vmin + 1
    s = nicestep(vmax - vmin, 4, 1)
    lo[k] = floorv(vmin / s) * s
    hi[k] = -floorv(-vmax / s) * s
    if (hi[k] <= lo[k]) hi[k] = lo[k] + s
    step[k] = s
  }
  function X(t) { return L + (xmax ? t / xmax : 0) * (R - L) }
  function Y(k, v) { return top[k] + PH - (v - lo[k]) / (hi[k] - lo[k]) * PH }
  function num(v) { return v == int(v) ? sprintf("%d", v) : sprintf("%.1f", v) }
  function panel(k, title, unit, note, notecolor,   v, t, y) {
    printf "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">%s</text>\n", L, top[k] - 10, esc(title)
    if (note != "")
      printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"%s\">%s</text>\n", R, top[k] - 10, notecolor, esc(note)
    for (v = lo[k]; v <= hi[k] + step[k] / 1000; v += step[k]) {
      y = Y(k, v)
      printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", L, y, R, y
      printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n", L - 5, y, L, y
      printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 8, y + 4, num(v)
    }
    for (t = 0; t <= xmax + xstep / 1000; t += xstep) {
      printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#f0f0f0\"/>\n", X(t), top[k], X(t), top[k] + PH
      printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n", X(t), top[k] + PH, X(t), top[k] + PH + 5
      printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", X(t), top[k] + PH + 18, num(t)
    }
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#555\">s</text>\n", R + 28, top[k] + PH + 18
    printf "<text transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">%s</text>\n", 22, top[k] + PH / 2, unit
    printf "<path d=\"M%d,%d V%d H%d\" fill=\"none\" stroke=\"#333\"/>\n", L, top[k], top[k] + PH, R
    if (dur > 0 && dur <= xmax)
      printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"2,3\"/>\n", X(dur), top[k], X(dur), top[k] + PH
  }
  function baseline(k, v, what) {
    printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\" stroke-width=\"1.2\" stroke-dasharray=\"7,4\"/>\n", L, Y(k, v), R, Y(k, v)
    printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\" font-size=\"11\">baseline %s%s (first sample)</text>\n", R - 6, Y(k, v) - 5 + (Y(k, v) - 5 < top[k] + 10 ? 18 : 0), num(v), what != "" ? " " what : ""
  }
  function series(k, arr, color, dots,   i, s) {
    s = ""
    for (i = 0; i < n; i++) s = s sprintf("%.1f,%.1f ", X(t[i]), Y(k, arr[i]))
    printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"%s\"/>\n", color, s
    if (dots && n <= 120)
      for (i = 0; i < n; i++)
        printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", X(t[i]), Y(k, arr[i]), color
  }
  function delta_note(v, b,   d) {
    d = v - b
    return sprintf("last sample %d: delta %s%d from the baseline", v, d > 0 ? "+" : "", d)
  }

  BEGIN { n = 0 }                           # n is a subscript: 0, not ""

  # The log (first file): the header and verdict lines of tools/stress.sh,
  # else what the driver and the kernel printed.
  FNR == NR {
    if ($0 ~ /^stress\.sh: verdict: /) {
      split($0, w, " "); verdict = w[3]; sub(/:$/, "", verdict)
      vtext = $0; sub(/^stress\.sh: verdict: [A-Z]+: /, "", vtext)
    }
    else if ($0 ~ /^stress\.sh: [a-z]+: [0-9]+ harts, /) {
      split($0, w, " "); prog = w[2]; sub(/:$/, "", prog)
      harts = before($0, "harts"); seed = after($0, "seed"); dur = before($0, "s,")
      knobs = $0; sub(/^[^,]*, [^,]*, [^,]*, [^,]*workers/, "", knobs); sub(/; watchdog.*/, "", knobs); sub(/^, /, "", knobs)
    }
    else if ($0 ~ /^stress\.sh: [a-z]+: deterministic/) mode = "deterministic QEMU"
    else if ($0 ~ /^stress\.sh: [a-z]+: multi-threaded/) mode = "multi-threaded QEMU"
    else if ($0 ~ /^[a-z]+: seed [0-9]+, [0-9]+ s, /) {
      if (prog == "") { prog = $0; sub(/:.*/, "", prog) }
      if (seed == "") seed = after($0, "seed")
      if (dur == "") dur = before($0, "s,")
    }
    else if ($0 ~ /^kernel: [0-9]+ harts in the device tree/) { if (harts == "") harts = before($0, "harts") }
    else if ($0 ~ /^panic/ && why == "") { why = $0; seen = "PANIC" }
    else if ($0 ~ /^[a-z]+: FAIL seed / && why == "") { why = $0; if (seen == "") seen = "FAIL" }
    else if ($0 ~ /^[a-z]+: PASS seed /) passed = 1
    next
  }
  FNR == 1 { next }                         # the CSV header
  {
    t[n] = $1; pages[n] = $2; nodes[n] = $3; ops[n] = $4; procs[n] = $6
    if (n == 0 || $2 < pmin) pmin = $2
    if (n == 0 || $2 > pmax) pmax = $2
    if (n == 0 || $3 < nmin) nmin = $3
    if (n == 0 || $3 > nmax) nmax = $3
    if ($6 > prmax) prmax = $6
    if ($1 > tmax) tmax = $1
    n++
  }
  END {
    if (verdict == "") verdict = seen != "" ? seen : passed ? "PASS" : "NO RESULT"
    vcolor = verdict == "PASS" ? "#1a7f37" : verdict == "HANG" ? "#c76a00" : verdict == "NO RESULT" ? "#666" : "#c4161c"
    # Operations per second: the ops column is cumulative; each interval
    # between two samples gets its average rate, drawn as a step.
    rn = 0; rmax = 0
    for (i = 1; i < n; i++) {
      dt = t[i] - t[i - 1]
      if (dt <= 0) continue
      rate = (ops[i] - ops[i - 1]) / dt
      rt0[rn] = t[i - 1]; rt1[rn] = t[i]; rv[rn] = rate; rn++
      if (rate > rmax) rmax = rate
      if (ops[i] > opsrun) { opsrun = ops[i]; trun = t[i] }
    }
    xmax = tmax > dur ? tmax : dur + 0
    if (xmax <= 0) xmax = 1
    xstep = nicestep(xmax, 10, 1)
    xmax = -floorv(-xmax / xstep) * xstep

    W = 960; L = 90; R = 910; PH = 120; GAP = 64
    for (k = 0; k < 4; k++) top[k] = 132 + k * (PH + GAP)
    H = top[3] + PH + 52
    yaxis(0, pmin < pages[0] ? pmin : pages[0], pmax > pages[0] ? pmax : pages[0], 0)
    yaxis(1, nmin, nmax > nodes[0] ? nmax : nodes[0], 1)
    yaxis(2, 0, rmax, 1)
    yaxis(3, 0, prmax, 1)

    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n", W, H, W, H
    printf "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H
    if (prog == "") { prog = name; sub(/-.*/, "", prog) }
    if (why == "" && verdict != "PASS" && vtext != "") why = vtext
    title = sprintf("%s%s%s%s", prog, seed != "" ? ", seed " seed : "", harts != "" ? ", " harts " harts" : "", dur != "" ? ", " dur " s" : "")
    printf "<text x=\"%d\" y=\"30\" font-size=\"20\" font-weight=\"bold\"><tspan fill=\"%s\">%s</tspan><tspan dx=\"14\">%s</tspan></text>\n", L, vcolor, esc(verdict), esc(title)
    sub2 = run " (.csv, .log)"
    if (mode != "") sub2 = sub2 "; " mode
    if (knobs != "") sub2 = sub2 "; " knobs
    printf "<text x=\"%d\" y=\"52\" fill=\"#444\">%s</text>\n", L, esc(sub2)
    printf "<text x=\"%d\" y=\"70\" fill=\"#444\">%d samples, time in seconds since the baseline; dotted line: the workers stop%s</text>\n", L, n, dur != "" ? " (" dur " s)" : ""
    if (why != "") printf "<text x=\"%d\" y=\"88\" fill=\"%s\">%s</text>\n", L, vcolor, esc(length(why) > 130 ? substr(why, 1, 127) "..." : why)

    panel(0, "free pages", "pages", delta_note(pages[n - 1], pages[0]), pages[n - 1] == pages[0] ? "#1a7f37" : "#c4161c")
    baseline(0, pages[0], "pages")
    series(0, pages, "#1f77b4", 1)

    panel(1, "free region nodes (the mmap_region_node pool)", "nodes", delta_note(nodes[n - 1], nodes[0]), nodes[n - 1] == nodes[0] ? "#1a7f37" : "#c4161c")
    baseline(1, nodes[0], "nodes")
    series(1, nodes, "#7b3fa0", 1)

    panel(2, "operations per second (all kinds, per sample interval)", "ops/s",
          trun > 0 ? sprintf("mean %.0f ops/s over %d s (%d operations)", opsrun / trun, trun, opsrun) : "", "#444")
    if (rn > 0) {
      s = ""
      for (i = 0; i < rn; i++) s = s sprintf("%.1f,%.1f %.1f,%.1f ", X(rt0[i]), Y(2, rv[i]), X(rt1[i]), Y(2, rv[i]))
      printf "<polyline fill=\"none\" stroke=\"#e07000\" stroke-width=\"2\" points=\"%s\"/>\n", s
    }

    panel(3, "live processes (process-table entries, threads included)", "processes", sprintf("peak %d", prmax), "#444")
    baseline(3, procs[0], "")
    series(3, procs, "#2a8a8a", 1)

    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#333\">time since the baseline (seconds)</text>\n", (L + R) / 2, top[3] + PH + 42
    print "</svg>"
  }' "$log" "$csv" >"$tmp" || die "awk failed drawing $csv"
mv "$tmp" "$svg"
trap - EXIT
echo "stress-plot: wrote $svg"

# A PNG beside it, if a converter is installed (none is required).
rm -f "$png"
how=""
is_png() { [ -s "$png" ] && [ "$(head -c 4 "$png" | tail -c 3)" = PNG ]; }
if command -v rsvg-convert >/dev/null 2>&1 && rsvg-convert -b white -o "$png" "$svg" 2>/dev/null && is_png; then
  how=rsvg-convert
elif command -v magick >/dev/null 2>&1 && magick "$svg" "$png" 2>/dev/null && is_png; then
  how=magick
elif command -v convert >/dev/null 2>&1 && convert "$svg" "$png" 2>/dev/null && is_png; then
  how=convert
fi
if [ -n "${how:-}" ]; then
  echo "stress-plot: wrote $png ($how)"
else
  rm -f "$png"
  echo "stress-plot: no PNG: neither rsvg-convert (librsvg2-bin) nor ImageMagick can convert SVG here; the SVG opens in any web browser"
fi
