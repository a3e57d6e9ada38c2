#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/report-browser.sh: the report page in a real browser:
# headless Chromium (Debian's package) opens report.html from a file,
# its DOM has the drift matrix (a row per host, links to the details)
# and an SVG timeline per host, no script runs (hostile names stay text),
# the console stays silent (a page with a deliberate error proves the
# console is watched), a screenshot of the matrix is a sane PNG, and a
# host recorded from a real Debian root whose files changed lists its
# changes in folded <details> with the lab and prod values, secret files
# named but their content (and its HMAC) nowhere in the DOM.
. "$DS_SRCDIR/tests/setup.sh"

require_cmds python3 git dpkg-deb jq

find_chromium() {
    for c in chromium chromium-browser; do
        command -v "$c" 2>/dev/null && return 0
    done
    return 1
}
if ! CHROMIUM=$(find_chromium); then
    # Installed here only when missing (contrib/install-deps.sh test).
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        timeout 600 apt-get install -y --no-install-recommends chromium \
            >"$T/apt.log" 2>&1 || :
    fi
    CHROMIUM=$(find_chromium) ||
        skip_all "chromium is not installed and could not be installed"
fi
plan 25

# chrome URL [ARGS...]: headless Chromium, bounded in time; stderr (its
# log, with the page's console) in $T/chrome.err.
chrome() {
    url=$1; shift
    timeout 90 "$CHROMIUM" --headless --disable-gpu --no-sandbox \
        --no-first-run --user-data-dir="$T/profile" \
        --enable-logging=stderr --v=0 "$@" "$url" 2>"$T/chrome.err"
}

# A store: two hosts with a lab each, one drifted, one with hostile text.
EDIT="python3 $DS_SRCDIR/tests/cli/edit-manifest.py"
printf '[store]\npath = %s/store\nstate = %s/state\n' "$T" "$T" >"$T/ds.conf"
dsc() { ds --config "$T/ds.conf" "$@"; }
$EDIT "$DATA/good/web01.json" "$T/web01-lab.json" role=lab
$EDIT "$DATA/good/db01.json" "$T/db01-lab.json" role=lab pkg:ds-old=1.0-1
$EDIT "$DATA/good/db01.json" "$T/db01.json" \
    'src+deb http://x/"><script>document.title="owned"</script> bookworm main'
dsc init >/dev/null && dsc record --from "$DATA/good/web01.json" "$T/db01.json" \
    "$T/web01-lab.json" "$T/db01-lab.json" >/dev/null &&
    dsc report --output "$T/r" >/dev/null ||
    { echo "Bail out! building the report failed"; exit 1; }
PAGE=$T/r/report.html

# ---- the control: a console error is seen ----
printf '<!DOCTYPE html><html><body><script>nosuch();</script></body></html>' >"$T/bad.html"
chrome "file://$T/bad.html" --dump-dom >/dev/null
grep_ok "a page with a script error shows up on the console log" \
    'CONSOLE.*Uncaught ReferenceError' "$T/chrome.err"

# ---- the report: DOM ----
chrome "file://$PAGE" --dump-dom >"$T/dom.html"
check "chromium loaded the page" test -s "$T/dom.html"
grep_not "no console message at all (no script, no failed resource)" \
    'CONSOLE|Uncaught|net::ERR' "$T/chrome.err"
# The DOM as Chromium built it, checked element by element.
cat >"$T/dom.py" <<'EOF'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.rows, self.links, self.svgs, self.scripts = [], [], [], 0, 0
        self.ids, self.title, self.intitle, self.text = set(), None, False, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "table":
            self.stack.append(a.get("id"))
        if tag == "tr" and self.stack and self.stack[-1] == "matrix":
            self.rows.append(a)
        if tag == "a" and self.stack and self.stack[-1] == "matrix":
            self.links.append(a.get("href"))
        if tag == "svg":
            self.svgs += 1
        if tag == "script":
            self.scripts += 1
        self.intitle = tag == "title" and self.title is None
        if self.intitle:
            self.title = ""
    def handle_endtag(self, tag):
        if tag == "table" and self.stack:
            self.stack.pop()
        self.intitle = False
    def handle_data(self, d):
        if self.intitle:
            self.title += d
        self.text.append(d)

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
what = sys.argv[2]
if what == "rows":       # header row + one per host
    sys.exit(0 if len(p.rows) == 3 else 1)
if what == "links":      # every matrix link points at an element of the page
    ok = p.links and all(h.startswith("#") and h[1:] in p.ids for h in p.links)
    sys.exit(0 if ok and "#h-db01-packages" in p.links else 1)
if what == "svg":
    sys.exit(0 if p.svgs == 2 else 1)
if what == "noscript":
    sys.exit(0 if p.scripts == 0 and p.title == "driftsync report" else 1)
if what == "text":       # the hostile line is shown as text
    sys.exit(0 if any('<script>document.title="owned"</script>' in t for t in p.text) else 1)
EOF
check "the matrix has a header row and a row per host" python3 "$T/dom.py" "$T/dom.html" rows
check "its links lead to elements of the page (db01's packages)" python3 "$T/dom.py" "$T/dom.html" links
check "an SVG timeline per host" python3 "$T/dom.py" "$T/dom.html" svg
check "no script element, the title untouched" python3 "$T/dom.py" "$T/dom.html" noscript
check "the hostile source line is displayed as text" python3 "$T/dom.py" "$T/dom.html" text
grep_ok "db01's drift is in its matrix row" \
    '<a href="#h-db01-packages">1</a>' "$T/dom.html"

# ---- the report: screenshot of the matrix ----
chrome "file://$PAGE" --screenshot="$T/shot.png" --window-size=1024,768 \
    --hide-scrollbars >/dev/null
check "a screenshot was written" test -s "$T/shot.png"
cat >"$T/png.py" <<'EOF'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1024, 768), (w, h)
assert 2000 < len(b) < 5000000, len(b)
EOF
check "it is a 1024x768 PNG of sane size" python3 "$T/png.py" "$T/shot.png"
grep_not "no console message while rendering it" 'CONSOLE|Uncaught|net::ERR' "$T/chrome.err"

# What the screenshot's first screen holds: the matrix comes right after
# the header and the mirror summary, before any host's details.
check "the matrix precedes the hosts' details in the DOM" python3 -c '
import sys
d = open(sys.argv[1], encoding="utf-8").read()
m, h = d.find("<table id=\"matrix\">"), d.find("<section id=\"hosts\"")
sys.exit(0 if 0 < m < h and m < 6000 else 1)' "$T/dom.html"

# ---- a real root's changes in <details>, secrets never shown ----
sh "$DATA/dpkg/mkroot.sh" "$T/r1" >/dev/null 2>&1 ||
    { echo "Bail out! building the Debian root (mkroot.sh) failed"; exit 1; }
ROOT=$T/r1/root
printf '[store]\npath = %s/store\nstate = %s/state\n[host app01]\nsource = local:%s\nfiles = /etc/app/ /etc/shadow\n' \
    "$T" "$T" "$ROOT" >"$T/ds.conf"
dsc record app01 >/dev/null &&
    git --git-dir="$T/store" show HEAD:prod/app01.json >"$T/app01.json" &&
    $EDIT "$T/app01.json" "$T/app01-lab.json" role=lab &&
    dsc record --from "$T/app01-lab.json" >/dev/null ||
    { echo "Bail out! recording app01 failed"; exit 1; }
sed -i 's/SECRETHASHSHADOW/SECRETHASHSHADOWNEW/' "$ROOT/etc/shadow"
printf 'listen = 9090 TOPSECRETVALUE\n' >"$ROOT/etc/app/app.conf"
printf 'setting = tuned\n' >"$ROOT/etc/ds-conf/a.conf"
chmod 0664 "$ROOT/etc/ds-conf/a.conf"
dsc record app01 >/dev/null && dsc report --output "$T/r4" >/dev/null ||
    { echo "Bail out! the report of app01 failed"; exit 1; }
HMAC=$(git --git-dir="$T/store" show HEAD:prod/app01.json | jq -r '.files["/etc/shadow"].hmac')
chrome "file://$T/r4/report.html" --dump-dom >"$T/dom4.html"
grep_not "a silent console" 'CONSOLE|Uncaught|net::ERR' "$T/chrome.err"
cat >"$T/details.py" <<'EOF'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    """The <details> of article h-app01: open or not, and their text."""
    def __init__(self):
        super().__init__()
        self.article = None
        self.open = []      # the <details> we are in, outermost first
        self.details = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article":
            self.article = a.get("id")
        if self.article == "h-app01" and tag == "details":
            self.details.append({"class": a.get("class"), "open": "open" in a, "text": ""})
            self.open.append(len(self.details) - 1)
    def handle_endtag(self, tag):
        if tag == "details" and self.open:
            self.open.pop()
        if tag == "article":
            self.article = None
    def handle_data(self, d):
        for i in self.open:
            self.details[i]["text"] += d

dom = open(sys.argv[1], encoding="utf-8").read()
p = P()
p.feed(dom)
what = sys.argv[2]
files = [d for d in p.details if d["class"] == "c-files"]
text = files[0]["text"] if files else ""
if what == "folded":      # a <details> per category, none open
    sys.exit(0 if files and not any(d["open"] for d in p.details) else 1)
if what == "mode":        # the lab's mode, then prod's
    sys.exit(0 if "mode 0644 → 0664" in text and "/etc/ds-conf/a.conf differs" in text else 1)
if what == "secret":      # the secret files: named, their content not
    ok = ("/etc/shadow differs (secret content)" in text
          and "/etc/app/app.conf differs (secret content)" in text
          and "secret: not shown" in text)
    sys.exit(0 if ok else 1)
if what == "patch":       # a.conf's content diff, folded under its line
    ok = ("content diff: +1 −1" in text
          and "--- lab/app01/etc/ds-conf/a.conf" in text
          and "-setting = changed by the admin" in text
          and "+setting = tuned" in text
          and "secret file: its content is never stored or shown" in text)
    sys.exit(0 if ok else 1)
if what == "absent":      # no secret content, no HMAC anywhere in the DOM
    bad = [s for s in ("SECRETHASHSHADOW", "TOPSECRETVALUE", "9090",
                       "SECRETPEMBODY", "SECRETHOSTKEYBODY", sys.argv[3][:16])
           if s in dom]
    sys.exit(1 if bad else 0)
EOF
check "app01's changes are in folded <details>, one per category" python3 "$T/details.py" "$T/dom4.html" folded
check "the files' details give the mode in the lab and in prod" python3 "$T/details.py" "$T/dom4.html" mode
check "the secret files are named as changed, their content not shown" python3 "$T/details.py" "$T/dom4.html" secret
check "a.conf's content diff is folded below its line; the secrets' say only why not" python3 "$T/details.py" "$T/dom4.html" patch
check "the HMAC has 64 hex digits" test "${#HMAC}" = 64
check "no secret content and no HMAC in the DOM" python3 "$T/details.py" "$T/dom4.html" absent "$HMAC"
grep_ok "the files cell of the matrix has its colour" '<td class="n d c-files"><a href="#h-app01-files">' "$T/dom4.html"
grep_ok "the colours are in the page's style" '\.c-files\{background:#' "$T/dom4.html"
grep_ok "the file's JSON carries the mode's old and new value" '"mode":\{"new":"0664","old":"0644"\}' "$T/r4/report.json"

# ---- a larger page (200 more hosts) loads within the time bound ----
python3 - "$DATA/good/web01.json" "$T/many" <<'EOF'
import json, os, sys
m = json.load(open(sys.argv[1]))
os.makedirs(sys.argv[2])
for i in range(200):
    m["host"] = "h%03d" % i
    m["packages"]["ds-x"] = {"arch": "amd64", "version": "1.%d-1" % i}
    json.dump(m, open(os.path.join(sys.argv[2], "h%03d.json" % i), "w"))
EOF
dsc record --from "$T"/many/*.json >/dev/null && dsc report --output "$T/big" >/dev/null
chrome "file://$T/big/report.html" --dump-dom >"$T/dom3.html"
check "202 hosts: 203 matrix rows in the DOM" \
    test "$(grep -o '<tr' "$T/dom3.html" | wc -l)" -ge 203
grep_not "and a silent console" 'CONSOLE|Uncaught|net::ERR' "$T/chrome.err"
done_testing
