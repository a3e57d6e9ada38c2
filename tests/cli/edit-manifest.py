#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/edit-manifest.py: write a variant of a manifest for the CLI
# tests.  Usage: edit-manifest.py IN OUT EDIT...  where EDIT is
#   host=NAME  role=prod|lab  at=RFC3339   set collected_at
#   pkg:NAME=VERSION   install or change a package (arch amd64)
#   -pkg:NAME          remove a package
#   svc:NAME=ENABLED/ACTIVE   set a service
#   -svc:NAME          remove a service
#   src+LINE           add a source line
#   pending:NAME=VERSION[:security]  a pending update (Debian, bookworm or
#                      bookworm-security); pending: alone: collected, none
#   -pending:NAME      no longer pending
#   hold:NAME  -hold:NAME  auto:NAME  -auto:NAME   holds and marks
#   lists=RFC3339      lists_updated_at
import json
import sys


def main():
    src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(src) as f:
        m = json.load(f)
    for e in edits:
        if e.startswith("host="):
            m["host"] = e[5:]
        elif e.startswith("role="):
            m["role"] = e[5:]
        elif e.startswith("at="):
            m["collected_at"] = e[3:]
        elif e.startswith("pkg:"):
            name, version = e[4:].split("=", 1)
            p = m["packages"].setdefault(name, {"arch": "amd64"})
            p["version"] = version
        elif e.startswith("-pkg:"):
            del m["packages"][e[5:]]
        elif e.startswith("svc:"):
            name, state = e[4:].split("=", 1)
            enabled, active = state.split("/")
            m["services"][name] = {"enabled": enabled, "active": active}
        elif e.startswith("-svc:"):
            del m["services"][e[5:]]
        elif e.startswith("src+"):
            m["sources"] = sorted(set(m["sources"] + [e[4:]]))
        elif e == "pending:":
            m.setdefault("pending", {})
            m.setdefault("held_back", {})
            m.setdefault("holds", [])
            m.setdefault("auto", [])
        elif e.startswith("pending:"):
            name, version = e[8:].split("=", 1)
            sec = version.endswith(":security")
            version = version[: -len(":security")] if sec else version
            m.setdefault("pending", {})[name] = {
                "version": version, "origin": "Debian", "security": sec,
                "suite": "bookworm-security" if sec else "bookworm"}
        elif e.startswith("-pending:"):
            del m["pending"][e[9:]]
        elif e.startswith(("hold:", "auto:")):
            key = "holds" if e[0] == "h" else "auto"
            m[key] = sorted(set(m.get(key, []) + [e[5:]]))
            if key == "holds" and e[5:] in m.get("pending", {}):
                m.setdefault("held_back", {})[e[5:]] = m["pending"].pop(e[5:])
        elif e.startswith(("-hold:", "-auto:")):
            key = "holds" if e[1] == "h" else "auto"
            m[key] = [n for n in m.get(key, []) if n != e[6:]]
        elif e.startswith("lists="):
            m["lists_updated_at"] = e[6:]
        else:
            sys.exit("edit-manifest: unknown edit " + e)
    with open(dst, "w") as f:
        json.dump(m, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
