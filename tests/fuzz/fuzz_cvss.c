/* fuzz_cvss.c - libFuzzer target for rs_cvss_parse: CVSS vectors come from OSV
 * records (severity[].score). An accepted vector must fit the output, have a
 * version the parser knows and, with a score, a score in [0, 10] whose
 * severity is named; parsing the vector it kept gives the same answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    char *s = rs_fuzz_cstr(data, size);
    if (!s)
        return 0;
    rs_cvss c, again;
    if (rs_cvss_parse(s, &c, errstr, sizeof errstr) == 0) {
        if (strlen(c.vector) > RS_CVSS_VECTOR_MAX || strcmp(c.vector, s) != 0)
            abort();
        if (!(c.major == 2 || c.major == 3 || c.major == 4))
            abort();
        if (c.has_score && (c.base_score < 0.0 || c.base_score > 10.0 || !c.severity[0]))
            abort();
        if (rs_cvss_parse(c.vector, &again, errstr, sizeof errstr) != 0 ||
            again.base_score != c.base_score || strcmp(again.severity, c.severity) != 0)
            abort();
    }
    free(s);
    return 0;
}
