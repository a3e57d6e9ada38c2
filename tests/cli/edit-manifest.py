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
        else:
            sys.exit("edit-manifest: unknown edit " + e)
    with open(dst, "w") as f:
        json.dump(m, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
