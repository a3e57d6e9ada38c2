#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/genmanifests.py: generate realistic host manifests for benchmarks
# (deterministic for a seed): ~900 packages, 150 files, 40 services each.
import hashlib
import json
import os
import random
import sys

SCHEMA = "driftsync/manifest/v1"


def pkg_names(rng, n):
    stems = ["lib", "python3-", "perl-", "fonts-", "x11-", "golang-", ""]
    words = ["ssl", "curl", "xml", "yaml", "zstd", "glib", "gtk", "nss",
             "krb5", "ldap", "pam", "systemd", "udev", "dbus", "acl",
             "attr", "cap", "gcrypt", "gnutls", "idn", "lz4", "lzma",
             "pcre", "seccomp", "selinux", "sqlite", "tinfo", "uuid"]
    names = set()
    while len(names) < n:
        names.add("%s%s%d" % (rng.choice(stems), rng.choice(words),
                              rng.randrange(1000)))
    return sorted(names)


def version(rng):
    return "%d.%d.%d-%d+deb12u%d" % (rng.randrange(1, 9), rng.randrange(30),
                                     rng.randrange(30), rng.randrange(1, 5),
                                     rng.randrange(1, 9))


def manifest(host, role, rng, names):
    pkgs = {n: {"arch": rng.choice(["amd64", "all"]), "version": version(rng)}
            for n in names}
    files = {}
    for i in range(150):
        p = "/etc/app%02d/conf%03d.conf" % (i % 12, i)
        files[p] = {"group": "root", "mode": "0644", "owner": "root",
                    "sha256": hashlib.sha256(("%s%s%d" % (host, p, rng.randrange(3))).encode()).hexdigest()}
    services = {"svc%02d.service" % i: {"active": rng.choice(["active", "inactive"]),
                                        "enabled": rng.choice(["enabled", "disabled"])}
                for i in range(40)}
    return {
        "schema": SCHEMA, "host": host, "role": role,
        "collected_at": "2026-11-27T00:00:00Z",
        "os": {"id": "debian", "name": "Debian GNU/Linux 12 (bookworm)", "version": "12"},
        "kernel": {"installed": ["6.1.0-26-amd64"], "running": "6.1.0-26-amd64"},
        "reboot_required": False,
        "packages": pkgs,
        "sources": ["deb http://deb.debian.org/debian bookworm main",
                    "deb http://security.debian.org/debian-security bookworm-security main"],
        "files": files, "services": services,
        "collector": {"transport": "import", "version": "0.1.0"},
    }


def dump(m, path):
    with open(path, "w") as f:
        f.write(json.dumps(m, indent=2, sort_keys=True, ensure_ascii=False))
        f.write("\n")


def main():
    out, n, role = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    names = pkg_names(rng, 900)
    for i in range(n):
        host = "host%04d" % i
        hr = random.Random(seed * 100003 + i)
        dump(manifest(host, role, hr, names), os.path.join(out, host + ".json"))


if __name__ == "__main__":
    main()
