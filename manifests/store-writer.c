/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-writer.c: blobs hashed and written outside the
 * transaction's thread: each writer its own object database over the
 * store's loose objects, so that threads share no libgit2 handle. */
#include <config.h>

#include <string.h>

#include "manifests/store-private.h"

struct ds_store_writer {
    git_odb *odb;
};

int ds_store_hash(ds_blob_id *out, const void *data, gsize len)
{
    git_oid id;

    if (git_odb_hash(&id, data, len, GIT_OBJECT_BLOB) < 0) {
        git_error_clear();
        return DS_EGENERIC;
    }
    memcpy(out->raw, id.id, sizeof(out->raw));
    return 0;
}

int ds_store_writer_new(ds_store_writer **out, ds_store *st, GError **err)
{
    git_odb_backend *loose = NULL;
    git_odb *odb = NULL;
    int rc;

    *out = NULL;
    if ((rc = ds_store_loose_backend(&loose, st->path, err)) < 0)
        return rc;
    if (git_odb_new(&odb) < 0 || git_odb_add_backend(odb, loose, 10) < 0) {
        rc = ds_store_git_error(err, DS_EGENERIC,
                                "%s: cannot open its object database",
                                st->path);
        if (!odb || loose->odb != odb)
            loose->free(loose);
        git_odb_free(odb);
        return rc;
    }
    *out = g_new0(ds_store_writer, 1);
    (*out)->odb = odb;
    return 0;
}

int ds_store_writer_put(ds_blob_id *out, ds_store_writer *w,
                        const void *data, gsize len, GError **err)
{
    git_oid id;

    if (git_odb_write(&id, w->odb, data, len, GIT_OBJECT_BLOB) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "writing a blob");
    memcpy(out->raw, id.id, sizeof(out->raw));
    return 0;
}

void ds_store_writer_free(ds_store_writer *w)
{
    if (!w)
        return;
    git_odb_free(w->odb);
    g_free(w);
}
