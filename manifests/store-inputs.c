/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/store-inputs.c: what input files became in the store.  A
 * manifest file that is valid but not in canonical form (another
 * exporter's indent or key order) is stored as other bytes; the store
 * remembers, per host, the blob id of the last such input and the blob
 * its canonical form was, so that the same input again is known to be the
 * stored state without being parsed.  Kept in the store's directory
 * (STORE/driftsync-inputs), written under the store lock; every line
 * carries a checksum, and a line that does not match it, or a table of
 * another format or driftsync version, is not believed: the input is then
 * parsed, as it would be without the table. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "manifests/store-private.h"
#include "manifests/util/file.h"

#define INPUTS_FILE "driftsync-inputs"
/* The first line: the format and the version whose canonical form the
 * table's stored blobs are. */
#define INPUTS_HEADER "driftsync-inputs 1 " PACKAGE_VERSION
#define INPUTS_MAX_BYTES (64 * 1024 * 1024) /* a bigger table is not read */
#define CHECK_HEX 16 /* hex digits of SHA-256 kept per line */

typedef struct input_entry {
    ds_role role;
    char *host;
    git_oid input;  /* the input file's bytes */
    git_oid stored; /* their canonical form's */
} input_entry;

struct ds_store_inputs {
    GMutex lock;
    GHashTable *by_host;  /* "ROLE/HOST" -> input_entry * (owned) */
    GHashTable *by_input; /* input hex -> input_entry * */
    bool dirty;
};

static void entry_free(gpointer p)
{
    input_entry *e = p;

    g_free(e->host);
    g_free(e);
}

/* "INPUT ROLE HOST STORED" */
static char *entry_text(const input_entry *e)
{
    char in[GIT_OID_HEXSZ + 1], st[GIT_OID_HEXSZ + 1];

    git_oid_tostr(in, sizeof(in), &e->input);
    git_oid_tostr(st, sizeof(st), &e->stored);
    return g_strdup_printf("%s %s %s %s", in, ds_role_name(e->role), e->host,
                           st);
}

static char *entry_check(const char *text)
{
    g_autofree char *salted = g_strconcat(INPUTS_HEADER "\n", text, NULL);
    g_autofree char *sum =
        g_compute_checksum_for_string(G_CHECKSUM_SHA256, salted, -1);

    return g_strndup(sum, CHECK_HEX);
}

static void add_entry(ds_store_inputs *in, input_entry *e)
{
    char hex[GIT_OID_HEXSZ + 1];
    g_autofree char *key = g_strdup_printf("%s/%s", ds_role_name(e->role),
                                           e->host);
    input_entry *old = g_hash_table_lookup(in->by_host, key);

    if (old) {
        git_oid_tostr(hex, sizeof(hex), &old->input);
        if (g_hash_table_lookup(in->by_input, hex) == old)
            g_hash_table_remove(in->by_input, hex);
    }
    git_oid_tostr(hex, sizeof(hex), &e->input);
    g_hash_table_replace(in->by_host, g_steal_pointer(&key), e);
    g_hash_table_replace(in->by_input, g_strdup(hex), e);
}

/* One line of the table, or NULL when it is not a sound one. */
static input_entry *parse_line(const char *line)
{
    g_auto(GStrv) f = g_strsplit(line, " ", 0);
    g_autofree char *text = NULL;
    g_autofree char *check = NULL;
    input_entry *e;

    if (g_strv_length(f) != 5 || strlen(f[4]) != CHECK_HEX)
        return NULL;
    text = g_strdup_printf("%s %s %s %s", f[0], f[1], f[2], f[3]);
    check = entry_check(text);
    if (strcmp(check, f[4]) || (strcmp(f[1], "prod") && strcmp(f[1], "lab")) ||
        !ds_name_is_safe_host(f[2]) || strlen(f[0]) != GIT_OID_HEXSZ ||
        strlen(f[3]) != GIT_OID_HEXSZ)
        return NULL;
    e = g_new0(input_entry, 1);
    e->role = strcmp(f[1], "prod") ? DS_ROLE_LAB : DS_ROLE_PROD;
    e->host = g_strdup(f[2]);
    if (git_oid_fromstr(&e->input, f[0]) < 0 ||
        git_oid_fromstr(&e->stored, f[3]) < 0) {
        git_error_clear();
        entry_free(e);
        return NULL;
    }
    return e;
}

ds_store_inputs *ds_store_inputs_load(ds_store *st)
{
    ds_store_inputs *in = g_new0(ds_store_inputs, 1);
    g_autofree char *path = g_build_filename(st->path, INPUTS_FILE, NULL);
    g_autofree char *data = NULL;
    g_auto(GStrv) lines = NULL;
    gsize len = 0;
    struct stat sb;

    g_mutex_init(&in->lock);
    in->by_host = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        entry_free);
    in->by_input = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         NULL);
    if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode) ||
        sb.st_size > INPUTS_MAX_BYTES ||
        !g_file_get_contents(path, &data, &len, NULL) ||
        strlen(data) != len)
        return in;
    lines = g_strsplit(data, "\n", 0);
    if (!lines[0] || strcmp(lines[0], INPUTS_HEADER))
        return in;
    for (guint i = 1; lines[i]; i++) {
        input_entry *e = parse_line(lines[i]);

        if (e)
            add_entry(in, e);
    }
    return in;
}

void ds_store_inputs_free(ds_store_inputs *in)
{
    if (!in)
        return;
    g_hash_table_unref(in->by_input);
    g_hash_table_unref(in->by_host);
    g_mutex_clear(&in->lock);
    g_free(in);
}

bool ds_store_inputs_same(const ds_store_inputs *in, ds_store_txn *txn,
                          const ds_blob_id *input, char **host, ds_role *role)
{
    git_oid id;
    char hex[GIT_OID_HEXSZ + 1];
    const input_entry *e;
    ds_blob_id stored;

    memcpy(id.id, input->raw, sizeof(input->raw));
    git_oid_tostr(hex, sizeof(hex), &id);
    /* Read only once loaded: several threads may ask at once. */
    e = g_hash_table_lookup(in->by_input, hex);
    if (!e)
        return false;
    memcpy(stored.raw, e->stored.id, sizeof(stored.raw));
    if (!ds_store_txn_holds(txn, e->role, e->host, &stored))
        return false;
    *host = g_strdup(e->host);
    *role = e->role;
    return true;
}

void ds_store_inputs_note(ds_store_inputs *in, const ds_blob_id *input,
                          ds_role role, const char *host,
                          const ds_blob_id *stored)
{
    input_entry *e;

    if (!memcmp(input->raw, stored->raw, sizeof(input->raw)) ||
        !ds_name_is_safe_host(host))
        return; /* canonical bytes: the store's blob id says it all */
    e = g_new0(input_entry, 1);
    e->role = role;
    e->host = g_strdup(host);
    memcpy(e->input.id, input->raw, sizeof(input->raw));
    memcpy(e->stored.id, stored->raw, sizeof(stored->raw));
    g_mutex_lock(&in->lock);
    add_entry(in, e);
    in->dirty = true;
    g_mutex_unlock(&in->lock);
}

int ds_store_inputs_save(ds_store_inputs *in, ds_store *st, GError **err)
{
    g_autofree char *path = g_build_filename(st->path, INPUTS_FILE, NULL);
    g_autoptr(GString) out = g_string_new(INPUTS_HEADER "\n");
    g_autoptr(GList) keys = NULL;
    struct stat sb;
    guint mode = 0600;

    if (!in->dirty)
        return 0;
    if (!st->lock)
        return ds_error_set(err, DS_EINVALID,
                            "store %s: the inputs table is written under the store lock only", st->path);
    /* Readable by the store's group of readers, when it has one. */
    if (stat(st->path, &sb) == 0 && (sb.st_mode & 0070))
        mode = 0640;
    keys = g_list_sort(g_hash_table_get_keys(in->by_host),
                       (GCompareFunc)strcmp);
    for (GList *k = keys; k; k = k->next) {
        g_autofree char *text =
            entry_text(g_hash_table_lookup(in->by_host, k->data));
        g_autofree char *check = entry_check(text);

        g_string_append_printf(out, "%s %s\n", text, check);
    }
    if (ds_file_write_atomic(path, out->str, out->len, mode, 0, err) < 0)
        return DS_EGENERIC;
    in->dirty = false;
    return 0;
}
