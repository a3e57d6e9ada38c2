/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz-agent-reply.c: a guest agent's reply text as libvirt
 * hands it over (ds_lab_agent_reply), then its "return" read as a
 * guest-exec-status record of a wrapped command, of a helper, and as a
 * guest-file-read chunk (drivers/transport-agent-reply.c). */
#include <config.h>

#include "drivers/libvirt.h"
#include "drivers/transport-agent-reply.h"
#include "tests/fuzz/fuzz.h"

#define TOKEN "driftsync-00112233445566778899aabbccddeeff"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_autoptr(GError) err = NULL;
    g_autoptr(GByteArray) buf = g_byte_array_new();
    ds_agent_exec_reply r;
    json_t *ret = NULL;
    gboolean eof = FALSE;
    int rc;

    rc = ds_lab_agent_reply(&ret, text, "qemu:///system", "web01-lab",
                            "guest-exec-status", &err);
    ds_fuzz_check_verdict(rc, err);
    if (rc < 0)
        return 0;
    for (int wrapped = 0; wrapped < 2; wrapped++) {
        g_clear_error(&err);
        rc = ds_agent_parse_exec(&r, ret, wrapped ? TOKEN : NULL, 4096,
                                 "web01", "dpkg-query", &err);
        ds_fuzz_check_verdict(rc, err);
        if (rc == 0 && !r.spilled &&
            (!r.out || !r.err || g_bytes_get_size(r.out) > 4096 ||
             g_bytes_get_size(r.err) > 4096))
            abort();
        if (rc == 0 && r.spilled && (r.out_size > 4096 || r.err_size > 4096))
            abort();
        ds_agent_exec_reply_clear(&r);
    }
    g_clear_error(&err);
    rc = ds_agent_parse_read(buf, &eof, ret, 4096, "web01", "/etc/hosts",
                             &err);
    ds_fuzz_check_verdict(rc, err);
    if (buf->len > 4096)
        abort();
    json_decref(ret);
    return 0;
}
