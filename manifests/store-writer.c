/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-writer.c: blobs hashed, compared with a transaction's
 * base and written outside the transaction's thread: each writer its own
 * object database over the store's loose objects, so that threads share
 * no libgit2 handle. */
#include <config.h>

#include <openssl/evp.h>
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

int ds_store_hash_compare(ds_blob_id *out, const void *data, gsize len)
{
    char head[64];
    int hlen = g_snprintf(head, sizeof(head), "blob %" G_GSIZE_FORMAT, len);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok;

    /* A git object's id: SHA-1 of "blob LEN\0" and the bytes. */
    ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
         EVP_DigestUpdate(ctx, head, (size_t)hlen + 1) &&
         EVP_DigestUpdate(ctx, data, len) &&
         EVP_DigestFinal_ex(ctx, out->raw, &n) && n == sizeof(out->raw);
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : DS_EGENERIC;
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

bool ds_store_txn_stored(ds_store_txn *txn, ds_role role, const char *host)
{
    g_autofree char *path = NULL;
    git_oid id;

    if (!host || !ds_name_is_safe_host(host) || !txn->base_tree)
        return false;
    path = g_strdup_printf("%s/%s.json", ds_role_name(role), host);
    return ds_store_tree_blob_id(&id, txn->base_tree, path,
                                 GIT_OBJECT_BLOB) == 0;
}

bool ds_store_txn_holds(ds_store_txn *txn, ds_role role, const char *host,
                        const ds_blob_id *id)
{
    g_autofree char *path = NULL;
    git_oid want;

    if (!host || !ds_name_is_safe_host(host) || !txn->base_tree)
        return false;
    path = g_strdup_printf("%s/%s.json", ds_role_name(role), host);
    if (ds_store_tree_blob_id(&want, txn->base_tree, path,
                              GIT_OBJECT_BLOB) != 0)
        return false;
    return memcmp(want.id, id->raw, sizeof(id->raw)) == 0;
}

bool ds_store_txn_same_bytes(ds_store_txn *txn, ds_role role,
                             const char *host, const void *data, gsize len)
{
    ds_blob_id got;

    return ds_store_hash_compare(&got, data, len) == 0 &&
           ds_store_txn_holds(txn, role, host, &got);
}

int ds_store_txn_base_bytes(GBytes **out, ds_store_txn *txn, ds_role role,
                            const char *host, GError **err)
{
    g_autofree char *path = NULL;
    git_blob *blob = NULL;
    git_oid id;

    *out = NULL;
    if (!host || !ds_name_is_safe_host(host))
        return ds_error_set(err, DS_EINVALID, "invalid host name '%s'",
                            host ? host : "(null)");
    path = g_strdup_printf("%s/%s.json", ds_role_name(role), host);
    if (!txn->base_tree || ds_store_tree_blob_id(&id, txn->base_tree, path,
                                                 GIT_OBJECT_BLOB) != 0)
        return ds_error_set(err, DS_ENOTFOUND, "%s: not in the store", path);
    if (git_blob_lookup(&blob, txn->st->repo, &id) < 0)
        return ds_store_git_error(err, DS_EGENERIC, "%s@HEAD", path);
    *out = g_bytes_new(git_blob_rawcontent(blob),
                       (gsize)git_blob_rawsize(blob));
    git_blob_free(blob);
    return 0;
}
