/* fuzz_config.c - libFuzzer target for rs_config_load: the tenants file.
 * config.c reads files only, so the input is written to a memfd and loaded
 * through /proc/self/fd. Secret files named by the input are read as the
 * real program would (bounded by config.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[512], path[64];
    rs_config *c = NULL;
    int fd = memfd_create("fuzz_config", 0);
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            goto out;
        off += (size_t)w;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (rs_config_load(path, &c, errstr, sizeof errstr) == 0)
        rs_config_free(c);
out:
    close(fd);
    return 0;
}
