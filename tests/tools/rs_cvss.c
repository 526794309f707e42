/* rs-cvss - batch scorer for the differential test of common/match/cvss.c.
 *
 * usage: rs-cvss < vectors
 * Reads one vector a line and prints, per line, "score<TAB>severity" (score
 * with one decimal, severity lowercase), "unscored" for a valid v4 vector, or
 * "invalid". With -v, the error message of an invalid vector goes to stderr. */
#include "match.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int verbose = argc == 2 && strcmp(argv[1], "-v") == 0;
    if (argc > 2 || (argc == 2 && !verbose)) {
        fprintf(stderr, "usage: rs-cvss [-v] < vectors\n");
        return 2;
    }
    static char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        size_t len = strlen(line);
        int whole = len > 0 && line[len - 1] == '\n';
        if (whole) {
            line[len - 1] = '\0';
        } else if (!feof(stdin)) {
            /* longer than the buffer: skip the rest, it cannot be valid */
            int c;
            while ((c = getchar()) != EOF && c != '\n')
                ;
            puts("invalid");
            continue;
        }
        rs_cvss cv;
        char err[256];
        if (rs_cvss_parse(line, &cv, err, sizeof err) != 0) {
            if (verbose)
                fprintf(stderr, "%s\n", err);
            puts("invalid");
        } else if (!cv.has_score) {
            puts("unscored");
        } else {
            printf("%.1f\t%s\n", cv.base_score, cv.severity);
        }
    }
    return 0;
}
