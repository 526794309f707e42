/* fuzz_version.c - libFuzzer target for every version scheme
 * (common/match/versions/): the first byte picks the scheme, the rest is two
 * versions split at the first NUL (as OSV ranges and package databases hand
 * them over). compare must be reflexive (a == a for any version the scheme
 * parses), antisymmetric (sign(a, b) == -sign(b, a)) and agree with valid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const rs_version_scheme *const *all = rs_version_schemes_all();
    size_t n = 0;
    while (all[n])
        n++;
    if (size < 1 || n == 0)
        return 0;
    const rs_version_scheme *s = all[data[0] % n];
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    buf[size] = '\0';
    const char *a = buf, *b = buf + strlen(buf) + (strlen(buf) < size - 1 ? 1 : 0);
    int ab = 0, ba = 0, aa = 0;
    int va = s->valid(a), vb = s->valid(b);
    int rab = s->compare(a, b, &ab), rba = s->compare(b, a, &ba);
    if ((rab == 0) != (va && vb) || (rba == 0) != (va && vb))
        abort(); /* compare fails exactly when one side is not a version */
    if (rab == 0 && sign(ab) != -sign(ba))
        abort();
    if (va && (s->compare(a, a, &aa) != 0 || aa != 0))
        abort();
    free(buf);
    return 0;
}
