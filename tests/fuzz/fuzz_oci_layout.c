/* fuzz_oci_layout.c - libFuzzer target for the OCI layout reader
 * (blobsrc_oci.c) and the scan over it. The input is sections separated by
 * "\n--\n": section 0 is index.json, the others blobs (stored under
 * blobs/sha256/ by their sha256). So that the fuzzer can name blobs, "$N"
 * (N a digit) in a section that starts with '{' becomes section N's digest
 * and "%N" its size, for sections after it (they are resolved last first).
 * The layout is written to a directory made once; the default image is then
 * resolved and scanned. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "fuzz_image_util.h"

#define MAX_SECTIONS 10

static char dir[64];

struct section {
    char *data;
    size_t len;
    char digest[RS_DIGEST_SIZE];
};

/* Section i with $N / %N of later sections resolved (malloc'd into s->data). */
static int resolve(struct section *sec, size_t i, size_t n, const uint8_t *raw, size_t len)
{
    rs_buf b = RS_BUF_INIT;
    int json = len && raw[0] == '{';
    for (size_t k = 0; k < len; k++) {
        size_t ref = k + 1 < len ? (size_t)(raw[k + 1] - '0') : 0;
        if (json && (raw[k] == '$' || raw[k] == '%') && k + 1 < len && raw[k + 1] >= '0' &&
            raw[k + 1] <= '9' && ref > i && ref < n) {
            char num[32];
            const char *put = sec[ref].digest;
            if (raw[k] == '%') {
                snprintf(num, sizeof num, "%zu", sec[ref].len);
                put = num;
            }
            if (rs_buf_append(&b, put, strlen(put)))
                goto fail;
            k++;
        } else if (rs_buf_append(&b, &raw[k], 1)) {
            goto fail;
        }
    }
    sec[i].len = b.len;
    sec[i].data = rs_buf_steal(&b);
    if (!sec[i].data && !(sec[i].data = calloc(1, 1)))
        return -1;
    rs_sha256_digest(sec[i].data, sec[i].len, sec[i].digest);
    return 0;
fail:
    rs_buf_free(&b);
    return -1;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Empties blobs/sha256 of what the previous input wrote. */
static void clear_blobs(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/blobs/sha256", dir);
    DIR *d = opendir(p);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char f[512];
        if (e->d_name[0] == '.')
            continue;
        snprintf(f, sizeof f, "%s/%s", p, e->d_name);
        unlink(f);
    }
    if (d)
        closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char p[128];
    snprintf(dir, sizeof dir, "/tmp/fuzz_oci_XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(p, sizeof p, "%s/blobs", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/blobs/sha256", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/oci-layout", dir);
    static const char layout[] = "{\"imageLayoutVersion\": \"1.0.0\"}";
    if (write_file(p, layout, sizeof layout - 1))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *start[MAX_SECTIONS];
    size_t len[MAX_SECTIONS], n = 0;
    struct section sec[MAX_SECTIONS];
    memset(sec, 0, sizeof sec);
    for (size_t off = 0; n < MAX_SECTIONS;) {
        const uint8_t *sep = memmem(data + off, size - off, "\n--\n", 4);
        start[n] = data + off;
        len[n++] = sep ? (size_t)(sep - (data + off)) : size - off;
        if (!sep)
            break;
        off = (size_t)(sep - data) + 4;
    }
    char errstr[512], p[256];
    clear_blobs();
    for (size_t i = n; i-- > 0;)
        if (resolve(sec, i, n, start[i], len[i]))
            goto out;
    snprintf(p, sizeof p, "%s/index.json", dir);
    if (write_file(p, sec[0].data, sec[0].len))
        goto out;
    for (size_t i = 1; i < n; i++) {
        snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, sec[i].digest + 7);
        if (write_file(p, sec[i].data, sec[i].len))
            goto out;
    }
    rs_blobsrc *src = rs_blobsrc_oci_new(dir, errstr, sizeof errstr);
    if (src) {
        rs_fuzz_scan_source(src);
        rs_blobsrc_destroy(src);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(sec[i].data);
    return 0;
}
