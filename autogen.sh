#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# autogen.sh: generate configure and the Makefile templates from a git clone.
set -e
cd "$(dirname "$0")"
mkdir -p autotools/m4
autoreconf -fi
[ -f autotools/tap-driver.sh ] ||
    cp "$(automake --print-libdir)/tap-driver.sh" autotools/
