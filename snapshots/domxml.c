/* SPDX-License-Identifier: GPL-2.0-or-later */
/* snapshots/domxml.c: read what snapshots need from a libvirt domain
 * definition (disks, formats, firmware) and rewrite disk sources to switch
 * a domain onto or off its overlay files, with GLib's markup parser. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "snapshots/snapshot-private.h"

static void disk_free(ds_domain_disk *d)
{
    if (!d)
        return;
    g_free(d->type);
    g_free(d->device);
    g_free(d->format);
    g_free(d->source);
    g_free(d->target);
    g_free(d);
}

void ds_domain_info_free(ds_domain_info *info)
{
    if (!info)
        return;
    g_ptr_array_unref(info->disks);
    g_free(info);
}

bool ds_domain_disk_is_writable(const ds_domain_disk *disk)
{
    if (disk->readonly)
        return false;
    return !disk->device || !strcmp(disk->device, "disk") ||
           !strcmp(disk->device, "lun");
}

static const char *find_attr(const char **names, const char **values,
                             const char *want)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], want))
            return values[i];
    return NULL;
}

/* The path of open elements, as a string "domain/devices/disk". */
typedef struct info_state {
    ds_domain_info *info;
    GString *path;
    ds_domain_disk *disk; /* the <disk> being read */
    int ndisks;
} info_state;

static void info_start(GMarkupParseContext *ctx, const char *element,
                       const char **names, const char **values,
                       void *payload, GError **err)
{
    info_state *st = payload;
    const char *p;

    (void)ctx;
    (void)err;
    if (st->path->len)
        g_string_append_c(st->path, '/');
    g_string_append(st->path, element);
    p = st->path->str;
    if (!strcmp(p, "domain/devices/disk")) {
        st->disk = g_new0(ds_domain_disk, 1);
        st->disk->index = st->ndisks++;
        st->disk->type = g_strdup(find_attr(names, values, "type"));
        st->disk->device = g_strdup(find_attr(names, values, "device"));
    } else if (st->disk && !strcmp(p, "domain/devices/disk/driver")) {
        g_free(st->disk->format);
        st->disk->format = g_strdup(find_attr(names, values, "type"));
    } else if (st->disk && !strcmp(p, "domain/devices/disk/source")) {
        const char *src = find_attr(names, values, "file");

        if (!src)
            src = find_attr(names, values, "dev");
        g_free(st->disk->source);
        st->disk->source = g_strdup(src);
    } else if (st->disk && !strcmp(p, "domain/devices/disk/target")) {
        g_free(st->disk->target);
        st->disk->target = g_strdup(find_attr(names, values, "dev"));
    } else if (st->disk && !strcmp(p, "domain/devices/disk/readonly")) {
        st->disk->readonly = true;
    } else if (!strcmp(p, "domain/os/loader")) {
        const char *type = find_attr(names, values, "type");

        if (type && !strcmp(type, "pflash"))
            st->info->pflash = true;
    } else if (!strcmp(p, "domain/os")) {
        const char *fw = find_attr(names, values, "firmware");

        if (fw && !strcmp(fw, "efi"))
            st->info->pflash = true;
    }
}

static void info_end(GMarkupParseContext *ctx, const char *element,
                     void *payload, GError **err)
{
    info_state *st = payload;
    char *slash;

    (void)ctx;
    (void)element;
    (void)err;
    if (st->disk && !strcmp(st->path->str, "domain/devices/disk"))
        g_ptr_array_add(st->info->disks, g_steal_pointer(&st->disk));
    slash = strrchr(st->path->str, '/');
    g_string_truncate(st->path, slash ? (gsize)(slash - st->path->str) : 0);
}

int ds_domain_info_parse(ds_domain_info **out, const char *xml, GError **err)
{
    static const GMarkupParser parser = {info_start, info_end, NULL, NULL,
                                         NULL};
    g_autoptr(ds_domain_info) info = g_new0(ds_domain_info, 1);
    g_autoptr(GString) path = g_string_new(NULL);
    info_state st = {.info = info, .path = path};
    g_autoptr(GMarkupParseContext) ctx = NULL;
    g_autoptr(GError) perr = NULL;
    bool ok;

    *out = NULL;
    info->disks = g_ptr_array_new_with_free_func((GDestroyNotify)disk_free);
    ctx = g_markup_parse_context_new(&parser, 0, &st, NULL);
    ok = g_markup_parse_context_parse(ctx, xml, -1, &perr) &&
         g_markup_parse_context_end_parse(ctx, &perr);
    disk_free(st.disk);
    if (!ok)
        return ds_error_set(err, DS_EINVALID,
                            "cannot read the domain XML: %s", perr->message);
    *out = g_steal_pointer(&info);
    return 0;
}

int ds_domain_info_read(ds_domain_info **out, char **xml_out,
                        virDomainPtr dom, GError **err)
{
    g_autofree char *xml = NULL;
    int rc;

    *out = NULL;
    xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE |
                                       VIR_DOMAIN_XML_SECURE);
    if (!xml)
        return ds_snapshot_virt_error(err, dom, "reading the definition");
    if ((rc = ds_domain_info_parse(out, xml, err)) < 0)
        return ds_error_prefix(err, rc, "%s: ", virDomainGetName(dom));
    if (xml_out)
        *xml_out = g_steal_pointer(&xml);
    return 0;
}

/* ---- rewriting ---- */

typedef struct switch_state {
    GString *out;
    GString *path;
    GPtrArray *disks;    /* ds_snapshot_disk * */
    GHashTable *targets; /* disk index -> ds_snapshot_disk * */
    bool to_overlay;
    int skip_depth; /* >0 while inside a dropped <backingStore> */
    int cur_disk;   /* index of the <disk> being copied, or -1 */
    int ndisks;
} switch_state;

static void emit_attrs(GString *out, const char **names, const char **values)
{
    for (int i = 0; names[i]; i++) {
        g_autofree char *esc = g_markup_escape_text(values[i], -1);

        g_string_append_printf(out, " %s=\"%s\"", names[i], esc);
    }
}

static void sw_start(GMarkupParseContext *ctx, const char *element,
                     const char **names, const char **values, void *payload,
                     GError **err)
{
    switch_state *st = payload;
    const ds_snapshot_disk *d = NULL;
    const char *p;

    (void)ctx;
    (void)err;
    if (st->path->len)
        g_string_append_c(st->path, '/');
    g_string_append(st->path, element);
    p = st->path->str;
    if (st->skip_depth) {
        st->skip_depth++;
        return;
    }
    if (!strcmp(p, "domain/devices/disk"))
        st->cur_disk = st->ndisks++;
    if (st->cur_disk >= 0)
        d = g_hash_table_lookup(st->targets, GINT_TO_POINTER(st->cur_disk));
    if (d && !strcmp(p, "domain/devices/disk/backingStore")) {
        st->skip_depth = 1;
        return;
    }
    g_string_append_printf(st->out, "<%s", element);
    if (d && (!strcmp(p, "domain/devices/disk/source") ||
              !strcmp(p, "domain/devices/disk/driver"))) {
        bool is_source = p[strlen(p) - 1] == 'e';
        const char *newval =
            is_source ? (st->to_overlay ? d->overlay : d->base)
                      : (st->to_overlay ? "qcow2" : d->base_format);
        const char *key = is_source ? "file" : "type";

        for (int i = 0; names[i]; i++) {
            g_autofree char *esc = NULL;

            if (!strcmp(names[i], key))
                continue;
            esc = g_markup_escape_text(values[i], -1);
            g_string_append_printf(st->out, " %s=\"%s\"", names[i], esc);
        }
        if (newval) {
            g_autofree char *esc = g_markup_escape_text(newval, -1);

            g_string_append_printf(st->out, " %s=\"%s\"", key, esc);
        }
    } else {
        emit_attrs(st->out, names, values);
    }
    g_string_append_c(st->out, '>');
}

static void sw_end(GMarkupParseContext *ctx, const char *element,
                   void *payload, GError **err)
{
    switch_state *st = payload;
    char *slash;

    (void)ctx;
    (void)err;
    if (st->skip_depth)
        st->skip_depth--;
    else
        g_string_append_printf(st->out, "</%s>", element);
    if (!strcmp(st->path->str, "domain/devices/disk"))
        st->cur_disk = -1;
    slash = strrchr(st->path->str, '/');
    g_string_truncate(st->path, slash ? (gsize)(slash - st->path->str) : 0);
}

static void sw_text(GMarkupParseContext *ctx, const char *text, gsize len,
                    void *payload, GError **err)
{
    switch_state *st = payload;
    g_autofree char *esc = NULL;

    (void)ctx;
    (void)err;
    if (st->skip_depth)
        return;
    esc = g_markup_escape_text(text, (gssize)len);
    g_string_append(st->out, esc);
}

char *ds_domain_xml_switch(const char *xml, GPtrArray *disks, bool to_overlay,
                           GError **err)
{
    static const GMarkupParser parser = {sw_start, sw_end, sw_text, NULL,
                                         NULL};
    g_autoptr(ds_domain_info) info = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) path = g_string_new(NULL);
    g_autoptr(GHashTable) targets = g_hash_table_new(NULL, NULL);
    g_autoptr(GMarkupParseContext) ctx = NULL;
    g_autoptr(GError) perr = NULL;
    switch_state st = {.out = out, .path = path, .disks = disks,
                       .targets = targets, .to_overlay = to_overlay,
                       .cur_disk = -1};

    if (ds_domain_info_parse(&info, xml, err) < 0)
        return NULL;
    /* Find each recorded disk by its target. */
    for (guint i = 0; i < disks->len; i++) {
        const ds_snapshot_disk *d = disks->pdata[i];
        bool found = false;

        for (guint j = 0; j < info->disks->len; j++) {
            const ds_domain_disk *dd = info->disks->pdata[j];

            if (dd->target && !strcmp(dd->target, d->target)) {
                g_hash_table_insert(targets, GINT_TO_POINTER(dd->index),
                                    (gpointer)d);
                found = true;
            }
        }
        if (!found) {
            ds_error_set(err, DS_ECONFLICT,
                         "the domain has no disk %s any more", d->target);
            return NULL;
        }
    }
    ctx = g_markup_parse_context_new(&parser, 0, &st, NULL);
    if (!g_markup_parse_context_parse(ctx, xml, -1, &perr) ||
        !g_markup_parse_context_end_parse(ctx, &perr)) {
        ds_error_set(err, DS_EINVALID, "cannot rewrite the domain XML: %s",
                     perr->message);
        return NULL;
    }
    g_string_append_c(out, '\n');
    return g_string_free(g_steal_pointer(&out), FALSE);
}
