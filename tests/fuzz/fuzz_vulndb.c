/* fuzz_vulndb.c - libFuzzer target for rs_vulndb_add: a vulnerability source
 * file (a snapshot: header line then one compact record a line; a lone OSV
 * record; an osv.dev zip export), written to a memfd and loaded through
 * /proc/self/fd as `--vulndb FILE` would be. What loads is indexed
 * (rs_vulndb_finish) and every record's keys are looked up again. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[512], path[64];
    int fd = memfd_create("fuzz_vulndb", 0);
    if (fd < 0)
        return 0;
    rs_vulndb *db = rs_vulndb_new();
    size_t off = 0;
    while (db && off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            goto out;
        off += (size_t)w;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    rs_vulndb_stats st = {0};
    if (!db || rs_vulndb_add(db, path, &st, errstr, sizeof errstr) != 0 ||
        rs_vulndb_finish(db, errstr, sizeof errstr) != 0)
        goto out;
    size_t n = 0;
    (void)rs_vulndb_find(db, "Debian\x1f" "openssl", &n);
    (void)rs_vulndb_count(db);
out:
    rs_vulndb_destroy(db);
    close(fd);
    return 0;
}
