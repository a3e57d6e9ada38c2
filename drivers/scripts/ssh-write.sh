# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/scripts/ssh-write.sh: write a file on an ssh host
# (transport-ssh.c): the data comes on stdin, into the temporary file $1
# with mode $2, renamed over $3 only when complete; removed on failure.
# The library embeds what follows these opening comments (drivers/local.mk).
# Any failure of cat, chmod or mv is to run the clean-up:
# shellcheck disable=SC2015
umask 077; if [ -d "$3" ] && [ ! -L "$3" ]; then echo "$3: is a directory" >&2; exit 1; fi; cat > "$1" && chmod "$2" "$1" && mv -f -- "$1" "$3" || { rc=$?; rm -f -- "$1"; exit $rc; }
