/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/platform-dpkg-facts.c: everything a dpkg host can tell without
 * knowing which files to capture, in one round-trip: a fixed shell script
 * (drivers/scripts/dpkg-facts.sh) whose only inputs are positional
 * arguments ("$1"...), so host data never becomes code, and whose output
 * sections are framed by a random marker the host cannot predict, so file
 * content cannot forge a section. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "drivers/platform-dpkg.h"
#include "drivers/scripts.h"
#include "manifests/util/error.h"

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

const char *ds_dpkg_facts_text(const ds_dpkg_facts *f, const char *name,
                               gsize *len)
{
    GBytes *b = ds_dpkg_facts_get(f, name);
    const char *d;

    *len = 0;
    if (!b)
        return NULL;
    d = g_bytes_get_data(b, len);
    return d ? d : ""; /* present but empty */
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
        } else if (g_str_has_prefix(header, "dpkg-status ") ||
                   g_str_has_prefix(header, "rpm-status ")) {
            f->dpkg_status = atoi(strchr(header, ' ') + 1);
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
                            "%s: the collection script's output is truncated or malformed",
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
    bool pending = c->opts && c->opts->pending_only;
    int rc;

    *out = NULL;
    ds_dpkg_marker(marker);
    const char *argv[] = {"sh", "-c", ds_script_dpkg_facts, "sh", marker,
                          c->root ? c->root : "",
                          pending ? DS_DPKG_QUERY_FORMAT_PACKAGES
                                  : DS_DPKG_QUERY_FORMAT,
                          c->opts && c->opts->refresh_lists ? "refresh" : "",
                          pending ? "pending" : "full", NULL};
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
