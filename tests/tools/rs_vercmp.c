/* rs-vercmp - batch comparator for differential tests of the version schemes.
 *
 * usage: rs-vercmp SCHEME < pairs
 * Reads lines "A<TAB>B" and prints, per line, "-1", "0", "1" or "invalid". */
#include "match.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: rs-vercmp SCHEME < pairs\n");
        return 2;
    }
    const rs_version_scheme *s = rs_version_scheme_find(argv[1]);
    if (!s) {
        fprintf(stderr, "rs-vercmp: unknown scheme '%s'\n", argv[1]);
        return 2;
    }
    static char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab) {
            puts("invalid");
            continue;
        }
        *tab = '\0';
        int cmp = 0;
        if (s->compare(line, tab + 1, &cmp) != 0)
            puts("invalid");
        else
            puts(cmp < 0 ? "-1" : cmp > 0 ? "1" : "0");
    }
    return 0;
}
