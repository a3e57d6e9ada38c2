#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/rpm/gen-vercmp-pairs.sh: write vercmp-pairs.txt, lines
# "A B REL" where REL (lt, eq, gt) is what rpm itself says of the version
# strings A and B (rpm.vercmp in rpm's own Lua, the rpmvercmp of librpm
# that `rpm -V` and dnf use).  The strings are generated from pieces that
# exercise rpm's rules (digits, letters, leading zeros, '~', '^', '.',
# '_', '+') plus corner cases.  Run once; the output is committed and
# tests/unit/test-rpm checks driftsync's order against every line.
#   usage: tests/data/rpm/gen-vercmp-pairs.sh > tests/data/rpm/vercmp-pairs.txt
set -eu
export LC_ALL=C
command -v rpm >/dev/null || { echo "rpm is not installed" >&2; exit 1; }
# A fixed seed: the same pairs every run.
rpm --eval '%{lua:
local pieces = {"0", "1", "01", "2", "10", "9", "a", "b", "rc", "Z",
                "~rc1", "~", "^", "^post", ".", "_", "+", "el9", "fc40",
                "1.0", "2.3.4", "0.9", "git", "alpha", "beta"}
local corner = {{"1.0", "1.0"}, {"1.0", "1.0.0"}, {"1.0~rc1", "1.0"},
                {"1.0^", "1.0"}, {"1.0^git1", "1.0.1"}, {"1.0~rc1", "1.0~rc2"},
                {"01", "1"}, {"a", "1"}, {"1.a", "1.1"}, {"1_0", "1.0"},
                {"1.0+", "1.0"}, {"el9", "el9_3"}, {"2.0", "10"}}
local seed = 20261203
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end
local function version()
  local s = pieces[rand(10)]
  for i = 1, rand(4) - 1 do s = s .. pieces[rand(#pieces)] end
  return s
end
local function rel(a, b)
  local r = rpm.vercmp(a, b)
  if r < 0 then return "lt" elseif r > 0 then return "gt" end
  return "eq"
end
for _, p in ipairs(corner) do print(p[1] .. " " .. p[2] .. " " .. rel(p[1], p[2]) .. "\n") end
for i = 1, 3000 do
  local a = version()
  local b = rand(5) == 1 and a or version()
  print(a .. " " .. b .. " " .. rel(a, b) .. "\n")
end
}' | awk 'NF == 3'
