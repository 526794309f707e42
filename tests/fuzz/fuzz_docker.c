/* fuzz_docker.c - libFuzzer target for the docker-archive reader
 * (blobsrc_docker.c): the input is a `docker save` tar (plain or gzip),
 * written to a memfd and opened through /proc/self/fd; the default image is
 * then scanned from it (manifest.json, synthesised manifest, config, layers
 * streamed out of the archive). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_image_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[512], path[64];
    int fd = memfd_create("fuzz_docker", 0);
    if (fd < 0)
        return 0;
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            goto out;
        off += (size_t)w;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    rs_blobsrc *src = rs_blobsrc_docker_new(path, errstr, sizeof errstr);
    if (src) {
        rs_fuzz_scan_source(src);
        rs_blobsrc_destroy(src);
    }
out:
    close(fd);
    return 0;
}
