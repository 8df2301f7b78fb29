# Turns the collector's token stream into one line of JSON (busybox awk, POSIX awk).
# Every input line is OP<TAB>KEY<TAB>VALUE; KEY is the member name inside an object and ignored
# inside arrays. OPs: "{" "}" "[" "]" open/close; "s" string; "S" string or null when empty;
# "n" number (anything that is not a JSON number becomes null); "b" boolean; "z" null.
# All escaping lives here (RFC 8259 §7), so shell code never builds JSON text itself.
BEGIN {
  depth = 0
  for (i = 1; i < 32; i++) ctrl[sprintf("%c", i)] = sprintf("\\u%04x", i)
  ctrl["\b"] = "\\b"; ctrl["\f"] = "\\f"; ctrl["\n"] = "\\n"; ctrl["\r"] = "\\r"; ctrl["\t"] = "\\t"
}

function esc(v,    out, i, c, n) {
  gsub(/\\/, "\\\\", v)
  gsub(/"/, "\\\"", v)
  if (v !~ /[\001-\037]/) return "\"" v "\""
  out = ""; n = length(v)
  for (i = 1; i <= n; i++) {
    c = substr(v, i, 1)
    out = out ((c in ctrl) ? ctrl[c] : c)
  }
  return "\"" out "\""
}

# Separator and member name before a value at the current depth.
function lead(key) {
  if (depth > 0) {
    if (!first[depth]) printf ","
    first[depth] = 0
    if (kind[depth] == "o") printf "%s:", esc(key)
  } else if (emitted) {
    bad = "more than one top-level value"
  }
  emitted = 1
}

{
  line = $0
  t = index(line, "\t")
  if (t == 0) { op = line; key = ""; val = "" }
  else {
    op = substr(line, 1, t - 1); rest = substr(line, t + 1)
    t = index(rest, "\t")
    if (t == 0) { key = rest; val = "" } else { key = substr(rest, 1, t - 1); val = substr(rest, t + 1) }
  }
  if (op == "{" || op == "[") {
    lead(key); printf "%s", op
    depth++; kind[depth] = (op == "{") ? "o" : "a"; first[depth] = 1
  } else if (op == "}" || op == "]") {
    if (depth == 0 || kind[depth] != ((op == "}") ? "o" : "a")) { bad = "unbalanced " op " at line " NR; exit 1 }
    printf "%s", op; depth--
  } else if (op == "s") {
    lead(key); printf "%s", esc(val)
  } else if (op == "S") {
    lead(key); printf "%s", (val == "") ? "null" : esc(val)
  } else if (op == "n") {
    lead(key)
    printf "%s", (val ~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) ? val : "null"
  } else if (op == "b") {
    lead(key); printf "%s", (val == "true" || val == "1" || val == "yes") ? "true" : "false"
  } else if (op == "z") {
    lead(key); printf "null"
  } else if (op != "") {
    bad = "unknown op '" op "' at line " NR; exit 1
  }
}

END {
  if (bad == "" && depth != 0) bad = "unclosed object or array"
  if (bad != "") { print "json.awk: " bad > "/dev/stderr"; exit 1 }
  printf "\n"
}
