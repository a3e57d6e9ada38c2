#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/install-deps.sh: install what driftsync needs on Debian 12 (root).
#   build  compiler, autotools and the libraries (librpm-dev and
#          libzstd-dev are optional for configure, which then refuses rpm
#          hosts or .zst repository metadata; they are installed)
#   deb    build + what `make deb` runs: dpkg-buildpackage (dpkg-dev),
#          dh (debhelper), lintian
#   test   build + the servers and tools the test suite starts (sshd,
#          openssl, git, dpkg-dev, libvirt's test driver, groff for the
#          man pages, shellcheck for the scripts, valgrind for
#          DS_VALGRIND=1, clang and its libFuzzer runtime for
#          --enable-fuzzing), and deb's tools (the e2e suite installs
#          the package)
#   e2e    test + libvirt/QEMU and debootstrap for the real-VM test bed,
#          apt-utils (apt-ftparchive) for its package repositories
set -eu
what=${1:-build}
pkgs="build-essential autoconf automake libtool pkg-config git ca-certificates
      libvirt-dev libgit2-dev libjansson-dev libcurl4-openssl-dev libglib2.0-dev
      libssl-dev zlib1g-dev librpm-dev libzstd-dev"
# What the tests run, by command: sshd (openssh-server); ssh, ssh-keygen
# (openssh-client); openssl; python3; jq; git; dpkg-deb, dpkg-query (dpkg,
# dpkg-dev); libvirtd (libvirt-daemon); virsh (libvirt-clients); groff
# (groff-base); valgrind; tar, getent, flock, timeout, sha256sum, cmp
# (tar, libc-bin, util-linux, coreutils, diffutils); shellcheck; clang
# -fsanitize=fuzzer (clang, libclang-rt-14-dev); lighttpd with TLS
# (lighttpd, lighttpd-mod-openssl) in front of git-http-backend for the
# store's https remote; sudo for the non-root ssh user's `become = sudo`;
# rpm, rpmbuild (rpm) for the rpm roots the rpm platform's tests build;
# createrepo_c and modifyrepo_c (createrepo-c) for their repositories and
# advisories; dnf for the pending updates it reads from them, with its
# versionlock plugin (dnf, dnf-plugins-core) for the transactions they
# replay into a root.
test_pkgs="rpm createrepo-c dnf dnf-plugins-core openssh-server openssh-client openssl dpkg-dev python3 jq
      clang libclang-rt-14-dev
      libvirt-daemon libvirt-clients valgrind groff-base tar libc-bin
      util-linux coreutils diffutils curl apt bash chromium libxml2-utils
      systemd shellcheck lighttpd lighttpd-mod-openssl sudo"
deb_pkgs="dpkg-dev debhelper lintian"
case "$what" in
build) ;;
deb) pkgs="$pkgs $deb_pkgs" ;;
test) pkgs="$pkgs $test_pkgs $deb_pkgs" ;;
e2e) pkgs="$pkgs $test_pkgs $deb_pkgs libvirt-daemon-driver-qemu qemu-system-x86
      qemu-utils debootstrap e2fsprogs apt-utils" ;;
*) echo "usage: $0 build|deb|test|e2e" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 $missing >/dev/null
