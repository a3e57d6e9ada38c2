/* SPDX-License-Identifier: GPL-2.0-or-later */
/* snapshots/snapshot.c: the snapshot calls sync/ uses: names and run ids,
 * the choice between internal and overlay mode, and list, create,
 * revert, delete and retention over both modes. */
#include <config.h>

#include <string.h>

#include "manifests/util/error.h"
#include "snapshots/snapshot-private.h"

void ds_snapshot_free(ds_snapshot *snap)
{
    if (!snap)
        return;
    g_free(snap->name);
    g_free(snap->description);
    g_free(snap->state);
    g_free(snap);
}

static const char *const mode_names[] = {
    [DS_SNAPSHOT_AUTO] = "auto",
    [DS_SNAPSHOT_INTERNAL] = "internal",
    [DS_SNAPSHOT_OVERLAY] = "overlay",
};

int ds_snapshot_mode_from_string(ds_snapshot_mode *out, const char *s,
                                 GError **err)
{
    for (gsize i = 0; i < G_N_ELEMENTS(mode_names); i++) {
        if (s && !strcmp(s, mode_names[i])) {
            *out = (ds_snapshot_mode)i;
            return 0;
        }
    }
    return ds_error_set(err, DS_EINVALID,
                        "snapshot mode '%s' is not internal, overlay or auto",
                        s ? s : "");
}

const char *ds_snapshot_mode_to_string(ds_snapshot_mode mode)
{
    if ((gsize)mode < G_N_ELEMENTS(mode_names))
        return mode_names[mode];
    return "?";
}

bool ds_snapshot_name_is_safe(const char *name)
{
    gsize len;

    if (!name || !*name || name[0] == '-' || name[0] == '.')
        return false;
    len = strlen(name);
    if (len > DS_SNAPSHOT_NAME_MAX)
        return false;
    for (gsize i = 0; i < len; i++) {
        char c = name[i];

        if (!g_ascii_isalnum(c) && c != '.' && c != '_' && c != '-')
            return false;
    }
    return true;
}

bool ds_snapshot_name_is_ours(const char *name)
{
    return name && g_str_has_prefix(name, DS_SNAPSHOT_PREFIX) &&
           name[strlen(DS_SNAPSHOT_PREFIX)] != '\0';
}

char *ds_snapshot_name_for_run(const char *run_id)
{
    return g_strconcat(DS_SNAPSHOT_PREFIX, run_id, NULL);
}

char *ds_snapshot_sync_description(const char *host, const char *commit)
{
    return g_strdup_printf("driftsync sync of %s at store commit %.12s",
                           host, commit ? commit : "(none)");
}

int ds_snapshot_virt_error(GError **err, virDomainPtr dom, const char *what)
{
    /* Saved first: any libvirt call (virDomainGetName too) resets it. */
    virErrorPtr e = virSaveLastError();
    const char *name = dom ? virDomainGetName(dom) : NULL;
    const char *msg = e && e->message ? e->message : "unknown libvirt error";
    int code = DS_EGENERIC;

    if (e) {
        switch (e->code) {
        case VIR_ERR_NO_DOMAIN:
        case VIR_ERR_NO_DOMAIN_SNAPSHOT:
            code = DS_ENOTFOUND;
            break;
        case VIR_ERR_OPERATION_UNSUPPORTED:
        case VIR_ERR_NO_SUPPORT:
        case VIR_ERR_CONFIG_UNSUPPORTED:
            code = DS_EUNSUPPORTED;
            break;
        case VIR_ERR_RPC:
        case VIR_ERR_NO_CONNECT:
            code = DS_EINTERRUPTED;
            break;
        default:
            break;
        }
        if (e->domain == VIR_FROM_RPC)
            code = DS_EINTERRUPTED;
    }
    if (code == DS_EINTERRUPTED)
        ds_error_set(err, code, "%s: %s: lost the connection to libvirt (%s)",
                     name ? name : "libvirt", what, msg);
    else
        ds_error_set(err, code, "%s: %s: %s", name ? name : "libvirt", what,
                     msg);
    virFreeError(e);
    return code;
}

int ds_snapshot_choose_mode(ds_snapshot_mode *out, char **why,
                            virDomainPtr dom, ds_snapshot_mode wanted,
                            GError **err)
{
    g_autoptr(ds_domain_info) info = NULL;
    g_autofree char *refusal = NULL;
    int rc;

    if (why)
        *why = NULL;
    if (wanted != DS_SNAPSHOT_AUTO) {
        *out = wanted;
        if (why)
            *why = g_strdup_printf("snapshots = %s in the configuration",
                                   ds_snapshot_mode_to_string(wanted));
        return 0;
    }
    if ((rc = ds_domain_info_read(&info, NULL, dom, err)) < 0)
        return rc;
    refusal = ds_snapshot_internal_refusal(info);
    *out = refusal ? DS_SNAPSHOT_OVERLAY : DS_SNAPSHOT_INTERNAL;
    if (why)
        *why = refusal ? g_steal_pointer(&refusal)
                       : g_strdup("all disks are qcow2 and the firmware is not UEFI");
    return 0;
}

int ds_snapshot_check_mode(virDomainPtr dom, ds_snapshot_mode mode,
                           GError **err)
{
    g_autoptr(ds_domain_info) info = NULL;
    g_autofree char *why = NULL;
    int rc;

    if ((rc = ds_snapshot_choose_mode(&mode, NULL, dom, mode, err)) < 0)
        return rc;
    if (mode == DS_SNAPSHOT_OVERLAY)
        return ds_snapshot_overlay_check(dom, err);
    if ((rc = ds_domain_info_read(&info, NULL, dom, err)) < 0)
        return rc;
    if ((why = ds_snapshot_internal_refusal(info)))
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: cannot take an internal snapshot: %s; set [lab] snapshots = overlay (or auto)",
                            virDomainGetName(dom), why);
    return 0;
}

static int compare_snapshots(gconstpointer a, gconstpointer b)
{
    const ds_snapshot *x = *(ds_snapshot *const *)a;
    const ds_snapshot *y = *(ds_snapshot *const *)b;

    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->name, y->name);
}

static ds_snapshot *snapshot_copy(const ds_snapshot *s)
{
    ds_snapshot *c = g_new0(ds_snapshot, 1);

    *c = *s;
    c->name = g_strdup(s->name);
    c->description = g_strdup(s->description);
    c->state = g_strdup(s->state);
    return c;
}

int ds_snapshot_list(GPtrArray **out, virDomainPtr dom, GError **err)
{
    g_autoptr(GPtrArray) all =
        g_ptr_array_new_with_free_func((GDestroyNotify)ds_snapshot_free);
    g_autoptr(ds_snapshot_meta) meta = NULL;
    int rc;

    *out = NULL;
    if ((rc = ds_snapshot_internal_list(all, dom, err)) < 0)
        return rc;
    if ((rc = ds_snapshot_meta_read(&meta, dom, err)) < 0)
        return rc;
    for (guint i = 0; i < meta->overlays->len; i++) {
        ds_snapshot *c = snapshot_copy(meta->overlays->pdata[i]);

        /* The domain runs on the newest overlay. */
        c->current = i + 1 == meta->overlays->len;
        g_ptr_array_add(all, c);
    }
    g_ptr_array_sort(all, compare_snapshots);
    *out = g_steal_pointer(&all);
    return 0;
}

int ds_snapshot_find(ds_snapshot **out, virDomainPtr dom, const char *name,
                     GError **err)
{
    g_autoptr(GPtrArray) all = NULL;
    int rc;

    *out = NULL;
    if (!ds_snapshot_name_is_safe(name))
        return ds_error_set(err, DS_EINVALID,
                            "%s: snapshot name '%s' is not valid (letters, digits, '.', '_', '-'; at most %d; not starting with '-' or '.')",
                            virDomainGetName(dom), name ? name : "",
                            DS_SNAPSHOT_NAME_MAX);
    if ((rc = ds_snapshot_list(&all, dom, err)) < 0)
        return rc;
    /* The exact name first; then the name `snapshot create HOST NAME` gave
     * it, driftsync's prefix added. */
    for (int pass = 0; pass < 2; pass++) {
        g_autofree char *want = pass ? g_strconcat(DS_SNAPSHOT_PREFIX, name,
                                                   NULL)
                                     : g_strdup(name);

        if (pass && ds_snapshot_name_is_ours(name))
            break;
        for (guint i = 0; i < all->len; i++) {
            ds_snapshot *s = all->pdata[i];

            if (!strcmp(s->name, want)) {
                *out = g_ptr_array_steal_index(all, i);
                return 0;
            }
        }
    }
    return ds_error_set(err, DS_ENOTFOUND, "%s: no snapshot named %s",
                        virDomainGetName(dom), name);
}

int ds_snapshot_create(ds_snapshot **out, virDomainPtr dom, const char *name,
                       const char *description, ds_snapshot_mode mode,
                       GError **err)
{
    g_autoptr(ds_snapshot) existing = NULL;
    g_autoptr(GError) lerr = NULL;
    int rc;

    if (out)
        *out = NULL;
    rc = ds_snapshot_find(&existing, dom, name, &lerr);
    if (rc == 0)
        return ds_error_set(err, DS_ECONFLICT,
                            "%s: a snapshot named %s exists already",
                            virDomainGetName(dom), name);
    if (rc != DS_ENOTFOUND) {
        g_propagate_error(err, g_steal_pointer(&lerr));
        return rc;
    }
    if ((rc = ds_snapshot_choose_mode(&mode, NULL, dom, mode, err)) < 0)
        return rc;
    if (mode == DS_SNAPSHOT_INTERNAL)
        rc = ds_snapshot_internal_create(dom, name, description, err);
    else
        rc = ds_snapshot_overlay_create(dom, name, description, err);
    if (rc < 0)
        return rc;
    if (out)
        return ds_snapshot_find(out, dom, name, err);
    return 0;
}

int ds_snapshot_revert(virDomainPtr dom, const char *name, GError **err)
{
    g_autoptr(ds_snapshot) snap = NULL;
    int rc;

    if ((rc = ds_snapshot_find(&snap, dom, name, err)) < 0)
        return rc;
    if (snap->mode == DS_SNAPSHOT_OVERLAY)
        return ds_snapshot_overlay_revert(dom, name, err);
    return ds_snapshot_internal_revert(dom, name, err);
}

int ds_snapshot_delete(virDomainPtr dom, const char *name, GError **err)
{
    g_autoptr(ds_snapshot) snap = NULL;
    int rc;

    if ((rc = ds_snapshot_find(&snap, dom, name, err)) < 0)
        return rc;
    if (!snap->ours)
        return ds_error_set(err, DS_EINVALID,
                            "%s: snapshot %s is not driftsync's (not named "
                            DS_SNAPSHOT_PREFIX "*); driftsync leaves it alone",
                            virDomainGetName(dom), name);
    if (snap->mode == DS_SNAPSHOT_OVERLAY)
        return ds_snapshot_overlay_delete(dom, name, err);
    return ds_snapshot_internal_delete(dom, name, err);
}

int ds_snapshot_prune(GPtrArray **deleted, virDomainPtr dom, int keep,
                      GError **err)
{
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    guint ours = 0;
    int rc;

    if (deleted)
        *deleted = NULL;
    if (keep >= 0) {
        if ((rc = ds_snapshot_list(&all, dom, err)) < 0)
            return rc;
        for (guint i = 0; i < all->len; i++)
            ours += ((ds_snapshot *)all->pdata[i])->ours;
        /* Oldest first: delete from the front while too many remain. */
        for (guint i = 0; i < all->len && ours > (guint)keep; i++) {
            const ds_snapshot *s = all->pdata[i];

            if (!s->ours)
                continue;
            if ((rc = ds_snapshot_delete(dom, s->name, err)) < 0)
                return ds_error_prefix(err, rc, "retention: ");
            g_ptr_array_add(gone, g_strdup(s->name));
            ours--;
        }
    }
    if (deleted)
        *deleted = g_steal_pointer(&gone);
    return 0;
}
