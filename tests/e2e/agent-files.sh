#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/agent-files.sh: read_file and write_file through the guest
# agent: content byte for byte across chunk boundaries, the mode applied,
# the target replaced in one rename, clear errors.
. "$DS_SRCDIR/tests/setup.sh"
. "$DS_SRCDIR/tests/e2e/lib.sh"

plan 16
expect_status 0 "read /etc/os-release" at $PROD read /etc/os-release
cp "$T/out" "$T/os-release"
grep_ok "it is Debian 12" '^VERSION_CODENAME=bookworm$' "$T/os-release"
vexec $PROD /bin/cat /etc/os-release >"$T/ref"
check "same bytes as cat in the guest" cmp "$T/ref" "$T/os-release"

# 300 000 random bytes: several 48 KiB chunks, a partial last one
head -c 300000 /dev/urandom >"$T/blob"
dir=/root/e2e-files
vexec $LAB /bin/mkdir -p "$dir"
f="$dir/blob with 'odd' \$name;"
t=$(now_ms)
expect_status 0 "write 300 kB" at $LAB write "$f" 640 <"$T/blob"
diag "write_file 300 kB: $(($(now_ms) - t)) ms"
t=$(now_ms)
expect_status 0 "read it back" at $LAB read "$f"
diag "read_file 300 kB: $(($(now_ms) - t)) ms"
check "byte for byte" cmp "$T/blob" "$T/out"
sum=$(sha256sum <"$T/blob" | cut -d' ' -f1)
check "the guest sees the same content" test "$(vexec $LAB /usr/bin/sha256sum "$f" | cut -d' ' -f1)" = "$sum"
check "mode 0640 applied" test "$(vexec $LAB /usr/bin/stat -c %a "$f")" = 640
check "no temporary file left" test "$(vexec $LAB /bin/ls -A "$dir")" = "blob with 'odd' \$name;"

# overwrite with something smaller and a different mode; empty files too
printf 'small\n' | at $LAB write "$f" 600 >/dev/null 2>"$T/err"
check "overwrite: new content" test "$(at $LAB read "$f")" = small
check "overwrite: new mode" test "$(vexec $LAB /usr/bin/stat -c %a "$f")" = 600
: | at $LAB write "$dir/empty" 644 2>"$T/err"
check "an empty file is written" test "$(vexec $LAB /usr/bin/stat -c %s "$dir/empty")" = 0

# errors
expect_status 102 "reading a missing file: not found" at $LAB read /etc/no-such-file
grep_ok "the error names the path" '/etc/no-such-file' "$T/err"
printf x >"$T/x"
expect_status 102 "writing into a missing directory: not found" \
    at $LAB write /no/such/dir/f 644 <"$T/x"
expect_status 106 "a relative path is refused" at $LAB read etc/passwd
vexec $LAB /bin/rm -rf "$dir"
done_testing
