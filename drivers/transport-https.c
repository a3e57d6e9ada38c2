/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-https.c: the read-only "https://" source (and
 * "http://" only when allowed): libcurl fetches the manifest document the
 * URI names, TLS verified, bounded in time and size, credentials read from
 * a file and never written into a message. */
#include <config.h>

#include <curl/curl.h>
#include <string.h>

#include "drivers/transport-private.h"
#include "manifests/util/error.h"

#define HTTPS_DEFAULT_CONNECT_TIMEOUT_MS (10 * 1000)
#define HTTPS_MAX_REDIRECTS 3L

typedef struct https_state {
    char *host;  /* for messages */
    char *url;   /* what is fetched */
    char *shown; /* the URL in messages: no query, no fragment */
    char *ca_file;
    char *auth_header; /* secret: "Authorization: Bearer ..." */
    char *userpwd;     /* secret: "user:password" */
    gboolean allow_http;
    long connect_ms, timeout_ms;
    gsize max;
} https_state;

typedef struct body {
    GByteArray *buf;
    gsize max;
    gboolean over;
} body;

static void wipe_free(char *secret)
{
    if (secret) {
        memset(secret, 0, strlen(secret));
        g_free(secret);
    }
}

static void https_close(void *state)
{
    https_state *s = state;

    if (!s)
        return;
    wipe_free(s->auth_header);
    wipe_free(s->userpwd);
    g_free(s->host);
    g_free(s->url);
    g_free(s->shown);
    g_free(s->ca_file);
    g_free(s);
}

/* "Bearer TOKEN" becomes an Authorization header, "user:password" basic
 * authentication; the content never reaches a message. */
static int load_auth(https_state *s, const char *path, GError **err)
{
    g_autoptr(GError) e = NULL;
    char *raw = NULL;
    gsize len = 0;
    char *text;
    int rc = 0;

    if (!g_file_get_contents(path, &raw, &len, &e))
        return ds_error_set(
            err, DS_EGENERIC, "%s: auth file %s: %s", s->host, path,
            e->code == G_FILE_ERROR_NOENT ? "No such file or directory"
                                          : "cannot be read");
    text = g_strstrip(raw);
    if (!*text || strpbrk(text, "\r\n"))
        rc = -1;
    else if (g_str_has_prefix(text, "Bearer ") && text[7] &&
             !strchr(text + 7, ' '))
        s->auth_header = g_strconcat("Authorization: ", text, NULL);
    else if (strchr(text, ':') && text[0] != ':' && !strchr(text, ' '))
        s->userpwd = g_strdup(text);
    else
        rc = -1;
    memset(raw, 0, len);
    g_free(raw);
    if (rc < 0)
        return ds_error_set(err, DS_EINVALID,
                            "%s: auth file %s must hold one line, 'Bearer TOKEN' or 'user:password'",
                            s->host, path);
    return 0;
}

/* The URI's form: a URL with a host, no credentials in it, plain http
 * only when allowed, credentials only over https.  Messages name the URL
 * without its query (never the credentials), no host prefix. */
static int https_check(const char *uri, const ds_transport_options *opts,
                       GError **err)
{
    g_autofree char *shown = g_strndup(uri, strcspn(uri, "?#"));
    g_autofree char *scheme = g_ascii_strdown(uri, strcspn(uri, ":"));
    CURLU *u = curl_url();
    char *user = NULL, *password = NULL, *hostpart = NULL;
    int rc = 0;

    if (!u || curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &hostpart, 0) != CURLUE_OK)
        rc =
            ds_error_set(err, DS_EINVALID, "'%s' is not a valid URL",
                         strchr(shown, '@') ? "(URL with credentials)" : shown);
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
        rc = ds_error_set(
            err, DS_EINVALID,
            "credentials in a source URL are refused; put them in an auth file");
    else if (strcmp(scheme, "http") == 0 && !opts->allow_http)
        rc = ds_error_set(err, DS_EINVALID,
                          "%s: plain http is refused (allow it explicitly)",
                          shown);
    else if (opts->auth_file && strcmp(scheme, "https") != 0)
        rc = ds_error_set(err, DS_EINVALID,
                          "%s: credentials are only sent over https", shown);
    curl_free(user);
    curl_free(password);
    curl_free(hostpart);
    curl_url_cleanup(u);
    return rc;
}

static int https_open(void **state, const char *uri,
                      const ds_transport_options *opts, GError **err)
{
    https_state *s = g_new0(https_state, 1);
    int rc;

    s->host = g_strdup(opts->host ? opts->host : "https");
    if ((rc = https_check(uri, opts, err)) < 0) {
        ds_error_prefix(err, rc, "%s: ", s->host);
        https_close(s);
        return rc;
    }
    s->shown = g_strndup(uri, strcspn(uri, "?#"));
    s->url = g_strdup(uri);
    s->allow_http = opts->allow_http;
    s->ca_file = g_strdup(opts->ca_file);
    s->connect_ms = opts->connect_timeout_ms > 0
                        ? opts->connect_timeout_ms
                        : HTTPS_DEFAULT_CONNECT_TIMEOUT_MS;
    s->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms
                                         : DS_TRANSPORT_DEFAULT_TIMEOUT_MS;
    s->max =
        opts->max_output ? opts->max_output : DS_TRANSPORT_DEFAULT_MAX_OUTPUT;
    if (opts->auth_file && (rc = load_auth(s, opts->auth_file, err)) < 0) {
        https_close(s);
        return rc;
    }
    *state = s;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
    body *b = payload;

    if (b->buf->len + size * n > b->max) {
        b->over = TRUE;
        return 0; /* abort the transfer */
    }
    g_byte_array_append(b->buf, (const guint8 *)data, (guint)(size * n));
    return size * n;
}

static int https_fetch(void *state, GBytes **out, GError **err)
{
    static gsize curl_ready;
    https_state *s = state;
    const char *protocols = s->allow_http ? "http,https" : "https";
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    body b = {.buf = g_byte_array_new(), .max = s->max};
    long status = 0;
    CURLcode cc;
    CURL *c;
    int rc = 0;

    if (g_once_init_enter(&curl_ready))
        g_once_init_leave(&curl_ready,
                          curl_global_init(CURL_GLOBAL_DEFAULT) == 0 ? 1 : 2);
    c = curl_ready == 1 ? curl_easy_init() : NULL;
    if (!c) {
        g_byte_array_unref(b.buf);
        return ds_error_set(err, DS_EGENERIC,
                            "%s: %s: libcurl could not start",
                            s->host, s->shown);
    }
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, HTTPS_MAX_REDIRECTS);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (s->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    if (s->auth_header) {
        headers = curl_slist_append(NULL, s->auth_header);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    }
    if (s->userpwd) {
        curl_easy_setopt(c, CURLOPT_USERPWD, s->userpwd);
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }

    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (b.over || cc == CURLE_FILESIZE_EXCEEDED)
        rc = ds_error_set(err, DS_EINVALID,
                          "%s: %s: body over %" G_GSIZE_FORMAT " bytes",
                          s->host, s->shown, s->max);
    else if (cc != CURLE_OK)
        rc = ds_error_set(
            err, cc == CURLE_OPERATION_TIMEDOUT ? DS_EINTERRUPTED : DS_EGENERIC,
            "%s: %s: %s", s->host, s->shown,
            errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else if (status >= 400)
        rc = ds_error_set(
            err, status == 404 || status == 410 ? DS_ENOTFOUND : DS_EGENERIC,
            "%s: %s: HTTP status %ld", s->host, s->shown, status);
    else if (status < 200 || status >= 300)
        rc =
            ds_error_set(err, DS_EGENERIC, "%s: %s: unexpected HTTP status %ld",
                         s->host, s->shown, status);

    if (headers) {
        /* The slist holds a copy of the secret header: wipe it. */
        memset(headers->data, 0, strlen(headers->data));
        curl_slist_free_all(headers);
    }
    curl_easy_cleanup(c);
    if (rc < 0) {
        g_byte_array_unref(b.buf);
        return rc;
    }
    *out = g_byte_array_free_to_bytes(b.buf);
    return 0;
}

const ds_transport_ops ds_transport_https_ops = {
    .scheme = "https",
    .open = https_open,
    .check = https_check,
    .run = NULL,
    .read_file = NULL,
    .write_file = NULL,
    .fetch = https_fetch,
    .close = https_close,
};
