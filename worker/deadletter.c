/* deadletter.c - requests that cannot be worked on go to the dead-letter
 * topic with the reason and their original bytes (cut to fit, and said so). */
#include "base.h"
#include "worker_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `s` with every byte that is not printable ASCII replaced by '?', into out:
 * reasons quote request fields, and a dead letter must always be valid JSON. */
static void ascii_safe(const char *s, char *out, size_t out_size)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < out_size; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (out_size)
        out[i] = '\0';
}

/* The dead-letter document of job j: the original bytes in base64, cut to
 * what fits under the producer's limit (and then said so). */
static char *dead_letter_doc(struct worker *w, const job_t *j, const char *reason)
{
    const rd_kafka_message_t *m = job_msg(j);
    size_t n = m->len, mmb = (size_t)w->max_message_bytes;
    size_t room = mmb > 16384 ? mmb - 8192 : mmb / 2; /* the fields besides the bytes */
    size_t keep = n > room / 4 * 3 ? room / 4 * 3 : n;
    char *b64 = malloc(4 * ((keep + 2) / 3) + 1), why[1100], when[32];
    if (!b64)
        return NULL;
    EVP_EncodeBlock((unsigned char *)b64, m->payload ? m->payload : (const void *)"", (int)keep);
    ascii_safe(reason, why, sizeof why);
    rs_iso_now(when, sizeof when);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:i, s:I, s:s, s:I, s:b, s:s, s:s}", "schema",
                            "regscan.dead-letter/v1", "reason", why, "topic", j->topic, "partition",
                            (int)j->partition, "offset", (json_int_t)j->offset, "original_base64",
                            b64, "original_size", (json_int_t)n, "original_truncated", keep < n,
                            "worker", w->worker_id, "at", when);
    free(b64);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

/* Sends job j to the dead-letter topic. Returns 0, or the producer's status
 * when even that failed (Kafka down past the budget, the topic gone). */
int worker_dead_letter(struct worker *w, job_t *j, const char *reason, char *errstr, size_t errsz)
{
    const rd_kafka_message_t *m = job_msg(j);
    char *s = dead_letter_doc(w, j, reason);
    if (!s)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    char key[512] = "";
    if (m->key && m->key_len < sizeof key)
        ascii_safe((const char *)m->key, key, m->key_len + 1);
    int rc =
        RETRY(j, rs_producer_send_sync(w->producer, w->cfg->settings.topic_dead_letter,
                                       key[0] ? key : NULL, s, strlen(s), 30000, errstr, errsz));
    free(s);
    char why[600];
    ascii_safe(reason, why, sizeof why);
    if (rc == 0)
        rs_log(RS_LOG_WARN, "request at '%s' [%d] offset %lld sent to the dead-letter topic: %s",
               j->topic, j->partition, (long long)j->offset, why);
    return rc;
}
