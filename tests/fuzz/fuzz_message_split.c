/* fuzz_message_split.c - libFuzzer target for rs_message_split on a parsed
 * JSON document: the first input byte picks the part size (16 to 4096
 * bytes), the rest is the document. Every part must fit and be valid JSON
 * (anything else aborts). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *const keys[] = {"vulnerabilities", "secrets", "misconfigurations", "packages",
                                   NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    char **parts = NULL;
    size_t n = 0;
    if (size < 1)
        return 0;
    size_t max = 16 + (size_t)data[0] * 16;
    json_t *doc = json_loadb((const char *)data + 1, size - 1, 0, NULL);
    if (!doc)
        return 0;
    if (rs_message_split(doc, keys, max, &parts, &n, errstr, sizeof errstr) == 0) {
        if (n == 0)
            abort();
        for (size_t i = 0; i < n; i++) {
            if (strlen(parts[i]) > max)
                abort();
            json_t *p = json_loads(parts[i], 0, NULL);
            if (!json_is_object(p))
                abort();
            json_decref(p);
        }
    }
    rs_message_parts_free(parts, n);
    json_decref(doc);
    return 0;
}
