/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manifests/manifest-json.c: the strict JSON reader under the manifest
 * parser: a syntax check with bounded nesting, then cheap primitives that
 * walk the checked bytes in place (skip a value, decode a string, step
 * through an object's members) without building a tree. */
#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "manifests/util/error.h"
#include "manifests/manifest-private.h"

/* ---- positions and errors ------------------------------------------------ */

static void line_col(const ds_json_reader *r, const char *at, gsize *line,
                     gsize *col)
{
    const char *nl = r->start;

    *line = 1;
    for (const char *p = r->start; p < at; p++) {
        if (*p == '\n') {
            (*line)++;
            nl = p + 1;
        }
    }
    *col = 1;
    for (const char *p = nl; p < at; p++) /* characters, not bytes */
        if (((unsigned char)*p & 0xc0) != 0x80)
            (*col)++;
}

/* "ORIGIN: line L, column C: what" */
int ds_json_error_at(ds_json_reader *r, const char *at, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    gsize line, col;
    va_list ap;

    line_col(r, at, &line, &col);
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return ds_error_set(r->err, DS_EINVALID,
                        "%s: line %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT
                        ": %s",
                        r->origin, line, col, msg);
}

/* ---- pass 1: strict JSON syntax ------------------------------------------ */

/* Recursion is bounded: a container deeper than DS_MANIFEST_MAX_DEPTH is
 * refused before anything inside it is read. */

const char *ds_json_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int hex4(const char *p, const char *end)
{
    int v = 0;

    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Bytes of a string that need a look: the quote, the backslash, control
 * characters (NUL among them) and bytes of UTF-8 sequences.  Any other
 * byte stands for itself. */
enum { STR_PLAIN, STR_SPECIAL, STR_HIGH };
static const unsigned char string_class[256] = {
    [0x00 ... 0x1f] = STR_SPECIAL,
    ['"'] = STR_SPECIAL,
    ['\\'] = STR_SPECIAL,
    [0x80 ... 0xff] = STR_HIGH,
};

/* A string's bytes with some of 0x80..0xff: the first invalid UTF-8 in
 * the document is kept, to be reported once the syntax is known good (as
 * a check of the whole document would find it: outside strings, a
 * checked document has only ASCII). */
static void note_utf8(ds_json_reader *r, const char *s, const char *e)
{
    const char *bad;

    if (!r->bad_utf8 && !g_utf8_validate_len(s, (gsize)(e - s), &bad))
        r->bad_utf8 = bad;
}

static int check_string(ds_json_reader *r, const char **pp)
{
    const char *p = *pp + 1;
    bool high = false;

    for (;;) {
        unsigned char c, k;
        while (p < r->end &&
               (k = string_class[(unsigned char)*p]) != STR_SPECIAL) {
            high |= k == STR_HIGH;
            p++;
        }
        if (p >= r->end)
            return SYNTAX(r, *pp, "unterminated string");
        c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c == 0)
            return ds_json_error_at(r, p, "NUL byte in the document");
        if (c < 0x20)
            return SYNTAX(r, p,
                          "control character 0x%02x in a string "
                          "(write it as an escape)",
                          c);
        if (p + 1 >= r->end)
            return SYNTAX(r, *pp, "unterminated string");
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p += 2;
            break;
        case 'u': {
            int u = hex4(p + 2, r->end);
            if (u < 0)
                return SYNTAX(r, p, "invalid \\u escape");
            if (u >= 0xdc00 && u <= 0xdfff)
                return SYNTAX(r, p, "\\u escape of a lone low surrogate");
            p += 6;
            if (u >= 0xd800 && u <= 0xdbff) {
                int lo = (r->end - p >= 6 && p[0] == '\\' && p[1] == 'u')
                             ? hex4(p + 2, r->end)
                             : -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return SYNTAX(r, p - 6,
                                  "\\u escape of a lone high "
                                  "surrogate");
                p += 6;
            }
            break;
        }
        default:
            if ((unsigned char)p[1] < 0x80 && g_ascii_isgraph(p[1]))
                return SYNTAX(r, p, "invalid escape '\\%c'", p[1]);
            return SYNTAX(r, p, "invalid escape (byte 0x%02x after '\\')",
                          (unsigned char)p[1]);
        }
    }
    if (high)
        note_utf8(r, *pp + 1, p);
    *pp = p + 1;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int check_number(ds_json_reader *r, const char **pp)
{
    const char *p = *pp, *e = r->end;

    if (p < e && *p == '-')
        p++;
    if (p < e && *p == '0')
        p++;
    else if (p < e && is_digit(*p))
        while (p < e && is_digit(*p))
            p++;
    else
        return SYNTAX(r, *pp, "invalid number");
    if (p < e && *p == '.') {
        if (++p >= e || !is_digit(*p))
            return SYNTAX(r, *pp, "invalid number");
        while (p < e && is_digit(*p))
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || !is_digit(*p))
            return SYNTAX(r, *pp, "invalid number");
        while (p < e && is_digit(*p))
            p++;
    }
    *pp = p;
    return 0;
}

static int check_value(ds_json_reader *r, const char **pp, int depth);

static int check_container(ds_json_reader *r, const char **pp, int depth)
{
    bool object = **pp == '{';
    char close = object ? '}' : ']';
    const char *p = ds_json_ws(*pp + 1, r->end);
    int rc;

    if (depth >= DS_MANIFEST_MAX_DEPTH)
        return ds_json_error_at(r, *pp, "nested deeper than %d levels",
                                DS_MANIFEST_MAX_DEPTH);
    if (depth == 0 && object) {
        r->root_object = *pp;
        r->nroot_ends = 0;
    }
    if (p < r->end && *p == close) {
        *pp = p + 1;
        return 0;
    }
    for (;;) {
        if (object) {
            if (p >= r->end)
                return SYNTAX(r, p, "unexpected end of document");
            if (*p == '\0')
                return ds_json_error_at(r, p, "NUL byte in the document");
            if (*p != '"')
                return SYNTAX(r, p, "expected a string key");
            if ((rc = check_string(r, &p)) < 0)
                return rc;
            p = ds_json_ws(p, r->end);
            if (p < r->end && *p == '\0')
                return ds_json_error_at(r, p, "NUL byte in the document");
            if (p >= r->end || *p != ':')
                return SYNTAX(r, p, "expected ':'");
            p = ds_json_ws(p + 1, r->end);
        }
        if ((rc = check_value(r, &p, depth + 1)) < 0)
            return rc;
        if (depth == 0 && object) {
            if (r->nroot_ends < DS_JSON_ROOT_ENDS)
                r->root_ends[r->nroot_ends++] = p;
            else
                r->root_object = NULL; /* too many: skipped again */
        }
        p = ds_json_ws(p, r->end);
        if (p < r->end && *p == ',') {
            p = ds_json_ws(p + 1, r->end);
            continue;
        }
        if (p < r->end && *p == close)
            break;
        if (p >= r->end)
            return SYNTAX(r, p, "unexpected end of document");
        if (*p == '\0')
            return ds_json_error_at(r, p, "NUL byte in the document");
        return SYNTAX(r, p, "expected ',' or '%c'", close);
    }
    *pp = p + 1;
    return 0;
}

static int check_literal(ds_json_reader *r, const char **pp, const char *word)
{
    gsize n = strlen(word);

    if ((gsize)(r->end - *pp) < n || memcmp(*pp, word, n) != 0)
        return SYNTAX(r, *pp, "unexpected character '%c'", **pp);
    *pp += n;
    return 0;
}

static int check_value(ds_json_reader *r, const char **pp, int depth)
{
    if (*pp >= r->end)
        return SYNTAX(r, *pp, "unexpected end of document");
    switch (**pp) {
    case '{':
    case '[':
        return check_container(r, pp, depth);
    case '"':
        return check_string(r, pp);
    case 't':
        return check_literal(r, pp, "true");
    case 'f':
        return check_literal(r, pp, "false");
    case 'n':
        return check_literal(r, pp, "null");
    default:
        if (**pp == '-' || is_digit(**pp))
            return check_number(r, pp);
        if (**pp == '\0')
            return ds_json_error_at(r, *pp, "NUL byte in the document");
        if ((unsigned char)**pp < 0x80 && g_ascii_isprint(**pp))
            return SYNTAX(r, *pp, "unexpected character '%c'", **pp);
        return SYNTAX(r, *pp, "unexpected character");
    }
}

/* ---- pass 2: the schema walk, on checked JSON -----------------------------
 */

/* Bytes that matter when skipping a container: quotes and brackets. */
static const bool structural[256] = {
    ['"'] = true, ['{'] = true, ['}'] = true, ['['] = true, [']'] = true,
};

/* A checked string ends at the first quote not escaped; an escape is a
 * backslash and the byte after it, whatever follows.  (A NUL cannot occur
 * in checked input; stopping there keeps this in bounds regardless.) */
static const char *skip_string(const char *p)
{
    for (p++; *p != '"' && *p; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p ? p + 1 : p;
}

const char *ds_json_skip(const char *p)
{
    int depth = 0;

    switch (*p) {
    case '"':
        return skip_string(p);
    case '{':
    case '[':
        break;
    default: /* number or literal */
        while (*p == '-' || *p == '+' || *p == '.' || g_ascii_isalnum(*p))
            p++;
        return p;
    }
    for (;;) {
        while (!structural[(unsigned char)*p])
            p++;
        if (*p == '"') {
            p = skip_string(p);
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if (--depth == 0)
            return p + 1;
        p++;
    }
}

const char *ds_json_kind(const char *p, const char *end)
{
    switch (*p) {
    case '{':
        return "an object";
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    }
    for (; p < end && (*p == '-' || *p == '+' || g_ascii_isalnum(*p) ||
                       *p == '.');
         p++)
        if (*p == '.' || *p == 'e' || *p == 'E')
            return "a number";
    return "an integer";
}

static void put_utf8(GString *g, gunichar u)
{
    char buf[6];
    g_string_append_len(g, buf, g_unichar_to_utf8(u, buf));
}

const char *ds_json_string(const char *p, ds_json_str *out)
{
    const char *q = p + 1;
    GString *g;

    while (*q != '"' && *q != '\\')
        q++;
    out->owned = NULL;
    if (*q == '"') {
        out->s = p + 1;
        out->len = (gsize)(q - p - 1);
        return q + 1;
    }
    g = g_string_new_len(p + 1, q - p - 1);
    while (*q != '"') {
        if (*q != '\\') {
            g_string_append_c(g, *q++);
            continue;
        }
        switch (q[1]) {
        case 'b':
            g_string_append_c(g, '\b');
            break;
        case 'f':
            g_string_append_c(g, '\f');
            break;
        case 'n':
            g_string_append_c(g, '\n');
            break;
        case 'r':
            g_string_append_c(g, '\r');
            break;
        case 't':
            g_string_append_c(g, '\t');
            break;
        case 'u': {
            gunichar u = (gunichar)hex4(q + 2, q + 6);
            if (u >= 0xd800 && u <= 0xdbff) {
                gunichar lo = (gunichar)hex4(q + 8, q + 12);
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                q += 6;
            }
            put_utf8(g, u);
            q += 6;
            continue;
        }
        default:
            g_string_append_c(g, q[1]);
            break; /* " \ / */
        }
        q += 2;
    }
    out->len = g->len;
    out->owned = g_string_free(g, FALSE);
    out->s = out->owned;
    return q + 1;
}

bool ds_json_member_key(const char **pp, ds_json_str *key,
                        const char **value)
{
    const char *p = *pp;

    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',')
        p++;
    if (*p == '}') {
        *pp = p;
        return false;
    }
    g_free(key->owned);
    p = ds_json_string(p, key);
    while (*p != ':')
        p++;
    p++;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    *value = p;
    *pp = p;
    return true;
}

/* Object members one by one: *pp after '{' or after the last value. */
bool ds_json_member(const char **pp, ds_json_str *key, const char **value)
{
    if (!ds_json_member_key(pp, key, value))
        return false;
    *pp = ds_json_skip(*value);
    return true;
}

int ds_json_check(ds_json_reader *r, const char *value)
{
    const char *q = value, *bad;
    int rc;

    if ((rc = check_value(r, &q, 0)) < 0)
        return rc;
    q = ds_json_ws(q, r->end);
    if (q < r->end && *q == '\0')
        return ds_json_error_at(r, q, "NUL byte in the document");
    if (q != r->end)
        return SYNTAX(r, q, "data after the end of the document");
    /* Only strings may hold bytes outside ASCII, and each was validated
     * as it was checked: the first invalid one is the document's. */
    if ((bad = r->bad_utf8))
        return ds_json_error_at(r, bad, "not valid UTF-8 (byte 0x%02x)",
                                (unsigned char)*bad);
    return 0;
}
