/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-sync-journal.c: what a sync run leaves on disk and how
 * it applies steps: the journal (round trip, atomic replacement under a
 * concurrent reader, open states, bad files), the per-lab lock (held,
 * released, taken over from a killed holder), the output tail, and
 * actions applied through the real local transport (file content, mode,
 * a failing command, hostile names refused). */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/transport.h"
#include "manifests/util/error.h"
#include "sync/engine/sync.h"
#include "tests/unit/testutil.h"

static guint count_entries(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

/* ---- journal ---- */

static void test_journal_round_trip(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-sync-XXXXXX");
    g_autofree char *path = ds_journal_path(dir, "web01");
    g_autofree char *jdir = g_path_get_dirname(path);
    g_autoptr(ds_journal) j = ds_journal_new(
        "20261127T120000Z-1a2b", "web01", "web01-lab", "qemu:///system",
        "driftsync-20261127T120000Z-1a2b");
    g_autoptr(ds_journal) back = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *text = NULL;
    const ds_journal_step *s;

    g_assert_true(g_str_has_suffix(path, "/journal/web01.json"));
    j->total = 3;
    ds_journal_step_begin(j, 1, "packages", "one package transaction");
    ds_journal_step_end(j, 0);
    ds_journal_step_begin(j, 2, "file-write", "write /etc/motd");
    j->state = DS_JOURNAL_APPLYING;
    g_assert_cmpint(ds_journal_write(path, j, &e), ==, 0);
    g_assert_no_error(e);
    /* Only the journal itself: no temporary file left beside it. */
    g_assert_cmpuint(count_entries(jdir), ==, 1);

    g_assert_cmpint(ds_journal_read(&back, path, &e), ==, 0);
    g_assert_no_error(e);
    g_assert_cmpstr(back->run_id, ==, "20261127T120000Z-1a2b");
    g_assert_cmpstr(back->host, ==, "web01");
    g_assert_cmpstr(back->domain, ==, "web01-lab");
    g_assert_cmpstr(back->uri, ==, "qemu:///system");
    g_assert_cmpstr(back->snapshot, ==, "driftsync-20261127T120000Z-1a2b");
    g_assert_cmpint(back->state, ==, DS_JOURNAL_APPLYING);
    g_assert_cmpint(back->pid, ==, (long)getpid());
    g_assert_cmpuint(back->total, ==, 3);
    g_assert_nonnull(back->updated);
    g_assert_cmpuint(back->steps->len, ==, 2);
    s = back->steps->pdata[0];
    g_assert_cmpuint(s->index, ==, 1);
    g_assert_cmpstr(s->kind, ==, "packages");
    g_assert_nonnull(s->finished);
    g_assert_cmpint(s->status, ==, 0);
    s = back->steps->pdata[1];
    g_assert_cmpstr(s->description, ==, "write /etc/motd");
    g_assert_null(s->finished); /* the step a kill interrupted */
    g_assert_cmpint(s->status, ==, -1);
    g_assert_true(ds_journal_is_open(back));

    /* A human can read it: JSON with the state spelled out. */
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "\"state\": \"applying\""));
    g_assert_nonnull(strstr(text, "\"format\": \"driftsync/journal/v1\""));

    /* Closed once finished. */
    j->state = DS_JOURNAL_FINISHED;
    g_assert_cmpint(ds_journal_write(path, j, &e), ==, 0);
    g_clear_pointer(&back, ds_journal_free);
    g_assert_cmpint(ds_journal_read(&back, path, &e), ==, 0);
    g_assert_false(ds_journal_is_open(back));
}

static void test_journal_states(void)
{
    for (int s = 0; s < DS_JOURNAL_STATE_COUNT; s++) {
        ds_journal j = {.state = (ds_journal_state)s};
        bool open = s == DS_JOURNAL_STARTED || s == DS_JOURNAL_APPLYING ||
                    s == DS_JOURNAL_VERIFYING || s == DS_JOURNAL_RECORDING ||
                    s == DS_JOURNAL_REVERTING;

        g_assert_cmpint(ds_journal_is_open(&j), ==, open);
        g_assert_cmpstr(ds_journal_state_name((ds_journal_state)s), !=,
                        "unknown");
    }
    g_assert_false(ds_journal_is_open(NULL));
}

static void test_journal_bad(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-sync-XXXXXX");
    g_autofree char *path = g_build_filename(dir, "web01.json", NULL);
    static const char *const bad[] = {
        "not json",
        "{}",
        "{\"format\": \"driftsync/journal/v1\", \"run_id\": \"r\", \"host\": "
        "\"web01\", \"domain\": \"lab\", \"snapshot\": \"driftsync-r\", "
        "\"state\": \"dancing\"}",
        "{\"format\": \"driftsync/journal/v1\", \"run_id\": \"r\", \"host\": "
        "\"../etc\", \"domain\": \"lab\", \"snapshot\": \"driftsync-r\", "
        "\"state\": \"applying\"}",
        "{\"format\": \"other/v9\", \"run_id\": \"r\", \"host\": "
        "\"web01\", \"domain\": \"lab\", \"snapshot\": \"driftsync-r\", "
        "\"state\": \"applying\"}",
    };
    ds_journal *j = NULL;
    GError *e = NULL;

    g_assert_cmpint(ds_journal_read(&j, path, &e), ==, DS_ENOTFOUND);
    g_assert_null(j);
    g_clear_error(&e);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_true(g_file_set_contents(path, bad[i], -1, NULL));
        g_assert_cmpint(ds_journal_read(&j, path, &e), ==, DS_EINVALID);
        g_assert_null(j);
        g_assert_nonnull(strstr(e->message, path));
        g_clear_error(&e);
    }
}

/* A reader never sees half a journal while a writer replaces it. */
static void test_journal_atomic(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-sync-XXXXXX");
    g_autofree char *path = ds_journal_path(dir, "web01");
    g_autoptr(ds_journal) j = ds_journal_new("run-a", "web01", "lab",
                                             "test:///default", "driftsync-a");
    g_autofree char *jdir = NULL;
    pid_t child;
    int status = 0;

    /* A big journal, so that a torn write would show. */
    for (guint i = 1; i <= 300; i++)
        ds_journal_step_begin(j, i, "file-write",
                              "write a file with a rather long description "
                              "so that the journal spans many blocks");
    g_assert_cmpint(ds_journal_write(path, j, NULL), ==, 0);
    child = fork();
    g_assert_cmpint(child, >=, 0);
    if (child == 0) {
        for (int n = 0; n < 150; n++) {
            j->state = n % 2 ? DS_JOURNAL_APPLYING : DS_JOURNAL_VERIFYING;
            if (ds_journal_write(path, j, NULL) < 0)
                _exit(1);
        }
        _exit(0);
    }
    for (int n = 0; n < 300; n++) {
        g_autoptr(ds_journal) back = NULL;
        g_autoptr(GError) e = NULL;

        g_assert_cmpint(ds_journal_read(&back, path, &e), ==, 0);
        g_assert_cmpuint(back->steps->len, ==, 300);
    }
    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    jdir = g_path_get_dirname(path);
    g_assert_cmpuint(count_entries(jdir), ==, 1);
}

/* A failed write leaves the old journal as it was, and no litter. */
static void test_journal_write_fails(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-sync-XXXXXX");
    g_autofree char *path = g_build_filename(dir, "web01.json", NULL);
    g_autofree char *blocker = g_build_filename(dir, "blocked.json", NULL);
    g_autofree char *inside = g_build_filename(blocker, "x", NULL);
    g_autoptr(ds_journal) j = ds_journal_new("run-b", "web01", "lab", NULL,
                                             "driftsync-b");
    GError *e = NULL;

    /* The target is a directory: the rename fails, the temporary goes. */
    g_assert_cmpint(mkdir(blocker, 0700), ==, 0);
    g_assert_true(g_file_set_contents(inside, "keep", -1, NULL));
    g_assert_cmpint(ds_journal_write(blocker, j, &e), <, 0);
    g_assert_nonnull(strstr(e->message, "web01: journal: cannot write"));
    g_clear_error(&e);
    g_assert_cmpuint(count_entries(dir), ==, 1);
    g_assert_true(g_file_test(inside, G_FILE_TEST_IS_REGULAR));
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

/* ---- lock ---- */

static void test_lock(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-sync-XXXXXX");
    g_autofree char *want = g_strdup_printf("pid %ld", (long)getpid());
    ds_lock *a = NULL, *b = NULL;
    GError *e = NULL;
    pid_t child;
    int status = 0, pipefd[2];
    char c;

    g_assert_cmpint(ds_sync_lock_take(&a, dir, "web01-lab", &e), ==, 0);
    g_assert_no_error(e);
    /* A second run on the same lab is refused, naming the holder. */
    g_assert_cmpint(ds_sync_lock_take(&b, dir, "web01-lab", &e), ==,
                    DS_ECONFLICT);
    g_assert_null(b);
    g_assert_nonnull(strstr(e->message, "lab web01-lab is busy"));
    g_assert_nonnull(strstr(e->message, want));
    g_clear_error(&e);
    /* Another lab is another lock. */
    g_assert_cmpint(ds_sync_lock_take(&b, dir, "db01-lab", &e), ==, 0);
    ds_lock_release(b);
    b = NULL;
    ds_lock_release(a);
    g_assert_cmpint(ds_sync_lock_take(&a, dir, "web01-lab", &e), ==, 0);
    ds_lock_release(a);
    a = NULL;

    /* A holder killed with SIGKILL leaves nothing that blocks. */
    g_assert_cmpint(pipe(pipefd), ==, 0);
    child = fork();
    g_assert_cmpint(child, >=, 0);
    if (child == 0) {
        ds_lock *l = NULL;

        if (ds_sync_lock_take(&l, dir, "web01-lab", NULL) < 0)
            _exit(1);
        if (write(pipefd[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(pipefd[1]);
    g_assert_cmpint(read(pipefd[0], &c, 1), ==, 1);
    close(pipefd[0]);
    g_assert_cmpint(ds_sync_lock_take(&a, dir, "web01-lab", &e), ==,
                    DS_ECONFLICT);
    {
        g_autofree char *holder = g_strdup_printf("pid %ld", (long)child);

        g_assert_nonnull(strstr(e->message, holder));
    }
    g_clear_error(&e);
    kill(child, SIGKILL);
    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    g_assert_cmpint(ds_sync_lock_take(&a, dir, "web01-lab", &e), ==, 0);
    ds_lock_release(a);

    g_assert_cmpint(ds_sync_lock_take(&a, dir, "../x", &e), ==, DS_EINVALID);
    g_clear_error(&e);
}

/* ---- output tail ---- */

static void test_output_tail(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GBytes) o = NULL;
    g_autoptr(GBytes) er = g_bytes_new_static("E: bad\xff\x01thing\n", 14);
    g_autofree char *tail = NULL;
    g_auto(GStrv) lines = NULL;

    for (int i = 1; i <= 15; i++)
        g_string_append_printf(out, "line %d\n", i);
    o = g_bytes_new(out->str, out->len);
    tail = ds_sync_output_tail(o, er, 4);
    lines = g_strsplit(tail, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 4);
    g_assert_cmpstr(lines[0], ==, "line 13");
    g_assert_cmpstr(lines[2], ==, "line 15");
    /* stderr last; control bytes blanked, invalid UTF-8 made valid */
    g_assert_true(g_str_has_prefix(lines[3], "E: bad"));
    g_assert_true(g_utf8_validate(lines[3], -1, NULL));
    g_assert_nonnull(strstr(lines[3], " thing"));
    g_free(tail);
    tail = ds_sync_output_tail(NULL, NULL, 10);
    g_assert_cmpstr(tail, ==, "");
}

/* ---- applying through the local transport ---- */

static ds_action *action(ds_action_kind kind, const char *desc)
{
    ds_action *a = g_new0(ds_action, 1);

    a->kind = kind;
    a->description = g_strdup(desc);
    return a;
}

static void test_apply_local(void)
{
    g_autofree char *dir = ds_test_tmpdir("ds-sync-XXXXXX");
    g_autofree char *target = g_build_filename(dir, "etc/app/app.conf", NULL);
    g_autofree char *content = NULL;
    g_autoptr(ds_transport) t = NULL;
    ds_step_failure *f = NULL;
    GError *e = NULL;
    struct stat sb;
    ds_action *a;

    g_assert_cmpint(ds_transport_open(&t, "local:", NULL, &e), ==, 0);

    /* A file: parent created, content, mode, owner, atomically placed. */
    a = action(DS_ACTION_FILE_WRITE, "write app.conf");
    a->path = g_strdup(target);
    a->mode = 0640;
    a->owner = g_strdup(g_get_user_name()); /* chown to ourselves */
    a->data = g_bytes_new_static("key = value\n", 12);
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 1, NULL, NULL, &e), ==, 0);
    g_assert_no_error(e);
    g_assert_null(f);
    g_assert_true(g_file_get_contents(target, &content, NULL, NULL));
    g_assert_cmpstr(content, ==, "key = value\n");
    g_assert_cmpint(lstat(target, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 07777, ==, 0640);
    g_assert_true(S_ISREG(sb.st_mode));
    {
        g_autofree char *d = g_path_get_dirname(target);

        g_assert_cmpuint(count_entries(d), ==, 1); /* no temporary left */
    }
    /* A symbolic link in the way is replaced, not followed. */
    {
        g_autofree char *victim = g_build_filename(dir, "victim", NULL);
        g_autofree char *vc = NULL;

        g_assert_true(g_file_set_contents(victim, "untouched", -1, NULL));
        g_assert_cmpint(unlink(target), ==, 0);
        g_assert_cmpint(symlink(victim, target), ==, 0);
        g_assert_cmpint(ds_sync_apply_action(&f, t, a, 1, NULL, NULL, &e), ==,
                        0);
        g_assert_cmpint(lstat(target, &sb), ==, 0);
        g_assert_true(S_ISREG(sb.st_mode));
        g_assert_true(g_file_get_contents(victim, &vc, NULL, NULL));
        g_assert_cmpstr(vc, ==, "untouched");
    }
    ds_action_free(a);

    /* A command that fails: its exit status and its output are kept. */
    a = action(DS_ACTION_FILE_REMOVE, "remove a directory");
    a->path = g_strdup(dir);
    a->argv = g_strsplit("rm|-f|--|", "|", -1);
    g_free(a->argv[3]);
    a->argv[3] = g_strdup(dir);
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 4, NULL, NULL, &e), ==,
                    DS_EGENERIC);
    g_assert_nonnull(f);
    g_assert_cmpuint(f->index, ==, 4);
    g_assert_cmpint(f->status, ==, 1);
    g_assert_nonnull(strstr(f->output, "Is a directory"));
    g_assert_nonnull(strstr(f->command, "rm -f --"));
    g_assert_nonnull(strstr(e->message, "step 4 (remove a directory)"));
    g_clear_error(&e);
    ds_step_failure_free(f);
    f = NULL;
    g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
    ds_action_free(a);

    /* Hostile names are refused before anything runs. */
    a = action(DS_ACTION_PACKAGES, "packages");
    a->argv = g_strsplit("env DEBIAN_FRONTEND=noninteractive apt-get install "
                         "-y -- foo=1.0 bar;touch", " ", -1);
    a->items = g_strsplit("foo=1.0 bar;touch", " ", -1);
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 2, NULL, NULL, &e), ==,
                    DS_EINVALID);
    g_assert_nonnull(strstr(e->message, "refusing package request 'bar;touch'"));
    g_clear_error(&e);
    g_strfreev(a->argv);
    a->argv = g_strsplit("apt-get install -y foo=1.0", " ", -1);
    g_strfreev(a->items);
    a->items = g_strsplit("foo=1.0", " ", -1);
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 2, NULL, NULL, &e), ==,
                    DS_EINVALID); /* not through env DEBIAN_FRONTEND= */
    g_clear_error(&e);
    ds_action_free(a);

    a = action(DS_ACTION_FILE_WRITE, "relative");
    a->path = g_strdup("etc/passwd");
    a->data = g_bytes_new_static("x", 1);
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 3, NULL, NULL, &e), ==,
                    DS_EINVALID);
    g_clear_error(&e);
    g_free(a->path);
    a->path = g_strdup(target);
    a->owner = g_strdup("--reference=/x");
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 3, NULL, NULL, &e), ==,
                    DS_EINVALID);
    g_clear_error(&e);
    ds_action_free(a);

    a = action(DS_ACTION_SERVICE, "start");
    a->argv = g_strsplit("systemctl start -- evil\nunit", " ", -1);
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 5, NULL, NULL, &e), ==,
                    DS_EINVALID);
    g_clear_error(&e);
    ds_action_free(a);

    a = action(DS_ACTION_MANUAL, "copy the secret by hand");
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 6, NULL, NULL, &e), ==,
                    DS_EUNSUPPORTED);
    g_assert_nonnull(strstr(e->message, "cannot be replayed"));
    g_clear_error(&e);
    ds_action_free(a);

    a = action(DS_ACTION_REBOOT, "reboot");
    a->argv = g_strsplit("systemctl reboot", " ", -1);
    g_assert_cmpint(ds_sync_apply_action(&f, t, a, 7, NULL, NULL, &e), ==,
                    DS_EUNSUPPORTED);
    g_clear_error(&e);
    ds_action_free(a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sync/journal/round-trip", test_journal_round_trip);
    g_test_add_func("/sync/journal/states", test_journal_states);
    g_test_add_func("/sync/journal/bad", test_journal_bad);
    g_test_add_func("/sync/journal/atomic", test_journal_atomic);
    g_test_add_func("/sync/journal/write-fails", test_journal_write_fails);
    g_test_add_func("/sync/lock", test_lock);
    g_test_add_func("/sync/output-tail", test_output_tail);
    g_test_add_func("/sync/apply/local", test_apply_local);
    return g_test_run();
}
