# SPDX-License-Identifier: GPL-2.0-or-later
# drivers/scripts/dpkg-files.sh: the files of the given start points in one
# round-trip (platform-dpkg-files.c): metadata of every regular file and
# symlink, the content of those up to the size limit (a tar stream), and
# for bigger ones a sha256 and whether they hold a text credential.
# $1 the section marker, $2/$3 find's size tests, $4 the credential
# markers (ds_secret_grep_markers: one a line, no newline after the last),
# then the paths, only ever expanded as "$@".  The meta section's -printf
# format is the one parse_find() reads (%D:%i:%n: device, inode and links,
# so that a hard link of a secret file is secret too).  The denied section
# names the directories the user cannot list or enter, whose files the
# other sections would silently lack (inside a start point, or above one
# that cannot be reached: a missing start point is no file, not an error).
# The library embeds what follows these opening comments (drivers/local.mk).
n=$1 small=$2 large=$3 keys=$4; shift 4
s() { printf '\n%s %s\n' "$n" "$1"; }
s meta
find "$@" -xdev \( -type f -o -type l \) -printf '%y\t%m\t%s\t%U\t%G\t%u\t%g\t%D:%i:%n\t%p\0%l\0' 2>/dev/null
s tar
find "$@" -xdev -type f -size "$small" -print0 2>/dev/null | xargs -0r tar -c -f - -P --no-recursion --hard-dereference --format=gnu -- 2>/dev/null
s sums
find "$@" -xdev -type f -size "$large" -print0 2>/dev/null | xargs -0r sha256sum -z -- 2>/dev/null
s keys
find "$@" -xdev -type f -size "$large" -print0 2>/dev/null | xargs -0r grep -lZF -e "$keys" -- 2>/dev/null
s denied
find "$@" -xdev -type d \( ! -readable -o ! -executable \) -print0 2>/dev/null
for p do
    [ -e "$p" ] || [ -L "$p" ] && continue
    d=$p
    while d=${d%/*}; [ -n "$d" ]; do
        [ -d "$d" ] || continue
        [ -x "$d" ] || printf '%s\0' "$d"
        break
    done
done
s end
