# The table of bench/normalize/run.sh, from results.tsv lines
#   name <TAB> round <TAB> rows <TAB> wall seconds <TAB> CPU seconds
# Variables: reps commit cpu cores versions load memo_note so_note.
# For every measurement: the median over the rounds of the rate by wall-clock
# time and by CPU time. For every ratio: median over median, and the median
# of the per-round ratios (the two measured side by side, minutes apart).

function sort_(a, n,   i, j, t) {
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function med_(a, n) { sort_(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }

# clock: "wall" or "cpu"
function rate(name, rep, clock) { return rows[name, rep] / (clock == "wall" ? wall[name, rep] : cpus[name, rep]) }
function median(name, clock,   i, n, a) {
  n = 0
  for (i = 1; i <= reps; i++) if ((name, i) in rows) a[++n] = rate(name, i, clock)
  return med_(a, n)
}
function runs(name, clock,   i, s) {
  s = ""
  for (i = 1; i <= reps; i++) s = s (i > 1 ? ", " : "") sprintf("%.0f", rate(name, i, clock))
  return s
}
function row(name, label) {
  printf "| %-56s | %9.0f | %9.0f | %8.2f | %s | %s |\n", label, median(name, "wall"),
         median(name, "cpu"), 1e6 / median(name, "cpu"), runs(name, "wall"), runs(name, "cpu")
}
function round_ratio(a, b, clock,   i, n, r) {
  n = 0
  for (i = 1; i <= reps; i++) r[++n] = rate(a, i, clock) / rate(b, i, clock)
  return med_(r, n)
}
function ratio(a, b, label, target,   w, c, verdict) {
  w = median(a, "wall") / median(b, "wall")
  c = median(a, "cpu") / median(b, "cpu")
  if (target == "") verdict = ""
  else if (w >= target && c >= target) verdict = sprintf("**met** (>= %.0f%%)", 100 * target)
  else if (w < target && c < target) verdict = sprintf("**not met** (< %.0f%%)", 100 * target)
  else verdict = sprintf("mixed: %s by CPU, %s by wall clock", c >= target ? "met" : "not met", w >= target ? "met" : "not met")
  printf "| %-58s | %6.1f%% | %6.1f%% | %6.1f%% | %6.1f%% | %s |\n", label, 100 * w,
         100 * round_ratio(a, b, "wall"), 100 * c, 100 * round_ratio(a, b, "cpu"), verdict
}

{ rows[$1, $2] = $3; wall[$1, $2] = $4; cpus[$1, $2] = $5 }

END {
  printf "bench/normalize: %d rounds, commit %s, %s cores (%s)\n", reps, commit, cores, cpu
  printf "%s; load average at the end: %s\n\n", versions, load

  printf "| %-56s | %9s | %9s | %8s | %s | %s |\n", "measurement (1,000,000 rows each)", "rows/s wall", "rows/s CPU", "CPU us/row", "wall rows/s per round", "CPU rows/s per round"
  printf "|%s|%s|%s|%s|%s|%s|\n", "----------------------------------------------------------", "-----------:", "-----------:", "----------:", "---", "---"
  row("phone_raw_full",         "phone, distinct: C++ Parse+IsValidNumber+Format(E164)")
  row("phone_raw_parse_format", "phone, distinct: C++ Parse+Format(E164)")
  row("phone_pm_distinct",      "phone, distinct: SQL normalize_phone(raw, region)")
  row("phone_regexp",           "phone, distinct: SQL regexp_replace(raw, '[^0-9+]', '', 'g')")
  row("phone_scan_only",        "phone, distinct: SQL count(raw) (scan only)")
  row("phone_pm_repeat",        "phone, repeated: SQL normalize_phone(raw, region)")
  row("email_lower_btrim",      "email: SQL lower(btrim(raw))")
  row("email_pm",               "email: SQL normalize_email(raw)")
  row("email_pm_noset",         "email: diagnostic: normalize_email without SET search_path")
  row("email_scan_only",        "email: SQL count(raw) (scan only)")

  printf "\n| %-58s | %7s | %7s | %7s | %7s | %s |\n", "ratio of rates", "wall, medians", "wall, rounds", "CPU, medians", "CPU, rounds", "target"
  printf "|%s|%s|%s|%s|%s|%s|\n", "------------------------------------------------------------", "---------:", "---------:", "---------:", "---------:", "---"
  ratio("phone_pm_distinct", "phone_raw_full",         "normalize_phone / raw Parse+IsValid+Format (distinct)", 0.80)
  ratio("phone_pm_distinct", "phone_raw_parse_format", "normalize_phone / raw Parse+Format (distinct)", "")
  ratio("phone_pm_distinct", "phone_regexp",           "normalize_phone / regexp_replace (distinct)", "")
  ratio("phone_pm_repeat",   "phone_raw_full",         "normalize_phone (repeated) / raw Parse+IsValid+Format", "")
  ratio("email_pm",          "email_lower_btrim",      "normalize_email / lower(btrim())", 0.50)
  ratio("email_pm_noset",    "email_lower_btrim",      "diagnostic: without SET search_path / lower(btrim())", "")

  printf "\n\"distinct\": 1,000,000 different numbers (no memo hits). \"repeated\": 1,000,000 events over 100,000\n"
  printf "numbers (the per-backend memo answers repeats); the raw loop has no memo, so its rate on the\n"
  printf "distinct rows is the baseline of both. \"wall\": wall-clock time; \"CPU\": CPU time of the process\n"
  printf "doing the work (the backend, or the raw loop), which leaves out waiting for a core.\n"
  printf "\"medians\": median rate / median rate; \"rounds\": median of the per-round ratios.\n"
  printf "%s\n", memo_note
  if (so_note != "") printf "%s\n", so_note
}
