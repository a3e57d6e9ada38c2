/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/libvirt.c: libvirt connections shared per URI, domain look-up,
 * power state, and commands to the QEMU guest agent, with libvirt's
 * errors translated into driftsync's codes and messages. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "drivers/libvirt.h"
#include "manifests/util/autoptr.h"
#include "manifests/util/error.h"

#define DS_LAB_NAME_MAX 200
#define DS_LAB_AGENT_DEFAULT_MS (30 * 1000)
#define DS_LAB_POLL_MS 200

static int lab_ms_left(gint64 deadline);

struct ds_lab {
    char *uri;
    GMutex lock;        /* guards conn when it is reopened */
    virConnectPtr conn; /* the current connection */
    int refs;           /* guarded by lab_cache_lock */
};

/* The process-wide cache: URI -> ds_lab (weak; an entry leaves when its
 * last reference is dropped). */
static GMutex lab_cache_lock;
static GHashTable *lab_cache;
/* URI -> how many connections were opened to it (GUINT_TO_POINTER),
 * guarded by lab_cache_lock; entries stay for the process's life. */
static GHashTable *lab_opened;

/* One more connection to uri was opened. */
static void lab_count_open(const char *uri)
{
    gpointer n;

    g_mutex_lock(&lab_cache_lock);
    if (!lab_opened)
        lab_opened = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           NULL);
    n = g_hash_table_lookup(lab_opened, uri);
    g_hash_table_insert(lab_opened, g_strdup(uri),
                        GUINT_TO_POINTER(GPOINTER_TO_UINT(n) + 1));
    g_mutex_unlock(&lab_cache_lock);
}

guint ds_lab_opened(const char *uri)
{
    guint n = 0;

    if (!uri || !*uri)
        uri = DS_LAB_DEFAULT_URI;
    g_mutex_lock(&lab_cache_lock);
    if (lab_opened)
        n = GPOINTER_TO_UINT(g_hash_table_lookup(lab_opened, uri));
    g_mutex_unlock(&lab_cache_lock);
    return n;
}

static void lab_silent_error(void *payload, virErrorPtr error)
{
    (void)payload;
    (void)error; /* libvirt would print to stderr; we report through GError */
}

static gpointer lab_init_once(gpointer unused)
{
    (void)unused;
    virInitialize();
    virSetErrorFunc(NULL, lab_silent_error);
    return NULL;
}

static void lab_init(void)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, lab_init_once, NULL);
}

/* libvirt's last error message for this thread, or a fallback. */
static const char *lab_last_message(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

/* Domain names end up in libvirt calls and in messages: same rule as host
 * names, so a hostile string never reaches the daemon. */
static gboolean lab_name_is_safe(const char *name)
{
    size_t len;

    if (!name || !g_ascii_isalnum(name[0]))
        return FALSE;
    len = strlen(name);
    if (len > DS_LAB_NAME_MAX || strstr(name, ".."))
        return FALSE;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
            return FALSE;
    }
    return TRUE;
}

/* Quote a string that failed validation so a message stays one line. */
static char *lab_quote(const char *s)
{
    g_autofree char *esc = g_strescape(s ? s : "(null)", NULL);
    if (strlen(esc) > 80)
        return g_strdup_printf("%.77s...", esc);
    return g_steal_pointer(&esc);
}

/* Translate a failed virConnectOpen into a code and one clear message. */
static int lab_open_error(GError **err, const char *uri)
{
    virErrorPtr e = virGetLastError();
    int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
    int sys = e && e->code == VIR_ERR_SYSTEM_ERROR ? e->int1 : 0;
    /* one line: ssh's stderr comes with its \r\n */
    g_autofree char *msg = ds_error_text(lab_last_message(), -1);

    if (code == VIR_ERR_NO_CONNECT &&
        strstr(msg, "no connection driver available"))
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: no libvirt driver for this URI (%s)", uri,
                            msg);
    if (code == VIR_ERR_INVALID_ARG || code == VIR_ERR_NO_CONNECT ||
        code == VIR_ERR_CONFIG_UNSUPPORTED || code == VIR_ERR_XML_ERROR ||
        code == VIR_ERR_PARSE_FAILED || code == VIR_ERR_INTERNAL_ERROR)
        return ds_error_set(err, DS_EINVALID, "%s: bad libvirt URI (%s)",
                            uri, msg);
    /* A unix socket that is missing or has nobody behind it. */
    if (sys == ENOENT ||
        (sys == ECONNREFUSED && strstr(msg, "Failed to connect socket")))
        return ds_error_set(err, DS_EGENERIC,
                            "%s: the libvirt daemon is not running (%s)", uri,
                            msg);
    /* ssh's own words (it runs as a program): the daemon's host key, or
     * the user's key or password, refused. */
    if (strstr(msg, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
        /* ssh's banner of @s would fill the message */
        return ds_error_set(err, DS_EGENERIC,
                            "%s: the host key was not accepted (ssh: it is not the key known for this host; Host key verification failed)", uri);
    if (strstr(msg, "Host key verification failed"))
        return ds_error_set(err, DS_EGENERIC,
                            "%s: the host key was not accepted (%s)", uri,
                            msg);
    if (strstr(msg, "Permission denied (") || code == VIR_ERR_AUTH_FAILED ||
        code == VIR_ERR_AUTH_CANCELLED || code == VIR_ERR_AUTH_UNAVAILABLE)
        return ds_error_set(err, DS_EGENERIC,
                            "%s: authentication refused (%s)", uri, msg);
    /* ssh reports a refused port as its own message, not as errno. */
    if (sys == ECONNREFUSED || strstr(msg, "Connection refused") ||
        strstr(msg, "Permission denied") || sys == EACCES || sys == EPERM)
        return ds_error_set(err, DS_EGENERIC, "%s: connection refused (%s)",
                            uri, msg);
    return ds_error_set(err, DS_EGENERIC, "%s: cannot connect (%s)", uri,
                        msg);
}

int ds_lab_open(ds_lab **out, const char *uri, GError **err)
{
    ds_lab *lab;
    virConnectPtr conn;

    *out = NULL;
    lab_init();
    if (!uri || !*uri)
        uri = DS_LAB_DEFAULT_URI;
    for (const char *p = uri; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            g_autofree char *q = lab_quote(uri);
            return ds_error_set(err, DS_EINVALID,
                                "%s: bad libvirt URI (control character)", q);
        }
    }

    g_mutex_lock(&lab_cache_lock);
    if (!lab_cache)
        lab_cache = g_hash_table_new(g_str_hash, g_str_equal);
    lab = g_hash_table_lookup(lab_cache, uri);
    if (lab && virConnectIsAlive(ds_lab_conn(lab)) == 1) {
        lab->refs++;
        g_mutex_unlock(&lab_cache_lock);
        *out = lab;
        return 0;
    }
    if (lab) /* dead: forget it; its holders keep their reference */
        g_hash_table_remove(lab_cache, uri);
    g_mutex_unlock(&lab_cache_lock);

    conn = virConnectOpen(uri);
    if (!conn)
        return lab_open_error(err, uri);
    lab_count_open(uri);

    lab = g_new0(ds_lab, 1);
    lab->uri = g_strdup(uri);
    g_mutex_init(&lab->lock);
    lab->conn = conn;
    lab->refs = 1;
    g_mutex_lock(&lab_cache_lock);
    if (!g_hash_table_contains(lab_cache, lab->uri))
        g_hash_table_insert(lab_cache, lab->uri, lab);
    g_mutex_unlock(&lab_cache_lock);
    *out = lab;
    return 0;
}

void ds_lab_free(ds_lab *lab)
{
    if (!lab)
        return;
    g_mutex_lock(&lab_cache_lock);
    if (--lab->refs > 0) {
        g_mutex_unlock(&lab_cache_lock);
        return;
    }
    if (lab_cache && g_hash_table_lookup(lab_cache, lab->uri) == lab)
        g_hash_table_remove(lab_cache, lab->uri);
    g_mutex_unlock(&lab_cache_lock);
    virConnectClose(lab->conn);
    g_mutex_clear(&lab->lock);
    g_free(lab->uri);
    g_free(lab);
}

const char *ds_lab_uri(const ds_lab *lab)
{
    return lab->uri;
}

virConnectPtr ds_lab_conn(ds_lab *lab)
{
    virConnectPtr conn;

    g_mutex_lock(&lab->lock);
    conn = lab->conn;
    g_mutex_unlock(&lab->lock);
    return conn;
}

/* Open lab->uri again, waiting up to timeout_ms for a daemon that is
 * being restarted (its socket missing or refusing).  Called with
 * lab->lock held. */
static int lab_reopen(ds_lab *lab, int timeout_ms, GError **err)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_autoptr(GError) why = NULL;
    virConnectPtr conn;

    for (;;) {
        g_clear_error(&why);
        if ((conn = virConnectOpen(lab->uri))) {
            lab_count_open(lab->uri);
            break;
        }
        lab_open_error(&why, lab->uri);
        /* Only a daemon that is not (yet) back is worth waiting for. */
        if (!strstr(why->message, "daemon is not running") &&
            !strstr(why->message, "connection refused"))
            break;
        if (lab_ms_left(deadline) == 0)
            break;
        g_usleep(MIN(250, lab_ms_left(deadline)) * 1000);
    }
    if (!conn) {
        const char *cause = why->message;

        if (g_str_has_prefix(cause, lab->uri) &&
            g_str_has_prefix(cause + strlen(lab->uri), ": "))
            cause += strlen(lab->uri) + 2;
        return ds_error_set(err, DS_EINTERRUPTED,
                            "%s: lost the connection to libvirt and could not reopen it within %d s (%s)",
                            lab->uri, (timeout_ms + 999) / 1000, cause);
    }
    virConnectClose(lab->conn); /* domains still hold their own reference */
    lab->conn = conn;
    return 0;
}

int ds_lab_revive(ds_lab *lab, virDomainPtr *dom, int timeout_ms,
                  GError **err)
{
    unsigned char uuid[VIR_UUID_BUFLEN];
    unsigned long version;
    virConnectPtr conn;
    virDomainPtr nd;
    int rc = 0;

    g_mutex_lock(&lab->lock);
    /* A remote connection learns that its daemon went away only from
     * its next call: make one. */
    if (virConnectIsAlive(lab->conn) == 1 &&
        virConnectGetLibVersion(lab->conn, &version) < 0)
        virResetLastError();
    if (virConnectIsAlive(lab->conn) != 1)
        rc = lab_reopen(lab, timeout_ms, err);
    conn = lab->conn;
    virConnectRef(conn);
    g_mutex_unlock(&lab->lock);
    if (rc == 0 && dom && *dom && virDomainGetConnect(*dom) != conn) {
        const char *name = virDomainGetName(*dom);
        g_autofree char *n = g_strdup(name ? name : "?");

        if (virDomainGetUUID(*dom, uuid) < 0 ||
            !(nd = virDomainLookupByUUID(conn, uuid))) {
            rc = ds_error_set(err, DS_EINTERRUPTED,
                              "%s: %s: reconnected to libvirt, but the domain is not there: %s",
                              lab->uri, n, lab_last_message());
        } else {
            virDomainFree(*dom);
            *dom = nd;
        }
    }
    virConnectClose(conn);
    return rc;
}

int ds_lab_domain(virDomainPtr *out, ds_lab *lab, const char *name,
                  GError **err)
{
    virDomainPtr dom;
    virErrorPtr e;

    *out = NULL;
    if (!lab_name_is_safe(name)) {
        g_autofree char *q = lab_quote(name);
        return ds_error_set(err, DS_EINVALID,
                            "%s: refusing unsafe domain name \"%s\"",
                            lab->uri, q);
    }
    dom = virDomainLookupByName(ds_lab_conn(lab), name);
    if (!dom) {
        e = virGetLastError();
        if (e && e->code == VIR_ERR_NO_DOMAIN)
            return ds_error_set(err, DS_ENOTFOUND,
                                "%s: no domain named '%s'", lab->uri, name);
        return ds_error_set(err, DS_EGENERIC, "%s: looking up '%s': %s",
                            lab->uri, name, lab_last_message());
    }
    *out = dom;
    return 0;
}

/* The domain's name for messages.  Every libvirt call resets the thread's
 * last error, so callers take the error (lab_error_take) before this. */
static const char *lab_dom_name(virDomainPtr dom)
{
    const char *n = virDomainGetName(dom);
    return n ? n : "?";
}

typedef virError lab_error;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lab_error, virFreeError)

/* A copy of this thread's last libvirt error (never NULL). */
static lab_error *lab_error_take(void)
{
    lab_error *e = virSaveLastError();
    if (!e) {
        e = g_new0(lab_error, 1);
        e->code = VIR_ERR_INTERNAL_ERROR;
    }
    if (!e->message)
        e->message = g_strdup("unknown libvirt error");
    return e;
}

/* "URI: DOMAIN: WHAT: libvirt's message" for a failed domain call. */
static int lab_fail(GError **err, int code, ds_lab *lab, virDomainPtr dom,
                    const char *what)
{
    g_autoptr(lab_error) e = lab_error_take();
    return ds_error_set(err, code, "%s: %s: %s: %s", lab->uri,
                        lab_dom_name(dom), what, e->message);
}

static int lab_state(ds_lab *lab, virDomainPtr dom, int *state,
                     GError **err)
{
    int reason;

    if (virDomainGetState(dom, state, &reason, 0) < 0)
        return lab_fail(err, DS_EGENERIC, lab, dom, "reading state");
    return 0;
}

int ds_lab_start(ds_lab *lab, virDomainPtr dom, GError **err)
{
    int state, rc;

    if ((rc = lab_state(lab, dom, &state, err)) < 0)
        return rc;
    if (state == VIR_DOMAIN_PAUSED) {
        if (virDomainResume(dom) < 0)
            return lab_fail(err, DS_EGENERIC, lab, dom, "resuming");
        return 0;
    }
    if (state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_CRASHED &&
        state != VIR_DOMAIN_NOSTATE)
        return 0;
    if (virDomainCreate(dom) < 0)
        return lab_fail(err, DS_EGENERIC, lab, dom, "starting");
    return 0;
}

/* Translate a failed agent call (libvirt's error e).  `what` names the
 * command. */
static int lab_agent_error_of(GError **err, ds_lab *lab, virDomainPtr dom,
                              const char *what, const lab_error *e)
{
    int code = e->code;
    const char *msg = e->message;
    const char *name = lab_dom_name(dom);

    switch (code) {
    case VIR_ERR_NO_SUPPORT:
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: %s: this libvirt driver cannot talk to a guest agent (%s)", lab->uri, name, msg);
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
        return ds_error_set(err, DS_EUNSUPPORTED,
                            "%s: %s: no guest agent channel configured (%s)",
                            lab->uri, name, msg);
    case VIR_ERR_AGENT_UNRESPONSIVE:
    case VIR_ERR_AGENT_UNSYNCED:
    case VIR_ERR_OPERATION_TIMEOUT:
        return ds_error_set(err, DS_EINTERRUPTED,
                            "%s: %s: guest agent not answering %s (%s)",
                            lab->uri, name, what, msg);
    case VIR_ERR_OPERATION_INVALID:
        return ds_error_set(err, DS_ECONFLICT, "%s: %s: %s: %s", lab->uri,
                            name, what, msg);
    case VIR_ERR_NO_DOMAIN:
        return ds_error_set(err, DS_ENOTFOUND, "%s: %s: domain vanished (%s)",
                            lab->uri, name, msg);
    default:
        if ((e->domain == VIR_FROM_RPC || e->domain == VIR_FROM_REMOTE))
            return ds_error_set(err, DS_EINTERRUPTED,
                                "%s: %s: connection lost during %s (%s)",
                                lab->uri, name, what, msg);
        return ds_error_set(err, DS_EGENERIC, "%s: %s: %s failed: %s",
                            lab->uri, name, what, msg);
    }
}

/* The same with this thread's last libvirt error. */
static int lab_agent_error(GError **err, ds_lab *lab, virDomainPtr dom,
                           const char *what)
{
    g_autoptr(lab_error) e = lab_error_take();

    return lab_agent_error_of(err, lab, dom, what, e);
}

int ds_lab_agent_reply(json_t **out_return, const char *reply,
                       const char *uri, const char *domain, const char *what,
                       GError **err)
{
    json_t *doc, *ret;
    json_error_t jerr;

    *out_return = NULL;
    /* jansson's message quotes the reply: the guest's bytes */
    doc = json_loads(reply, 0, &jerr);
    if (!doc) {
        g_autofree char *why = ds_error_text(jerr.text, -1);
        return ds_error_set(err, DS_EGENERIC,
                            "%s: %s: unreadable reply to %s: %s", uri, domain,
                            what, why);
    }
    ret = json_object_get(doc, "return");
    if (!ret) {
        json_t *e = json_object_get(doc, "error");
        const char *desc = json_string_value(json_object_get(e, "desc"));
        g_autofree char *why = ds_error_text(desc, -1);

        ds_error_set(err, DS_EGENERIC, "%s: %s: %s failed: %s", uri, domain,
                     what, desc ? why : "reply has no \"return\"");
        json_decref(doc);
        return DS_EGENERIC;
    }
    *out_return = json_incref(ret);
    json_decref(doc);
    return 0;
}

/* Agent commands that only read: sent again after a reconnect even when
 * the first one may have reached the guest. */
static gboolean lab_agent_rereadable(const char *what)
{
    static const char *const cmds[] = {"guest-ping", "guest-sync",
                                       "guest-sync-delimited", "guest-info",
                                       "guest-exec-status", NULL};

    return g_str_has_prefix(what, "guest-get-") ||
           g_strv_contains(cmds, what);
}

/* After a failed call on dom (error e): was the connection lost?
 * *unsent: the request cannot have reached the daemon. */
static gboolean lab_conn_lost(virDomainPtr dom, const virError *e,
                              gboolean *unsent)
{
    const char *msg = e->message;

    *unsent = strstr(msg, "client socket is closed") ||
              strstr(msg, "Cannot write data");
    if (virConnectIsAlive(virDomainGetConnect(dom)) == 0)
        return TRUE;
    if (e->code != VIR_ERR_SYSTEM_ERROR && e->code != VIR_ERR_INTERNAL_ERROR)
        return FALSE;
    return *unsent || strstr(msg, "connection closed") ||
           strstr(msg, "End of file while reading") ||
           strstr(msg, "Connection reset");
}

/* A call on dom failed.  When its connection was lost and sending the
 * command again is safe, reopen the connection (waiting for a restarted
 * daemon until the deadline) and send it once more; while the restarted
 * daemon has not yet reconnected to the guest agent, keep trying. */
static int lab_agent_again(char **reply, ds_lab *lab, virDomainPtr dom,
                           const char *cmd, const char *what,
                           gint64 deadline, GError **err)
{
    g_autoptr(lab_error) e = lab_error_take();
    g_autoptr(GError) why = NULL;
    virDomainPtr again = dom;
    gboolean unsent;
    int rc = 0;

    if (!lab_conn_lost(dom, e, &unsent) ||
        (!unsent && !lab_agent_rereadable(what))) {
        return lab_agent_error_of(err, lab, dom, what, e);
    }
    virDomainRef(again);
    if (ds_lab_revive(lab, &again, MAX(lab_ms_left(deadline), 1000), &why) <
        0) {
        const char *tail = why->message;

        if (g_str_has_prefix(tail, lab->uri))
            tail += strlen(lab->uri) + 2;
        virDomainFree(again);
        return ds_error_set(err, DS_EINTERRUPTED,
                            "%s: %s: connection lost during %s (%s); %s",
                            lab->uri, lab_dom_name(dom), what, e->message,
                            tail);
    }
    for (;;) {
        virErrorPtr now;

        *reply = virDomainQemuAgentCommand(
            again, cmd, MAX((lab_ms_left(deadline) + 999) / 1000, 1), 0);
        if (*reply)
            break;
        now = virGetLastError();
        if (!now || now->code != VIR_ERR_AGENT_UNRESPONSIVE || !now->message ||
            !strstr(now->message, "not connected") ||
            lab_ms_left(deadline) <= DS_LAB_POLL_MS) {
            rc = lab_agent_error(err, lab, again, what);
            break;
        }
        g_usleep(DS_LAB_POLL_MS * 1000);
    }
    virDomainFree(again);
    return rc;
}

int ds_lab_agent(json_t **out_return, ds_lab *lab, virDomainPtr dom,
                 json_t *command, int timeout_ms, GError **err)
{
    g_autofree char *cmd = NULL;
    g_autofree char *reply = NULL; /* libvirt's, freed with free() == g_free */
    const char *what;
    gint64 deadline;
    int secs;

    *out_return = NULL;
    what = json_string_value(json_object_get(command, "execute"));
    if (!json_is_object(command) || !what)
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s: agent command without \"execute\"",
                            lab->uri, lab_dom_name(dom));
    cmd = json_dumps(command, JSON_COMPACT);
    if (!cmd)
        return ds_error_set(err, DS_EINVALID,
                            "%s: %s: cannot encode agent command %s",
                            lab->uri, lab_dom_name(dom), what);
    if (timeout_ms <= 0)
        timeout_ms = DS_LAB_AGENT_DEFAULT_MS;
    secs = (timeout_ms + 999) / 1000;

    deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    reply = virDomainQemuAgentCommand(dom, cmd, secs, 0);
    if (!reply) {
        int rc = lab_agent_again(&reply, lab, dom, cmd, what, deadline, err);

        if (rc < 0)
            return rc;
    }
    return ds_lab_agent_reply(out_return, reply, lab->uri, lab_dom_name(dom),
                              what, err);
}

static int lab_ms_left(gint64 deadline)
{
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    return left > 0 ? (int)left : 0;
}

int ds_lab_wait_agent(ds_lab *lab, virDomainPtr dom, int timeout_ms,
                      GError **err)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_autoptr(json_t) ping = json_pack("{s:s}", "execute", "guest-ping");
    g_autoptr(GError) last = NULL;

    for (;;) {
        g_autoptr(json_t) ret = NULL;
        int left = lab_ms_left(deadline);
        int rc;

        g_clear_error(&last);
        rc = ds_lab_agent(&ret, lab, dom, ping,
                          MIN(MAX(left, 1000), 2000), &last);
        if (rc == 0)
            return 0;
        /* Not configured or not possible: waiting will not help. */
        if (rc != DS_EINTERRUPTED) {
            g_propagate_error(err, g_steal_pointer(&last));
            return rc;
        }
        if (lab_ms_left(deadline) == 0)
            break;
        g_usleep(MIN(DS_LAB_POLL_MS, lab_ms_left(deadline)) * 1000);
    }
    return ds_error_set(err, DS_EINTERRUPTED,
                        "%s: %s: guest agent did not answer within %d ms (%s)", lab->uri, lab_dom_name(dom), timeout_ms,
                        last ? last->message : "no reply");
}

/* Read a small guest file (the boot id) through guest-file-*. */
static int lab_read_small(char **out, ds_lab *lab, virDomainPtr dom,
                          const char *path, int timeout_ms, GError **err)
{
    g_autoptr(json_t) open_cmd = NULL, read_cmd = NULL, close_cmd = NULL;
    g_autoptr(json_t) handle = NULL, data = NULL, closed = NULL;
    const char *b64;
    int rc;

    *out = NULL;
    open_cmd = json_pack("{s:s,s:{s:s,s:s}}", "execute", "guest-file-open",
                         "arguments", "path", path, "mode", "r");
    if ((rc = ds_lab_agent(&handle, lab, dom, open_cmd, timeout_ms, err)) < 0)
        return rc;
    read_cmd = json_pack("{s:s,s:{s:O,s:i}}", "execute", "guest-file-read",
                         "arguments", "handle", handle, "count", 4096);
    rc = ds_lab_agent(&data, lab, dom, read_cmd, timeout_ms, err);
    close_cmd = json_pack("{s:s,s:{s:O}}", "execute", "guest-file-close",
                          "arguments", "handle", handle);
    ds_lab_agent(&closed, lab, dom, close_cmd, timeout_ms, NULL);
    if (rc < 0)
        return rc;
    b64 = json_string_value(json_object_get(data, "buf-b64"));
    if (b64) {
        gsize len;
        g_autofree guchar *raw = g_base64_decode(b64, &len);
        *out = g_strstrip(g_strndup((const char *)raw, len));
    } else {
        *out = g_strdup("");
    }
    return 0;
}

#define DS_LAB_BOOT_ID "/proc/sys/kernel/random/boot_id"

/* guest-shutdown sends no reply: a guest that goes down at once closes
 * the agent's socket before libvirt sees the reset or shutdown event, and
 * libvirt reports that end of file as an error.  It is what we asked for;
 * the caller goes on to wait for the new boot or the power-off. */
static gboolean lab_agent_went_away(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message && strstr(e->message, "End of file");
}

int ds_lab_reboot(ds_lab *lab, virDomainPtr dom, int timeout_ms,
                  GError **err)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_autofree char *before = NULL;
    int rc;

    if ((rc = lab_read_small(&before, lab, dom, DS_LAB_BOOT_ID,
                             MAX(timeout_ms, 1000), err)) < 0)
        return ds_error_prefix(err, rc, "reboot: ");
    if (virDomainReboot(dom, VIR_DOMAIN_REBOOT_GUEST_AGENT) < 0 &&
        !lab_agent_went_away())
        return ds_error_prefix(err, lab_agent_error(err, lab, dom,
                                                    "guest-shutdown"),
                               "reboot: ");
    while (lab_ms_left(deadline) > 0) {
        g_autofree char *now = NULL;
        g_autoptr(GError) e = NULL;

        rc = ds_lab_wait_agent(lab, dom, MAX(lab_ms_left(deadline), 1), &e);
        if (rc == DS_EINTERRUPTED)
            break;
        if (rc < 0) {
            g_propagate_error(err, g_steal_pointer(&e));
            return ds_error_prefix(err, rc, "reboot: ");
        }
        if (lab_read_small(&now, lab, dom, DS_LAB_BOOT_ID, 2000, NULL) == 0 &&
            *now && g_strcmp0(now, before) != 0)
            return 0;
        g_usleep(MIN(DS_LAB_POLL_MS * 1000, lab_ms_left(deadline) * 1000));
    }
    return ds_error_set(err, DS_EINTERRUPTED,
                        "%s: %s: reboot: guest did not come back within %d ms", lab->uri, lab_dom_name(dom), timeout_ms);
}

int ds_lab_shutdown(ds_lab *lab, virDomainPtr dom, int timeout_ms,
                    GError **err)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int state, rc;

    if ((rc = lab_state(lab, dom, &state, err)) < 0)
        return rc;
    if (state == VIR_DOMAIN_SHUTOFF)
        return 0;
    if (virDomainShutdownFlags(dom, VIR_DOMAIN_SHUTDOWN_GUEST_AGENT) < 0 &&
        !lab_agent_went_away()) {
        virErrorPtr e = virGetLastError();
        /* No agent on this driver or domain: ask the way a power button
         * does instead. */
        if (!e || (e->code != VIR_ERR_NO_SUPPORT &&
                   e->code != VIR_ERR_ARGUMENT_UNSUPPORTED &&
                   e->code != VIR_ERR_INVALID_ARG))
            return ds_error_prefix(err, lab_agent_error(err, lab, dom,
                                                        "guest-shutdown"),
                                   "shutdown: ");
        if (virDomainShutdown(dom) < 0)
            return lab_fail(err, DS_EGENERIC, lab, dom, "shutdown");
    }
    for (;;) {
        if ((rc = lab_state(lab, dom, &state, err)) < 0)
            return rc;
        if (state == VIR_DOMAIN_SHUTOFF)
            return 0;
        if (lab_ms_left(deadline) == 0)
            break;
        g_usleep(MIN(DS_LAB_POLL_MS, lab_ms_left(deadline)) * 1000);
    }
    return ds_error_set(err, DS_EINTERRUPTED,
                        "%s: %s: still running %d ms after shutdown",
                        lab->uri, lab_dom_name(dom), timeout_ms);
}
