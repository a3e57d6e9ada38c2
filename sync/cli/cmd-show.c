/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/cli/cmd-show.c: `driftsync show HOST[@REV]`: one manifest from the
 * store, as a human summary or (--json) the canonical document; with
 * --file PATH, the stored content of one of its files. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "manifests/util/error.h"
#include "manifests/util/textdiff.h"
#include "manifests/store.h"
#include "sync/cli/cmd.h"

static void field(ds_cli *cli, const char *name, const char *value)
{
    ds_cli_printf(cli, "%s%-13s%s %s\n", ds_cli_colour(cli, "bold"), name,
                  ds_cli_colour(cli, "reset"), value && *value ? value : "-");
}

static void heading(ds_cli *cli, const char *name, guint count)
{
    ds_cli_printf(cli, "\n%s%s (%u)%s\n", ds_cli_colour(cli, "bold"), name,
                  count, ds_cli_colour(cli, "reset"));
}

static void print_file(ds_cli *cli, const ds_file *f)
{
    ds_cli_printf(cli, "  %s", f->path);
    if (f->type == DS_FILE_SYMLINK) {
        ds_cli_printf(cli, " -> %s\n", f->target ? f->target : "?");
        return;
    }
    ds_cli_printf(cli, "  %04o %s:%s", f->mode, f->owner ? f->owner : "?",
                  f->group ? f->group : "?");
    if (f->secret)
        ds_cli_printf(cli, "  secret (content not stored)");
    else if (f->sha256)
        ds_cli_printf(cli, "  sha256:%.12s", f->sha256);
    if (f->content_ref)
        ds_cli_printf(cli, "  content stored");
    putchar('\n');
}

static void print_manifest(ds_cli *cli, const ds_manifest *m, const char *oid)
{
    g_autofree char *host =
        g_strdup_printf("%s (%s)", m->host, ds_role_name(m->role));
    g_autofree char *os = NULL;
    g_autofree char *kernel = NULL;
    g_autofree char *collector = NULL;
    g_autofree char *rev = g_strndup(oid, 12);
    GString *installed = g_string_new(NULL);

    os = g_strdup_printf("%s%s%s %s%s", m->os.name ? m->os.name : "",
                         m->os.name ? " [" : "", m->os.id ? m->os.id : "?",
                         m->os.version ? m->os.version : "",
                         m->os.name ? "]" : "");
    for (guint i = 0; m->kernel.installed && i < m->kernel.installed->len; i++)
        g_string_append_printf(
            installed, "%s%s", i ? " " : "",
            (char *)g_ptr_array_index(m->kernel.installed, i));
    kernel = g_strdup_printf("%s (installed: %s)",
                             m->kernel.running ? m->kernel.running : "?",
                             installed->len ? installed->str : "none");
    g_string_free(installed, TRUE);
    collector =
        g_strdup_printf("driftsync %s via %s",
                        m->collector.version ? m->collector.version : "?",
                        m->collector.transport ? m->collector.transport : "?");

    field(cli, "host", host);
    field(cli, "revision", rev);
    field(cli, "collected at", m->collected_at);
    field(cli, "os", os);
    field(cli, "kernel", kernel);
    ds_cli_printf(cli, "%s%-13s%s %s%s%s\n", ds_cli_colour(cli, "bold"),
                  "reboot", ds_cli_colour(cli, "reset"),
                  m->reboot_required ? ds_cli_colour(cli, "red") : "",
                  m->reboot_required ? "required" : "not required",
                  m->reboot_required ? ds_cli_colour(cli, "reset") : "");
    field(cli, "collector", collector);

    heading(cli, "packages", m->packages->len);
    for (guint i = 0; i < m->packages->len; i++) {
        const ds_package *p = g_ptr_array_index(m->packages, i);

        ds_cli_printf(cli, "  %s %s %s", p->name, p->version,
                      p->arch ? p->arch : "");
        if (p->source)
            ds_cli_printf(cli, " [%s]", p->source);
        /* rpm: the older versions installed beside it (kernels) */
        for (guint j = 0; p->other_versions && j < p->other_versions->len;
             j++)
            ds_cli_printf(cli, "%s%s%s", j ? " " : " (also ",
                          (char *)p->other_versions->pdata[j],
                          j + 1 == p->other_versions->len ? ")" : "");
        putchar('\n');
    }
    heading(cli, "sources", m->sources->len);
    for (guint i = 0; i < m->sources->len; i++)
        ds_cli_printf(cli, "  %s\n", (char *)g_ptr_array_index(m->sources, i));
    heading(cli, "files", m->files->len);
    for (guint i = 0; i < m->files->len; i++)
        print_file(cli, g_ptr_array_index(m->files, i));
    heading(cli, "services", m->services->len);
    for (guint i = 0; i < m->services->len; i++) {
        const ds_service *s = g_ptr_array_index(m->services, i);

        ds_cli_printf(cli, "  %s %s %s\n", s->name, s->enabled, s->active);
    }
}

/* --json for --file: the content as text, or base64 when it is binary
 * or not UTF-8. */
static json_t *file_json(const ds_manifest *m, const char *oid,
                         const ds_file *f, GBytes *data)
{
    gsize len;
    const char *p = g_bytes_get_data(data, &len);
    bool text = !ds_textdiff_is_binary(data) && g_utf8_validate(p, (gssize)len, NULL) && !memchr(p, '\0', len);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:I, s:b}", "host",
                          m->host, "role", ds_role_name(m->role), "revision",
                          oid, "path", f->path, "sha256", f->sha256, "size",
                          (json_int_t)len, "binary", ds_textdiff_is_binary(data));

    if (text) {
        json_object_set_new(o, "content", json_stringn(p, len));
    } else {
        g_autofree char *b64 = g_base64_encode((const guchar *)p, len);

        json_object_set_new(o, "content_base64", json_string(b64));
    }
    return o;
}

/* `show --file PATH HOST[@REV]`: the stored content of one file, as it
 * is when stdout is not a terminal, escaped on a terminal. */
static int show_file(ds_cli *cli, ds_store *st, const ds_manifest *m,
                     const char *oid, const char *path)
{
    const ds_file *f = ds_manifest_find_file(m, path);
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) data = NULL;
    const char *p;
    gsize len;

    if (!f) {
        ds_cli_error(cli, "%s: %s is not in the %s manifest at %.12s", m->host, path, ds_role_name(m->role), oid);
        return DS_EXIT_ERROR;
    }
    if (f->secret) {
        ds_cli_error(cli, "%s: %s is a secret file: its content is never stored", m->host, path);
        return DS_EXIT_ERROR;
    }
    if (f->type != DS_FILE_REGULAR) {
        ds_cli_error(cli, "%s: %s is a symbolic link to %s: it has no content", m->host, path, f->target ? f->target : "?");
        return DS_EXIT_ERROR;
    }
    if (ds_store_read_file(&data, st, oid, m->role, m->host, path, &err) < 0) {
        if (ds_error_code_of(err) == DS_ENOTFOUND)
            ds_cli_error(cli, "%s: no stored content for %s at %.12s (only files named by `files` are captured, up to 1 MiB)", m->host, path, oid);
        else
            ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }
    p = g_bytes_get_data(data, &len);
    if (cli->json) {
        json_t *o = file_json(m, oid, f, data);

        ds_cli_print_json(o);
        json_decref(o);
    } else if (!isatty(STDOUT_FILENO)) {
        fwrite(p, 1, len, stdout);
    } else if (ds_textdiff_is_binary(data)) {
        ds_cli_error(cli, "%s: %s is binary (%" G_GSIZE_FORMAT " bytes): redirect the output to a file to get it", m->host, path, len);
        return DS_EXIT_ERROR;
    } else {
        g_autofree char *text = g_strndup(p, len);

        ds_cli_printf(cli, "%s%s", text,
                      len && p[len - 1] != '\n' ? "\n" : "");
    }
    return fflush(stdout) == 0 ? DS_EXIT_OK : DS_EXIT_ERROR;
}

static int cmd_show(ds_cli *cli, int argc, char **argv)
{
    gboolean lab = FALSE;
    g_autofree char *file = NULL;
    GOptionEntry entries[] = {
        {"lab", 'l', 0, G_OPTION_ARG_NONE, &lab,
         "Show the lab manifest instead of production's", NULL},
        {"file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
         "Print the stored content of the file PATH instead (as it is when "
         "the output is not a terminal)",
         "PATH"},
        {NULL}};
    g_autoptr(ds_config) cfg = NULL;
    g_autoptr(ds_store) st = NULL;
    g_autoptr(ds_manifest) m = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *host = NULL;
    g_autofree char *rev = NULL;
    g_autofree char *oid = NULL;
    ds_role role;
    int code = DS_EXIT_OK;
    int rc;

    if (!ds_cli_parse(cli, &ds_cmd_show_entry, entries, &argc, &argv, &code))
        return code;
    if (argc != 2) {
        ds_cli_error(cli, "show: expected one HOST[@REV] (see driftsync show --help)");
        return DS_EXIT_ERROR;
    }
    if (file && !ds_name_is_safe_path(file)) {
        ds_cli_error(cli, "show: --file: '%s' is not an absolute path", file);
        return DS_EXIT_ERROR;
    }
    role = lab ? DS_ROLE_LAB : DS_ROLE_PROD;
    if (ds_cli_split_ref(&host, &rev, &role, argv[1], &err) < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }
    if (!(cfg = ds_cli_config(cli)))
        return DS_EXIT_ERROR;
    if ((code = ds_cli_open_store(&st, cli, cfg)) != DS_EXIT_OK)
        return code;
    if (ds_store_resolve(&oid, st, rev ? rev : "HEAD", &err) < 0) {
        if (!rev && ds_error_code_of(err) == DS_ENOTFOUND)
            ds_cli_error(cli, "%s: the store is empty (nothing recorded yet)",
                         host);
        else
            ds_cli_error(cli, "%s: %s", host, err->message);
        return DS_EXIT_ERROR;
    }
    rc = ds_store_read(&m, st, oid, role, host, &err);
    if (rc == DS_ENOTFOUND) {
        ds_cli_error(cli, "%s: no %s manifest in the store at %.12s", host,
                     ds_role_name(role), oid);
        return DS_EXIT_ERROR;
    }
    if (rc < 0) {
        ds_cli_error_gerror(cli, err);
        return DS_EXIT_ERROR;
    }

    if (file)
        return show_file(cli, st, m, oid, file);
    if (cli->json) {
        g_autoptr(GBytes) bytes = NULL;
        gsize len;
        const char *data;

        if (ds_manifest_serialise(&bytes, m, &err) < 0) {
            ds_cli_error_gerror(cli, err);
            return DS_EXIT_ERROR;
        }
        data = g_bytes_get_data(bytes, &len);
        fwrite(data, 1, len, stdout);
    } else {
        print_manifest(cli, m, oid);
    }
    return fflush(stdout) == 0 ? DS_EXIT_OK : DS_EXIT_ERROR;
}

const ds_cmd_entry ds_cmd_show_entry = {
    .name = "show",
    .args = "[--lab] [--file PATH] HOST[@REV]",
    .summary = "Show a host's manifest (production's, or the lab's with "
               "--lab) at the newest or a given revision, or one stored "
               "file (--file).",
    .exec = cmd_show,
};
