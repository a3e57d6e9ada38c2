/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg-facts.c: everything a dpkg host can tell without
 * knowing which files to capture, in one round-trip: a fixed shell script
 * whose only inputs are positional arguments ("$1"...), so host data never
 * becomes code, and whose output sections are framed by a random marker
 * the host cannot predict, so file content cannot forge a section. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "drivers/platform-dpkg.h"
#include "manifests/util/error.h"

/* $1 marker, $2 root ("" for the host itself), $3 dpkg-query format.
 * dpkg-query runs once: the conffiles whose md5 is taken are the
 * " /path MD5" lines of its own output.
 * Under a root only commands run here: files are read by the transport,
 * which keeps symlinks inside the root. */
static const char facts_script[] =
    "n=$1 r=$2 fmt=$3\n"
    "s() { printf '\\n%s %s\\n' \"$n\" \"$1\"; }\n"
    "[ -f \"$r/var/lib/dpkg/status\" ] || { s no-dpkg; s end; exit 0; }\n"
    "s uname; uname -r\n"
    "s probe\n"
    "find \"$r/boot\" \"$r/etc/apt/sources.list\" \"$r/etc/apt/sources.list.d\""
    " \"$r/run/systemd/system\" \"$r/run/reboot-required\""
    " \"$r/etc/systemd/system\" \"$r/lib/systemd/system\""
    " \"$r/usr/lib/systemd/system\" -maxdepth 2 -printf '%y %p\\0%l\\0'"
    " 2>/dev/null\n"
    "s dpkg; q=$(dpkg-query \"--admindir=$r/var/lib/dpkg\" -W -f \"$fmt\")\n"
    "st=$?; printf '%s\\n' \"$q\"\n"
    "s \"dpkg-status $st\"\n"
    "s md5\n"
    "printf '%s\\n' \"$q\" |"
    " sed -n 's/^ \\(\\/.*\\) [0-9a-f]\\{32\\}\\( .*\\)\\{0,1\\}$/\\1/p' |"
    " while IFS= read -r p; do printf '%s%s\\0' \"$r\" \"$p\"; done |"
    " xargs -0r md5sum -z -- 2>/dev/null\n"
    "if [ -z \"$r\" ]; then\n"
    "  s os-release\n"
    "  cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null\n"
    "  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do\n"
    "    case ${f##*/} in *[!A-Za-z0-9_.-]*) continue;; esac\n"
    "    case $f in /etc/apt/sources.list|*.list|*.sources) ;;"
    " *) continue;; esac\n"
    "    [ -f \"$f\" ] || continue\n"
    "    s \"source $f\"; cat -- \"$f\"\n"
    "  done\n"
    "  if [ -d /run/systemd/system ]; then\n"
    "    s unit-files\n"
    "    systemctl list-unit-files --type=service --no-legend --no-pager\n"
    "    s units\n"
    "    systemctl list-units --type=service --all --no-legend --no-pager"
    " --plain\n"
    "  fi\n"
    "fi\n"
    "if [ ! -d \"$r/run/systemd/system\" ] || [ -n \"$r\" ]; then\n"
    "  s install\n"
    "  find \"$r/etc/systemd/system\" \"$r/lib/systemd/system\""
    " \"$r/usr/lib/systemd/system\" -maxdepth 1 -type f -name '*.service'"
    " -exec grep -HZE '^[[:space:]]*(WantedBy|RequiredBy|UpheldBy|Alias|Also"
    "|DefaultInstance)[[:space:]]*=' -- {} + 2>/dev/null\n"
    "fi\n"
    "s end\n";

void ds_dpkg_facts_free(ds_dpkg_facts *f)
{
    if (!f)
        return;
    g_clear_pointer(&f->sections, g_hash_table_unref);
    g_clear_pointer(&f->sources, g_ptr_array_unref);
    g_clear_pointer(&f->err, g_bytes_unref);
    g_free(f);
}

GBytes *ds_dpkg_facts_get(const ds_dpkg_facts *f, const char *name)
{
    return g_hash_table_lookup(f->sections, name);
}

int ds_dpkg_facts_split(ds_dpkg_facts *f, const char *marker, GBytes *out,
                        const char *host, GError **err)
{
    g_autofree char *sep = g_strdup_printf("\n%s ", marker);
    gsize len, seplen = strlen(sep);
    const char *d = g_bytes_get_data(out, &len), *end = d + len;
    const char *p = d;
    gboolean ended = FALSE;

    p = len >= seplen && memcmp(d, sep, seplen) == 0 ? d : NULL;
    while (p && !ended) {
        const char *name = p + seplen, *nl, *next;
        g_autofree char *header = NULL;
        GBytes *body;

        nl = memchr(name, '\n', (gsize)(end - name));
        if (!nl)
            break;
        header = g_strndup(name, (gsize)(nl - name));
        next = memmem(nl + 1, (gsize)(end - (nl + 1)), sep, seplen);
        body = g_bytes_new_from_bytes(out, (gsize)(nl + 1 - d),
                                      (gsize)((next ? next : end) - (nl + 1)));
        if (strcmp(header, "end") == 0) {
            ended = TRUE;
            g_bytes_unref(body);
        } else if (g_str_has_prefix(header, "dpkg-status ")) {
            f->dpkg_status = atoi(header + 12);
            g_bytes_unref(body);
        } else if (g_str_has_prefix(header, "source ")) {
            ds_dpkg_source *s = g_new0(ds_dpkg_source, 1);
            s->path = g_strdup(header + 7);
            s->data = body;
            g_ptr_array_add(f->sources, s);
        } else {
            g_hash_table_replace(f->sections, g_strdup(header), body);
        }
        p = next;
    }
    if (!ended)
        return ds_error_set(err, DS_EINVALID,
                            "%s: the collection script's output is "
                            "truncated or malformed",
                            host);
    return 0;
}

static void source_free(ds_dpkg_source *s)
{
    g_free(s->path);
    g_bytes_unref(s->data);
    g_free(s);
}

ds_dpkg_facts *ds_dpkg_facts_new(void)
{
    ds_dpkg_facts *f = g_new0(ds_dpkg_facts, 1);

    f->sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_bytes_unref);
    f->sources = g_ptr_array_new_with_free_func((GDestroyNotify)source_free);
    f->dpkg_status = -1;
    return f;
}

void ds_dpkg_marker(char marker[40])
{
    guint32 raw[4];

    /* GLib's generator is seeded from /dev/urandom; getrandom() first. */
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        for (gsize i = 0; i < G_N_ELEMENTS(raw); i++)
            raw[i] = g_random_int();
    g_snprintf(marker, 40, "DS-%08x%08x%08x%08x", raw[0], raw[1], raw[2],
               raw[3]);
}

int ds_dpkg_facts_collect(ds_dpkg_facts **out, ds_dpkg_ctx *c, GError **err)
{
    char marker[40];
    ds_dpkg_facts *f;
    g_autoptr(GBytes) stdout_ = NULL;
    int rc;

    *out = NULL;
    ds_dpkg_marker(marker);
    const char *argv[] = {"sh",   "-c", facts_script, "sh", marker,
                          c->root ? c->root : "", DS_DPKG_QUERY_FORMAT,
                          NULL};
    f = ds_dpkg_facts_new();
    rc = ds_dpkg_run_full(&stdout_, &f->err, NULL, c, argv, 0, err);
    if (rc == 0)
        rc = ds_dpkg_facts_split(f, marker, stdout_, c->host, err);
    if (rc < 0) {
        ds_dpkg_facts_free(f);
        return rc;
    }
    *out = f;
    return 0;
}
