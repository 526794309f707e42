/* fuzz_eol.c - libFuzzer target for rs_eol_lookup: the end-of-support
 * tables are built in, but the os they are looked up for comes from the
 * image's os-release (ID, VERSION_ID, VERSION_CODENAME): the input is those
 * three fields, NUL-separated, and a "today". A date handed out is
 * "YYYY-MM-DD". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "model.h"

/* The next NUL-terminated field of the input into out (cut to fit). */
static void field(const uint8_t **p, const uint8_t *end, char *out, size_t size)
{
    size_t n = 0;
    while (*p < end && **p) {
        if (n + 1 < size)
            out[n++] = (char)**p;
        (*p)++;
    }
    if (*p < end)
        (*p)++;
    out[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_os os;
    memset(&os, 0, sizeof os);
    const uint8_t *p = data, *end = data + size;
    char today[16];
    field(&p, end, os.id, sizeof os.id);
    field(&p, end, os.version_id, sizeof os.version_id);
    field(&p, end, os.version_codename, sizeof os.version_codename);
    field(&p, end, today, sizeof today);
    os.found = 1;
    char date[11];
    int eol = 0;
    if (rs_eol_lookup(&os, today[0] ? today : "2025-01-01", date, &eol) == 1 &&
        (strlen(date) != 10 || date[4] != '-' || date[7] != '-'))
        abort();
    return 0;
}
