/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/test-util.c: the base layer's helpers: the atomic file write
 * (content, mode, no temporary file left, a failing write leaves the old
 * file) and the lock (its holder named, a second taker refused with the
 * holder's pid, released, taken over from a killed holder), run ids, the
 * bounded parallel loop (every index once, never more threads than asked,
 * that many really at once), the g_autoptr definitions for jansson and
 * libgit2 types, the signal policy (the first signal says so, the third
 * leaves with status 2 and the hint), and
 * the display of a command (minimal quoting that still round-trips
 * through sh -c for hostile arguments), and an ssh host key looked up in
 * a known_hosts file (ports, patterns, negations, @revoked, and the same
 * file hashed by ssh-keygen -H). */
#include <config.h>

#include <errno.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifests/util/autoptr.h"
#include "manifests/util/error.h"
#include "manifests/util/file.h"
#include "manifests/util/known-hosts.h"
#include "manifests/util/lock.h"
#include "manifests/util/parallel.h"
#include "manifests/util/run-id.h"
#include "manifests/util/shell.h"
#include "manifests/util/signals.h"
#include "snapshots/snapshot.h"

static char *tmpdir_new(void)
{
    g_autoptr(GError) e = NULL;
    char *d = g_dir_make_tmp("ds-util-XXXXXX", &e);

    g_assert_no_error(e);
    return d;
}

static void rm_rf(const char *dir)
{
    const char *argv[] = {"rm", "-rf", "--", dir, NULL};

    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                 NULL, NULL, NULL, NULL);
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted, joined with spaces. */
static char *listing(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;

    while (d && (n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, cmp_names);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

static char *slurp(const char *path)
{
    char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* ---- atomic file write ---- */

static void test_file_write(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "state.json", NULL);
    g_autofree char *text = NULL;
    g_autofree char *names = NULL;
    g_autoptr(GError) e = NULL;
    mode_t old_umask = umask(077);
    struct stat st;

    /* The mode is the one given, whatever the umask. */
    g_assert_cmpint(ds_file_write_atomic(path, "one\n", 4, 0644, 0, &e), ==, 0);
    g_assert_no_error(e);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0644);
    text = slurp(path);
    g_assert_cmpstr(text, ==, "one\n");
    g_clear_pointer(&text, g_free);

    /* Replaced whole, with the new mode; nothing else in the directory. */
    g_assert_cmpint(ds_file_write_atomic(path, "two\n", 4, 0600, 0, &e), ==, 0);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    text = slurp(path);
    g_assert_cmpstr(text, ==, "two\n");
    names = listing(dir);
    g_assert_cmpstr(names, ==, "state.json");
    umask(old_umask);
    rm_rf(dir);
}

static void test_file_mkdir(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "a", "b", "x.json", NULL);
    g_autofree char *missing = g_build_filename(dir, "nope", "x", NULL);
    g_autofree char *text = NULL;
    GError *e = NULL;

    /* Without DS_FILE_MKDIR a missing directory is an error naming it. */
    g_assert_cmpint(ds_file_write_atomic(missing, "x", 1, 0600, 0, &e), ==,
                    DS_ENOTFOUND);
    g_assert_nonnull(strstr(e->message, "cannot create a file in "));
    g_assert_nonnull(strstr(e->message, "nope"));
    g_clear_error(&e);
    g_assert_cmpint(
        ds_file_write_atomic(path, "{}", 2, 0600, DS_FILE_MKDIR, &e), ==, 0);
    text = slurp(path);
    g_assert_cmpstr(text, ==, "{}");
    rm_rf(dir);
}

/* A write that fails half-way (the file size limit: EFBIG) leaves the old
 * file as it was, and no temporary file. */
static void test_file_write_fails(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "keep", NULL);
    g_autofree char *big = g_malloc0(64 * 1024);
    g_autofree char *text = NULL;
    g_autofree char *names = NULL;
    struct rlimit old, small;
    void (*old_handler)(int);
    GError *e = NULL;
    int rc;

    g_assert_cmpint(ds_file_write_atomic(path, "old\n", 4, 0600, 0, &e), ==, 0);
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    small = old;
    small.rlim_cur = 4096;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
    rc = ds_file_write_atomic(path, big, 64 * 1024, 0600, 0, &e);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
    signal(SIGXFSZ, old_handler);
    g_assert_cmpint(rc, ==, DS_EGENERIC);
    g_assert_nonnull(strstr(e->message, "cannot write "));
    g_assert_nonnull(strstr(e->message, path));
    g_assert_nonnull(strstr(e->message, g_strerror(EFBIG)));
    g_clear_error(&e);
    text = slurp(path);
    g_assert_cmpstr(text, ==, "old\n");
    names = listing(dir);
    g_assert_cmpstr(names, ==, "keep");
    rm_rf(dir);
}

/* The rename fails (the target is a directory): the target stays, the
 * temporary file goes. */
static void test_file_rename_fails(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *target = g_build_filename(dir, "target", NULL);
    g_autofree char *inside = g_build_filename(target, "x", NULL);
    g_autofree char *names = NULL;
    GError *e = NULL;

    g_assert_cmpint(mkdir(target, 0700), ==, 0);
    g_assert_true(g_file_set_contents(inside, "keep", -1, NULL));
    g_assert_cmpint(ds_file_write_atomic(target, "x", 1, 0600, 0, &e), <, 0);
    g_assert_nonnull(strstr(e->message, "cannot write "));
    g_clear_error(&e);
    names = listing(dir);
    g_assert_cmpstr(names, ==, "target");
    g_assert_true(g_file_test(inside, G_FILE_TEST_IS_REGULAR));
    rm_rf(dir);
}

/* DS_FILE_NO_REPLACE: the first writer wins, the second is no error and
 * leaves no temporary file. */
static void test_file_no_replace(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "key", NULL);
    g_autofree char *text = NULL;
    g_autofree char *names = NULL;
    GError *e = NULL;

    g_assert_cmpint(
        ds_file_write_atomic(path, "first", 5, 0600, DS_FILE_NO_REPLACE, &e),
        ==, 0);
    g_assert_cmpint(
        ds_file_write_atomic(path, "second", 6, 0600, DS_FILE_NO_REPLACE, &e),
        ==, 0);
    g_assert_no_error(e);
    text = slurp(path);
    g_assert_cmpstr(text, ==, "first");
    names = listing(dir);
    g_assert_cmpstr(names, ==, "key");
    rm_rf(dir);
}

/* The two halves: a temporary file that is checked, then dropped, leaves
 * the old file alone. */
static void test_file_temp(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "f", NULL);
    g_autofree char *tmp = NULL;
    g_autofree char *tmpdir = NULL;
    g_autofree char *text = NULL;
    g_autofree char *names = NULL;
    GError *e = NULL;

    g_assert_cmpint(ds_file_write_temp(&tmp, path, "new", 3, 0644, &e), ==, 0);
    tmpdir = g_path_get_dirname(tmp);
    g_assert_cmpstr(tmpdir, ==, dir); /* same directory: rename is atomic */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_cmpint(ds_file_commit_temp(tmp, path, 0, &e), ==, 0);
    g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
    text = slurp(path);
    g_assert_cmpstr(text, ==, "new");
    names = listing(dir);
    g_assert_cmpstr(names, ==, "f");
    rm_rf(dir);
}

/* ---- the lock ---- */

static void test_lock(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "x.lock", NULL);
    g_autofree char *text = NULL;
    g_autofree char *who = NULL;
    g_autofree char *want = NULL;
    g_autoptr(ds_lock) a = NULL;
    ds_lock *b = NULL;
    GError *e = NULL;
    gint64 t0;
    struct stat st;

    g_assert_cmpint(ds_lock_take(&a, NULL, path, 0640, 0, &e), ==, 0);
    g_assert_no_error(e);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0640 & ~umask(umask(0)));
    /* The file names the holder: pid, host, since. */
    text = slurp(path);
    want = g_strdup_printf("%ld %s ", (long)getpid(), g_get_host_name());
    g_assert_true(g_str_has_prefix(text, want));
    g_assert_true(g_str_has_suffix(text, "Z\n"));

    /* A second taker (another open file: flock is per open) is refused
     * after its timeout, naming the holder's pid. */
    t0 = g_get_monotonic_time();
    g_assert_cmpint(ds_lock_take(&b, &who, path, 0640, 200, &e), ==,
                    DS_ECONFLICT);
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, 150 * 1000);
    g_assert_null(b);
    g_clear_pointer(&want, g_free);
    want = g_strdup_printf("pid %ld on %s since ", (long)getpid(),
                           g_get_host_name());
    g_assert_true(g_str_has_prefix(who, want));
    g_assert_nonnull(strstr(e->message, path));
    g_assert_nonnull(strstr(e->message, " is locked by pid "));
    g_clear_error(&e);

    /* Released: the holder line goes, the next taker gets it. */
    g_clear_pointer(&a, ds_lock_release);
    g_clear_pointer(&text, g_free);
    text = slurp(path);
    g_assert_cmpstr(text, ==, "");
    g_assert_cmpint(ds_lock_take(&b, NULL, path, 0640, 0, &e), ==, 0);
    ds_lock_release(b);
    ds_lock_release(NULL);
    rm_rf(dir);
}

/* A holder killed with SIGKILL leaves its line but no lock: taken over;
 * while it lives, another process is refused with its pid. */
static void test_lock_other_process(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "x.lock", NULL);
    g_autofree char *who = NULL;
    g_autofree char *want = NULL;
    g_autofree char *text = NULL;
    ds_lock *l = NULL;
    GError *e = NULL;
    int status = 0, p[2];
    pid_t child;
    char c;

    g_assert_cmpint(pipe(p), ==, 0);
    child = fork();
    g_assert_cmpint(child, >=, 0);
    if (child == 0) {
        ds_lock *held = NULL;

        if (ds_lock_take(&held, NULL, path, 0600, 0, NULL) < 0)
            _exit(1);
        if (write(p[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(p[1]);
    g_assert_cmpint(read(p[0], &c, 1), ==, 1);
    close(p[0]);
    g_assert_cmpint(ds_lock_take(&l, &who, path, 0600, 0, &e), ==,
                    DS_ECONFLICT);
    want = g_strdup_printf("pid %ld on ", (long)child);
    g_assert_true(g_str_has_prefix(who, want));
    g_clear_error(&e);
    kill(child, SIGKILL);
    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    text = slurp(path);
    g_assert_cmpint(atol(text), ==, child); /* stale, still naming it */
    g_assert_cmpint(ds_lock_take(&l, NULL, path, 0600, 0, &e), ==, 0);
    g_clear_pointer(&text, g_free);
    text = slurp(path);
    g_assert_cmpint(atol(text), ==, getpid());
    ds_lock_release(l);
    rm_rf(dir);
}

/* The holder line in both forms a lock file may hold. */
static void test_lock_holder_forms(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"42 web01 2026-11-27T12:00:00Z\n",
         "pid 42 on web01 since 2026-11-27T12:00:00Z"},
        /* a lab lock written by an older driftsync */
        {"42 2026-11-27T12:00:00Z\n", "pid 42 since 2026-11-27T12:00:00Z"},
        {"42\n", "pid 42"},
        {"", NULL},
        {"x y z", NULL},
        {"-5 h t", NULL},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = ds_lock_describe_holder(cases[i].text);

        g_assert_cmpstr(got, ==, cases[i].want);
    }
}

/* ---- run ids ---- */

static void test_run_id(void)
{
    g_autofree char *a = ds_run_id_new();
    g_autofree char *b = ds_run_id_new();
    /* an id written by an older driftsync (16 random bits) */
    g_autofree char *old = ds_snapshot_name_for_run("20261127T120000Z-1a2b");
    g_autofree char *name = ds_snapshot_name_for_run(a);

    g_assert_true(
        g_regex_match_simple("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$", a, 0, 0));
    g_assert_cmpstr(a, !=, b);
    /* Both shapes make a snapshot name driftsync recognises as its own. */
    g_assert_true(ds_snapshot_name_is_safe(name));
    g_assert_true(ds_snapshot_name_is_ours(name));
    g_assert_true(ds_snapshot_name_is_safe(old));
    g_assert_true(ds_snapshot_name_is_ours(old));
}

/* ---- argv display ---- */

static const char *const hostile[] = {"it's",        "$(id)",
                                      "`id`",        "a b",
                                      "line\nbreak", "tab\there",
                                      "*",           "?",
                                      "[ab]",        "{a,b}",
                                      "-n",          "--",
                                      "~",           "~root",
                                      "a=~",         "x:~",
                                      "PATH=~/bin",  "!",
                                      "\\",          "\"",
                                      ";rm -rf /",   "",
                                      "héllo",       "%s",
                                      "#c",          "&",
                                      "|",           ">x",
                                      "<x",          "a'b'c",
                                      "'",           "''",
                                      "$HOME",       "${x}",
                                      "x=1",         "=",
                                      ":",           "@",
                                      "%",           "1.0-1~deb12u1",
                                      "vim-tiny-",   "curl=7.88.1-10+deb12u8",
                                      "\x01ctl",     NULL};

/* Run `sh -c LINE` where LINE prints its arguments NUL-terminated, and
 * compare with what was meant. */
static void check_round_trip(char *(*render)(const char *const *),
                             const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GString) want = g_string_new(NULL);
    g_autoptr(GSubprocess) sh = NULL;
    g_autoptr(GBytes) out = NULL;
    g_autoptr(GError) e = NULL;
    g_autofree char *line = NULL;
    const char *got;
    gsize len;

    g_ptr_array_add(argv, "printf");
    g_ptr_array_add(argv, "%s\\000");
    for (gsize i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
        g_string_append_len(want, args[i], (gssize)strlen(args[i]) + 1);
    }
    g_ptr_array_add(argv, NULL);
    line = render((const char *const *)argv->pdata);
    sh = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &e, "/bin/sh", "-c",
                          line, NULL);
    g_assert_no_error(e);
    g_assert_true(g_subprocess_communicate(sh, NULL, NULL, &out, NULL, &e));
    g_assert_no_error(e);
    g_assert_true(g_subprocess_get_successful(sh));
    got = g_bytes_get_data(out, &len);
    if (len != want->len || memcmp(got, want->str, len)) {
        g_autofree char *shown = g_strescape(line, NULL);

        g_test_message("line: %s", shown);
        g_assert_cmpmem(got, len, want->str, want->len);
    }
}

static void test_shell_round_trip(void)
{
    for (gsize i = 0; hostile[i]; i++) {
        const char *one[] = {hostile[i], NULL};

        check_round_trip(ds_shell_display, one);
        check_round_trip(ds_shell_join, one);
    }
    check_round_trip(ds_shell_display, hostile);
    check_round_trip(ds_shell_join, hostile);
}

static void test_shell_display(void)
{
    static const struct {
        const char *const argv[7];
        const char *want;
    } cases[] = {
        /* a plan's apt step: nothing quoted */
        {{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "--",
          "openssl=3.0.15-1~deb12u1", "vim-tiny-"},
         "env DEBIAN_FRONTEND=noninteractive apt-get -- "
         "openssl=3.0.15-1~deb12u1 vim-tiny-"},
        {{"systemctl", "enable", "--", "cron.service", NULL},
         "systemctl enable -- cron.service"},
        /* only what a shell would read differently is quoted */
        {{"install", "-m", "0644", "/etc/my file", "it's", NULL},
         "install -m 0644 '/etc/my file' 'it'\\''s'"},
        {{"echo", "", "~", "a=~", "~x", "x~y"}, "echo '' '~' 'a=~' '~x' x~y"},
        /* an '=' in the first word would make it an assignment */
        {{"A=b", "c", NULL}, "'A=b' c"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = ds_shell_display(cases[i].argv);

        g_assert_cmpstr(got, ==, cases[i].want);
    }
}

/* ---- parallel for ---- */

#define PAR_N 300
#define PAR_THREADS 3
#define PAR_WAIT_US (30 * G_USEC_PER_SEC) /* for threads to start at all */

typedef struct {
    GMutex lock;
    GCond cond;
    gint calls[PAR_N];
    guint workers_seen; /* bit per worker id */
    guint active, most;
    bool together; /* the first PAR_THREADS calls ran at the same time */
    bool bad_worker;
} par_state;

static void par_fn(guint i, guint worker, void *payload)
{
    par_state *p = payload;

    g_atomic_int_inc(&p->calls[i]);
    g_mutex_lock(&p->lock);
    if (worker >= PAR_THREADS)
        p->bad_worker = true;
    p->workers_seen |= 1u << MIN(worker, 31u);
    p->active++;
    p->most = MAX(p->most, p->active);
    /* Each of the first indexes waits for the others: a thread busy here
     * cannot take another index, so all of them meet only if that many
     * threads really run -- however fast or slow the machine. */
    if (i < PAR_THREADS) {
        gint64 end = g_get_monotonic_time() + PAR_WAIT_US;

        g_cond_broadcast(&p->cond);
        while (p->active < PAR_THREADS && !p->together &&
               g_cond_wait_until(&p->cond, &p->lock, end))
            ;
        if (p->active == PAR_THREADS)
            p->together = true;
        g_cond_broadcast(&p->cond);
    }
    p->active--;
    g_mutex_unlock(&p->lock);
}

static void test_parallel_for(void)
{
    par_state *p = g_new0(par_state, 1);

    g_mutex_init(&p->lock);
    g_cond_init(&p->cond);
    ds_parallel_for(PAR_N, PAR_THREADS, par_fn, p);
    for (guint i = 0; i < PAR_N; i++)
        g_assert_cmpint(p->calls[i], ==, 1);
    g_assert_true(p->together);
    g_assert_cmpuint(p->most, ==, PAR_THREADS);
    g_assert_false(p->bad_worker);
    g_assert_cmpuint(p->workers_seen, ==, (1u << PAR_THREADS) - 1);
    g_mutex_clear(&p->lock);
    g_cond_clear(&p->cond);
    g_free(p);
}

static void count_fn(guint i, guint worker, void *payload)
{
    gint *calls = payload;

    g_assert_cmpuint(worker, ==, 0);
    g_atomic_int_inc(&calls[i]);
}

static void test_parallel_bounds(void)
{
    gint calls[4] = {0};

    g_assert_cmpuint(ds_parallel_workers(0, 4), ==, 1);
    g_assert_cmpuint(ds_parallel_workers(2, 8), ==, 2);
    g_assert_cmpuint(ds_parallel_workers(10, 0), ==, 1);
    g_assert_cmpuint(ds_parallel_workers(10, 4), ==, 4);
    /* nothing to do: fn never called */
    ds_parallel_for(0, 4, count_fn, calls);
    g_assert_cmpint(calls[0], ==, 0);
    /* one thread: every call in the calling thread, in order */
    ds_parallel_for(4, 1, count_fn, calls);
    for (guint i = 0; i < 4; i++)
        g_assert_cmpint(calls[i], ==, 1);
}

/* ---- g_autoptr for library types ---- */

static void test_autoptr(void)
{
    json_t *o = json_object();

    {
        g_autoptr(json_t) ref = json_incref(o);
        g_autoptr(git_signature) sig = NULL;

        g_assert_true(ref == o);
        g_assert_cmpuint(o->refcount, ==, 2);
        g_assert_cmpint(git_signature_new(&sig, "a", "a@example.org", 0, 0), ==,
                        0);
        g_assert_cmpstr(sig->name, ==, "a");
    }
    /* the reference went with its scope */
    g_assert_cmpuint(o->refcount, ==, 1);
    json_decref(o);
}

/* ---- the signal policy ---- */

/* In a child: SIGINT, SIGTERM, SIGHUP.  The first writes the message and
 * the run goes on; the second is counted; the third writes the hint and
 * leaves with status 2.  Then: the previous handlers are back. */
static void test_signals(void)
{
    int p[2], status = 0;
    char buf[256];
    gsize got = 0;
    ssize_t n;
    pid_t child;

    g_assert_cmpint(pipe(p), ==, 0);
    child = fork();
    g_assert_cmpint(child, >=, 0);
    if (child == 0) {
        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        ds_signals_catch("first\n");
        ds_signals_set_hint("hint: revert by hand");
        raise(SIGINT);
        if (ds_signals_caught != 1 || strcmp(ds_signals_last_name(), "SIGINT"))
            _exit(10);
        raise(SIGTERM);
        if (ds_signals_caught != 2 || strcmp(ds_signals_last_name(), "SIGTERM"))
            _exit(11);
        if (write(STDERR_FILENO, "still running\n", 14) != 14)
            _exit(12);
        raise(SIGHUP);
        _exit(13); /* not reached */
    }
    close(p[1]);
    while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (gsize)n;
    close(p[0]);
    buf[got] = '\0';
    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, DS_SIGNALS_EXIT_STATUS);
    g_assert_cmpstr(buf, ==, "first\nstill running\nhint: revert by hand\n");

    /* restored: SIGHUP is ignored again as it was before the catch */
    {
        void (*old)(int) = signal(SIGHUP, SIG_IGN);

        ds_signals_catch(NULL);
        ds_signals_restore();
        g_assert_true(signal(SIGHUP, old) == SIG_IGN);
    }
}

/* An ed25519 host key blob as a server sends it, its 32 bytes all c. */
static GBytes *host_key(char c)
{
    GByteArray *b = g_byte_array_new();
    static const guint8 head[] = {0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd',
                                  '2', '5', '5', '1', '9', 0, 0, 0, 32};
    guint8 body[32];

    memset(body, c, sizeof body);
    g_byte_array_append(b, head, sizeof head);
    g_byte_array_append(b, body, sizeof body);
    return g_byte_array_free_to_bytes(b);
}

static int kh(const char *file, const char *host, int port, GBytes *key,
              const char *want_in_message)
{
    g_autoptr(GError) e = NULL;
    int rc = ds_known_hosts_check(file, host, port,
                                  g_bytes_get_data(key, NULL),
                                  g_bytes_get_size(key), &e);

    if (rc == 0)
        g_assert_no_error(e);
    else if (want_in_message && !strstr(e->message, want_in_message))
        g_error("'%s' not in '%s'", want_in_message, e->message);
    return rc;
}

/* The lookups of test_known_hosts, on the plain file and the hashed one
 * (patterns and negations are not hashed by ssh-keygen: they stay). */
static void known_hosts_cases(const char *f, GBytes *a, GBytes *b, GBytes *c)
{
    g_assert_cmpint(kh(f, "example.org", 22, a, NULL), ==, 0);
    g_assert_cmpint(kh(f, "192.0.2.1", 22, a, NULL), ==, 0);
    g_assert_cmpint(kh(f, "example.org", 22, b, "ssh host key for example.org does not match"), ==, DS_ECONFLICT);
    g_assert_cmpint(kh(f, "git.example.org", 2222, a, NULL), ==, 0);
    g_assert_cmpint(kh(f, "git.example.org", 22, a, "ssh host key for git.example.org is not in"), ==, DS_ENOTFOUND);
    g_assert_cmpint(kh(f, "example.org", 2222, a, "[example.org]:2222 is not in"), ==, DS_ENOTFOUND);
    g_assert_cmpint(kh(f, "web.lab.example.org", 22, b, NULL), ==, 0);
    g_assert_cmpint(kh(f, "bad.lab.example.org", 22, b, NULL), ==, DS_ENOTFOUND);
    g_assert_cmpint(kh(f, "web.lab.example.org", 22, c, "is revoked"), ==, DS_ECONFLICT);
    g_assert_cmpint(kh(f, "nowhere.example.net", 22, a, "is not in"), ==, DS_ENOTFOUND);
}

static void test_known_hosts(void)
{
    g_autofree char *dir = tmpdir_new();
    g_autofree char *f = g_build_filename(dir, "known_hosts", NULL);
    g_autofree char *missing = g_build_filename(dir, "none", NULL);
    g_autoptr(GBytes) a = host_key('A'), b = host_key('B'), c = host_key('C');
    g_autofree char *ba = g_base64_encode(g_bytes_get_data(a, NULL), g_bytes_get_size(a));
    g_autofree char *bb = g_base64_encode(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
    g_autofree char *bc = g_base64_encode(g_bytes_get_data(c, NULL), g_bytes_get_size(c));
    g_autofree char *plain = g_strdup_printf(
        "# a comment\n\n"
        "example.org,192.0.2.1 ssh-ed25519 %s one\n"
        "[git.example.org]:2222 ssh-ed25519 %s\n",
        ba, ba);
    /* ssh-keygen -H hashes no pattern and no marker line: they are added
     * after it has hashed the rest. */
    g_autofree char *rest = g_strdup_printf(
        "*.lab.example.org,!bad.lab.example.org ssh-ed25519 %s\n"
        "@cert-authority * ssh-ed25519 %s\n"
        "@revoked * ssh-ed25519 %s\n"
        "broken line\n",
        bb, bb, bc);
    g_autofree char *text = g_strconcat(plain, rest, NULL);
    const char *hash[] = {"ssh-keygen", "-q", "-H", "-f", f, NULL};
    int status = -1;

    g_assert_true(g_file_set_contents(f, text, -1, NULL));
    known_hosts_cases(f, a, b, c);
    g_assert_cmpint(kh(missing, "example.org", 22, a, "no known_hosts file"), ==, DS_ENOTFOUND);
    g_assert_true(g_file_set_contents(f, plain, -1, NULL));
    if (!g_spawn_sync(NULL, (char **)hash, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                          G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, &status, NULL) ||
        status != 0) {
        g_test_skip("ssh-keygen -H could not hash the file");
    } else {
        g_autofree char *hashed = NULL;
        g_autofree char *all = NULL;

        g_assert_true(g_file_get_contents(f, &hashed, NULL, NULL));
        g_assert_null(strstr(hashed, "example.org"));
        g_assert_nonnull(strstr(hashed, "|1|"));
        all = g_strconcat(hashed, rest, NULL);
        g_assert_true(g_file_set_contents(f, all, -1, NULL));
        known_hosts_cases(f, a, b, c);
    }
    rm_rf(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    git_libgit2_init();
    g_test_add_func("/util/file/write", test_file_write);
    g_test_add_func("/util/file/mkdir", test_file_mkdir);
    g_test_add_func("/util/file/write-fails", test_file_write_fails);
    g_test_add_func("/util/file/rename-fails", test_file_rename_fails);
    g_test_add_func("/util/file/no-replace", test_file_no_replace);
    g_test_add_func("/util/file/temp", test_file_temp);
    g_test_add_func("/util/lock/take", test_lock);
    g_test_add_func("/util/lock/other-process", test_lock_other_process);
    g_test_add_func("/util/lock/holder-forms", test_lock_holder_forms);
    g_test_add_func("/util/run-id", test_run_id);
    g_test_add_func("/util/known-hosts", test_known_hosts);
    g_test_add_func("/util/shell/round-trip", test_shell_round_trip);
    g_test_add_func("/util/shell/display", test_shell_display);
    g_test_add_func("/util/parallel/for", test_parallel_for);
    g_test_add_func("/util/parallel/bounds", test_parallel_bounds);
    g_test_add_func("/util/autoptr", test_autoptr);
    g_test_add_func("/util/signals", test_signals);
    return g_test_run();
}
