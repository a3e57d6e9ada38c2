/* SPDX-License-Identifier: GPL-2.0-or-later */
/* snapshots/metadata.c: driftsync's record on the lab domain itself, in
 * its own XML namespace under <metadata>: the production host mirrored,
 * the store commit and time of the last sync and its result, and the
 * overlay snapshots (libvirt has no snapshot object for those). */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "snapshots/snapshot-private.h"

ds_snapshot_meta *ds_snapshot_meta_new(void)
{
    ds_snapshot_meta *meta = g_new0(ds_snapshot_meta, 1);

    meta->overlays = g_ptr_array_new_with_free_func(
        (GDestroyNotify)ds_snapshot_free);
    meta->overlay_disks = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_ptr_array_unref);
    return meta;
}

void ds_snapshot_meta_free(ds_snapshot_meta *meta)
{
    if (!meta)
        return;
    g_free(meta->host);
    g_free(meta->commit);
    g_free(meta->synced_at);
    g_free(meta->result);
    g_ptr_array_unref(meta->overlays);
    g_ptr_array_unref(meta->overlay_disks);
    g_free(meta);
}

void ds_snapshot_disk_free(ds_snapshot_disk *disk)
{
    if (!disk)
        return;
    g_free(disk->target);
    g_free(disk->base);
    g_free(disk->base_format);
    g_free(disk->overlay);
    g_free(disk);
}

static void append_attr(GString *s, const char *name, const char *value)
{
    g_autofree char *esc = NULL;

    if (!value)
        return;
    esc = g_markup_escape_text(value, -1);
    g_string_append_printf(s, " %s=\"%s\"", name, esc);
}

char *ds_snapshot_meta_format(const ds_snapshot_meta *meta)
{
    GString *s = g_string_new("<lab>\n");

    if (meta->host || meta->commit || meta->synced_at || meta->result) {
        g_string_append(s, "  <mirror");
        append_attr(s, "host", meta->host);
        append_attr(s, "commit", meta->commit);
        append_attr(s, "synced-at", meta->synced_at);
        append_attr(s, "result", meta->result);
        g_string_append(s, "/>\n");
    }
    for (guint i = 0; i < meta->overlays->len; i++) {
        const ds_snapshot *snap = meta->overlays->pdata[i];
        GPtrArray *disks = meta->overlay_disks->pdata[i];
        g_autofree char *created =
            g_strdup_printf("%" G_GINT64_FORMAT, snap->created);

        g_string_append(s, "  <overlay");
        append_attr(s, "name", snap->name);
        append_attr(s, "created", created);
        append_attr(s, "state", snap->state);
        append_attr(s, "description", snap->description);
        g_string_append(s, ">\n");
        for (guint j = 0; j < disks->len; j++) {
            const ds_snapshot_disk *d = disks->pdata[j];

            g_string_append(s, "    <disk");
            append_attr(s, "target", d->target);
            append_attr(s, "base", d->base);
            append_attr(s, "base-format", d->base_format);
            append_attr(s, "overlay", d->overlay);
            g_string_append(s, "/>\n");
        }
        g_string_append(s, "  </overlay>\n");
    }
    g_string_append(s, "</lab>\n");
    return g_string_free(s, FALSE);
}

/* ---- parsing: a minimal GMarkupParser over the element ---- */

typedef struct parse_state {
    ds_snapshot_meta *meta;
    int depth;
    bool in_overlay;
} parse_state;

/* "driftsync:mirror" and "mirror" alike. */
static const char *local_name(const char *name)
{
    const char *colon = strchr(name, ':');

    return colon ? colon + 1 : name;
}

static const char *attr(const char **names, const char **values,
                        const char *want)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], want))
            return values[i];
    return NULL;
}

static void on_start(GMarkupParseContext *ctx, const char *element,
                     const char **names, const char **values, void *payload,
                     GError **err)
{
    parse_state *st = payload;
    const char *name = local_name(element);
    ds_snapshot_meta *meta = st->meta;

    (void)ctx;
    st->depth++;
    if (st->depth == 1) {
        if (strcmp(name, "lab"))
            g_set_error(err, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ELEMENT,
                        "expected <lab>, found <%s>", element);
        return;
    }
    if (st->depth == 2 && !strcmp(name, "mirror")) {
        g_free(meta->host);
        g_free(meta->commit);
        g_free(meta->synced_at);
        g_free(meta->result);
        meta->host = g_strdup(attr(names, values, "host"));
        meta->commit = g_strdup(attr(names, values, "commit"));
        meta->synced_at = g_strdup(attr(names, values, "synced-at"));
        meta->result = g_strdup(attr(names, values, "result"));
    } else if (st->depth == 2 && !strcmp(name, "overlay")) {
        ds_snapshot *snap = g_new0(ds_snapshot, 1);
        const char *n = attr(names, values, "name");
        const char *created = attr(names, values, "created");

        if (!n || !ds_snapshot_name_is_safe(n)) {
            g_free(snap);
            g_set_error(err, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                        "<overlay> without a valid name");
            return;
        }
        snap->name = g_strdup(n);
        snap->mode = DS_SNAPSHOT_OVERLAY;
        snap->ours = ds_snapshot_name_is_ours(n);
        snap->created = created ? g_ascii_strtoll(created, NULL, 10) : 0;
        snap->state = g_strdup(attr(names, values, "state"));
        snap->description = g_strdup(attr(names, values, "description"));
        g_ptr_array_add(meta->overlays, snap);
        g_ptr_array_add(meta->overlay_disks,
                        g_ptr_array_new_with_free_func(
                            (GDestroyNotify)ds_snapshot_disk_free));
        st->in_overlay = true;
    } else if (st->depth == 3 && st->in_overlay && !strcmp(name, "disk")) {
        GPtrArray *disks =
            meta->overlay_disks->pdata[meta->overlay_disks->len - 1];
        ds_snapshot_disk *d = g_new0(ds_snapshot_disk, 1);

        d->target = g_strdup(attr(names, values, "target"));
        d->base = g_strdup(attr(names, values, "base"));
        d->base_format = g_strdup(attr(names, values, "base-format"));
        d->overlay = g_strdup(attr(names, values, "overlay"));
        g_ptr_array_add(disks, d);
        if (!d->target || !d->base || !d->overlay)
            g_set_error(err, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                        "overlay disk record lacks target, base or overlay");
    }
    /* Unknown elements are left alone (a later version may add some). */
}

static void on_end(GMarkupParseContext *ctx, const char *element,
                   void *payload, GError **err)
{
    parse_state *st = payload;

    (void)ctx;
    (void)err;
    if (st->depth == 2 && !strcmp(local_name(element), "overlay"))
        st->in_overlay = false;
    st->depth--;
}

int ds_snapshot_meta_parse(ds_snapshot_meta **out, const char *xml,
                           GError **err)
{
    static const GMarkupParser parser = {on_start, on_end, NULL, NULL, NULL};
    g_autoptr(ds_snapshot_meta) meta = ds_snapshot_meta_new();
    parse_state st = {.meta = meta};
    g_autoptr(GMarkupParseContext) ctx = NULL;
    g_autoptr(GError) perr = NULL;

    *out = NULL;
    ctx = g_markup_parse_context_new(&parser, 0, &st, NULL);
    if (!g_markup_parse_context_parse(ctx, xml, -1, &perr) ||
        !g_markup_parse_context_end_parse(ctx, &perr))
        return ds_error_set(err, DS_EINVALID,
                            "driftsync metadata is malformed: %s",
                            perr->message);
    *out = g_steal_pointer(&meta);
    return 0;
}

int ds_snapshot_meta_read(ds_snapshot_meta **out, virDomainPtr dom,
                          GError **err)
{
    g_autofree char *xml = NULL;
    virErrorPtr verr;
    int rc;

    *out = NULL;
    xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
                               DS_SNAPSHOT_META_URI, VIR_DOMAIN_AFFECT_CONFIG);
    if (!xml) {
        verr = virGetLastError();
        if (verr && verr->code == VIR_ERR_NO_DOMAIN_METADATA) {
            *out = ds_snapshot_meta_new();
            return 0;
        }
        return ds_snapshot_virt_error(err, dom, "reading driftsync metadata");
    }
    rc = ds_snapshot_meta_parse(out, xml, err);
    if (rc < 0)
        return ds_error_prefix(err, rc, "%s: ", virDomainGetName(dom));
    return 0;
}

int ds_snapshot_meta_write(virDomainPtr dom, const ds_snapshot_meta *meta,
                           GError **err)
{
    g_autofree char *xml = ds_snapshot_meta_format(meta);
    unsigned int flags = VIR_DOMAIN_AFFECT_CONFIG;

    if (virDomainIsActive(dom) == 1)
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml,
                             DS_SNAPSHOT_META_PREFIX, DS_SNAPSHOT_META_URI,
                             flags) < 0)
        return ds_snapshot_virt_error(err, dom, "writing driftsync metadata");
    return 0;
}

int ds_snapshot_meta_record_sync(virDomainPtr dom, const char *host,
                                 const char *commit, const char *result,
                                 GError **err)
{
    g_autoptr(ds_snapshot_meta) meta = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    int rc;

    if ((rc = ds_snapshot_meta_read(&meta, dom, err)) < 0)
        return rc;
    g_free(meta->host);
    g_free(meta->commit);
    g_free(meta->synced_at);
    g_free(meta->result);
    meta->host = g_strdup(host);
    meta->commit = g_strdup(commit);
    meta->synced_at = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    meta->result = g_strdup(result);
    return ds_snapshot_meta_write(dom, meta, err);
}
