/* analyzers/elf.c - bounds-checked ELF headers, sections and segments over a
 * buffer (see elf.h). Field offsets are those of the System V ABI's
 * Elf32_/Elf64_ Ehdr, Phdr and Shdr. */
#include "analyzers/elf_int.h"
#include "base.h"

#include <string.h>

#define EI_CLASS 4
#define EI_DATA 5
#define PT_LOAD 1
#define PF_W 2
#define SHT_NOBITS 8
/* a section name is short; longer is not the one we look for */
#define ELF_NAME_MAX 64

int rs_elf_is_elf(const void *data, size_t len)
{
    return len >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0;
}

uint64_t rs_elf_uint(const rs_elf *e, const unsigned char *p, size_t width)
{
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++) {
        size_t k = e->big ? i : width - 1 - i;
        v = (v << 8) | p[k];
    }
    return v;
}

/* 1 when [off, off + n) lies inside the file. */
static int in_file(const rs_elf *e, uint64_t off, uint64_t n)
{
    return off <= e->len && n <= e->len - off;
}

/* A field of the file header: its 32-bit offset and width, or its 64-bit one. */
static uint64_t hdr(const rs_elf *e, size_t off32, size_t w32, size_t off64, size_t w64)
{
    return e->is64 ? rs_elf_uint(e, e->data + off64, w64) : rs_elf_uint(e, e->data + off32, w32);
}

int rs_elf_open(rs_elf *e, const void *data, size_t len)
{
    memset(e, 0, sizeof *e);
    e->data = data;
    e->len = len;
    if (!rs_elf_is_elf(data, len) || len < 52)
        return RS_ERR_INVALID;
    unsigned char cls = e->data[EI_CLASS], enc = e->data[EI_DATA];
    if ((cls != 1 && cls != 2) || (enc != 1 && enc != 2))
        return RS_ERR_INVALID;
    e->is64 = cls == 2;
    e->big = enc == 2;
    if (e->is64 && len < 64)
        return RS_ERR_INVALID;
    e->phoff = hdr(e, 28, 4, 32, 8);
    e->shoff = hdr(e, 32, 4, 40, 8);
    e->phentsize = (unsigned)hdr(e, 42, 2, 54, 2);
    e->phnum = (unsigned)hdr(e, 44, 2, 56, 2);
    e->shentsize = (unsigned)hdr(e, 46, 2, 58, 2);
    e->shnum = (unsigned)hdr(e, 48, 2, 60, 2);
    e->shstrndx = (unsigned)hdr(e, 50, 2, 62, 2);
    /* tables that do not fit are treated as absent by their readers */
    if (e->phnum && (e->phentsize < (e->is64 ? 56u : 32u) ||
                     !in_file(e, e->phoff, (uint64_t)e->phnum * e->phentsize)))
        e->phnum = 0;
    if (e->shnum && (e->shentsize < (e->is64 ? 64u : 40u) ||
                     !in_file(e, e->shoff, (uint64_t)e->shnum * e->shentsize)))
        e->shnum = 0;
    return 0;
}

typedef struct seg {
    uint64_t type, flags, offset, vaddr, filesz;
} seg;

static seg phdr(const rs_elf *e, unsigned i)
{
    const unsigned char *p = e->data + e->phoff + (uint64_t)i * e->phentsize;
    seg s;
    s.type = rs_elf_uint(e, p, 4);
    if (e->is64) {
        s.flags = rs_elf_uint(e, p + 4, 4);
        s.offset = rs_elf_uint(e, p + 8, 8);
        s.vaddr = rs_elf_uint(e, p + 16, 8);
        s.filesz = rs_elf_uint(e, p + 32, 8);
    } else {
        s.offset = rs_elf_uint(e, p + 4, 4);
        s.vaddr = rs_elf_uint(e, p + 8, 4);
        s.filesz = rs_elf_uint(e, p + 16, 4);
        s.flags = rs_elf_uint(e, p + 24, 4);
    }
    return s;
}

typedef struct sect {
    uint64_t name, type, offset, size;
} sect;

static sect shdr(const rs_elf *e, unsigned i)
{
    const unsigned char *p = e->data + e->shoff + (uint64_t)i * e->shentsize;
    sect s;
    s.name = rs_elf_uint(e, p, 4);
    s.type = rs_elf_uint(e, p + 4, 4);
    s.offset = e->is64 ? rs_elf_uint(e, p + 24, 8) : rs_elf_uint(e, p + 16, 4);
    s.size = e->is64 ? rs_elf_uint(e, p + 32, 8) : rs_elf_uint(e, p + 20, 4);
    return s;
}

int rs_elf_section(const rs_elf *e, const char *name, const unsigned char **p, size_t *n)
{
    if (!e->shnum)
        return 0;
    if (e->shstrndx >= e->shnum)
        return RS_ERR_INVALID;
    sect strtab = shdr(e, e->shstrndx);
    if (strtab.type == SHT_NOBITS || !in_file(e, strtab.offset, strtab.size))
        return RS_ERR_INVALID;
    size_t want = strlen(name) + 1;
    for (unsigned i = 0; i < e->shnum; i++) {
        sect s = shdr(e, i);
        if (s.name >= strtab.size || strtab.size - s.name < want || want > ELF_NAME_MAX)
            continue;
        if (memcmp(e->data + strtab.offset + s.name, name, want) != 0)
            continue;
        if (s.type == SHT_NOBITS || s.size == 0)
            return 0;
        if (!in_file(e, s.offset, s.size))
            return RS_ERR_INVALID;
        *p = e->data + s.offset;
        *n = (size_t)s.size;
        return 1;
    }
    return 0;
}

int rs_elf_data_segment(const rs_elf *e, const unsigned char **p, size_t *n)
{
    for (unsigned i = 0; i < e->phnum; i++) {
        seg s = phdr(e, i);
        if (s.type != PT_LOAD || !(s.flags & PF_W))
            continue;
        if (!in_file(e, s.offset, s.filesz))
            return RS_ERR_INVALID;
        *p = e->data + s.offset;
        *n = (size_t)s.filesz;
        return 1;
    }
    return 0;
}

int rs_elf_vaddr(const rs_elf *e, uint64_t addr, size_t n, const unsigned char **p)
{
    for (unsigned i = 0; i < e->phnum; i++) {
        seg s = phdr(e, i);
        if (s.type != PT_LOAD || addr < s.vaddr || addr - s.vaddr > s.filesz ||
            n > s.filesz - (addr - s.vaddr))
            continue;
        uint64_t off = s.offset + (addr - s.vaddr);
        if (off < s.offset || !in_file(e, off, n))
            return RS_ERR_INVALID;
        *p = e->data + off;
        return 0;
    }
    return RS_ERR_INVALID;
}
