/* rs_elfbuild.h - tiny ELF files for the tests of the binary analyzers: a
 * header, one read-write PT_LOAD segment mapping the whole file at
 * RS_ELFB_VADDR, the caller's bytes at RS_ELFB_DATA and, when asked, a
 * section table naming them (plus .shstrtab). 32/64-bit, either byte order. */
#ifndef RS_ELFBUILD_H
#define RS_ELFBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RS_ELFB_VADDR 0x10000u
#define RS_ELFB_DATA 0x200u
#define RS_ELFB_MAX 16384u

typedef struct rs_elfb {
    unsigned char b[RS_ELFB_MAX];
    size_t len;
    int is64, big;
} rs_elfb;

static inline void rs_elfb_put(rs_elfb *e, size_t off, uint64_t v, int w)
{
    for (int i = 0; i < w; i++)
        e->b[off + (size_t)(e->big ? w - 1 - i : i)] = (unsigned char)(v >> (8 * i));
}

/* One section header at `at`. */
static inline void rs_elfb_shdr(rs_elfb *e, size_t at, uint32_t name, uint32_t type, uint64_t off,
                                uint64_t size)
{
    rs_elfb_put(e, at, name, 4);
    rs_elfb_put(e, at + 4, type, 4);
    rs_elfb_put(e, at + (e->is64 ? 24 : 16), off, e->is64 ? 8 : 4);
    rs_elfb_put(e, at + (e->is64 ? 32 : 20), size, e->is64 ? 8 : 4);
}

/* Builds the file; `section` NULL: no section table (a stripped binary).
 * Returns the file's length (0 when data does not fit). */
static inline size_t rs_elfb_build(rs_elfb *e, int is64, int big, const char *section,
                                   const void *data, size_t n)
{
    memset(e, 0, sizeof *e);
    e->is64 = is64;
    e->big = big;
    size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32, sh = is64 ? 64 : 40;
    size_t str = RS_ELFB_DATA + n, strn = 1 + 10 + (section ? strlen(section) + 1 : 0);
    size_t shoff = (str + strn + 7) & ~(size_t)7, total = section ? shoff + 3 * sh : str;
    if (total > RS_ELFB_MAX)
        return 0;
    memcpy(e->b, "\x7f" "ELF", 4);
    e->b[4] = is64 ? 2 : 1;
    e->b[5] = big ? 2 : 1;
    e->b[6] = 1;
    rs_elfb_put(e, 16, 2, 2);                                /* ET_EXEC */
    rs_elfb_put(e, is64 ? 32 : 28, eh, is64 ? 8 : 4);       /* phoff */
    rs_elfb_put(e, is64 ? 40 : 32, section ? shoff : 0, is64 ? 8 : 4);
    rs_elfb_put(e, is64 ? 54 : 42, ph, 2);
    rs_elfb_put(e, is64 ? 56 : 44, 1, 2);
    rs_elfb_put(e, is64 ? 58 : 46, sh, 2);
    rs_elfb_put(e, is64 ? 60 : 48, section ? 3 : 0, 2);
    rs_elfb_put(e, is64 ? 62 : 50, section ? 1 : 0, 2);
    /* PT_LOAD, RW, the whole file */
    rs_elfb_put(e, eh, 1, 4);
    if (is64) {
        rs_elfb_put(e, eh + 4, 6, 4);
        rs_elfb_put(e, eh + 16, RS_ELFB_VADDR, 8);
        rs_elfb_put(e, eh + 32, total, 8);
        rs_elfb_put(e, eh + 40, total, 8);
    } else {
        rs_elfb_put(e, eh + 8, RS_ELFB_VADDR, 4);
        rs_elfb_put(e, eh + 16, total, 4);
        rs_elfb_put(e, eh + 20, total, 4);
        rs_elfb_put(e, eh + 24, 6, 4);
    }
    memcpy(e->b + RS_ELFB_DATA, data, n);
    if (section) {
        memcpy(e->b + str + 1, ".shstrtab", 10);
        memcpy(e->b + str + 11, section, strlen(section) + 1);
        rs_elfb_shdr(e, shoff + sh, 1, 3, str, strn);
        rs_elfb_shdr(e, shoff + 2 * sh, 11, 1, RS_ELFB_DATA, n);
    }
    e->len = total;
    return total;
}

#endif
