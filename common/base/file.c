/* Reading small files named by the configuration (secrets, certificates,
 * properties) whole, with a bound, and zeroed when they are refused; opening
 * a file of a local image source only when it is a regular file. */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rs_file_read_bounded(const char *path, size_t max, char **out, size_t *len, char *why,
                         size_t whysz)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rs_errf(why, whysz, RS_ERR_CONFIG, "cannot open: %s", strerror(errno));
    char *b = malloc(max + 1);
    size_t n = b ? fread(b, 1, max + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (!b)
        return rs_errf(why, whysz, RS_ERR_INTERNAL, "out of memory");
    if (err || n > max) {
        memset(b, 0, n);
        free(b);
        return rs_errf(why, whysz, RS_ERR_CONFIG, err ? "cannot read" : "larger than %zu bytes",
                       max);
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}

/* What a file type is called in an error. */
static const char *file_kind(mode_t m)
{
    return S_ISFIFO(m)   ? "a FIFO"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
           : S_ISDIR(m)  ? "a directory"
           : S_ISLNK(m)  ? "a symlink"
                         : "a special file";
}

int rs_file_open_regular(const char *path, int nofollow, char *errstr, size_t errsz)
{
    /* non-blocking: opening a FIFO for reading would wait for a writer */
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0);
    int fd = open(path, flags);
    struct stat st;
    if (fd < 0) {
        int e = errno;
        struct stat lst;
        if (e == ELOOP && nofollow && lstat(path, &lst) == 0)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "refusing '%s': %s, not a regular file",
                           path, file_kind(lst.st_mode));
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot open '%s': %s", path, strerror(e));
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot stat '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "refusing '%s': %s, not a regular file",
                       path, file_kind(st.st_mode));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot read '%s': %s", path, strerror(e));
    }
    return fd;
}
