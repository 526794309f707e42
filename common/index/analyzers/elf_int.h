/* analyzers/elf.h - a bounds-checked reader of ELF files held in memory, for
 * the analyzers of binaries (gobinary.c, rustaudit.c).
 *
 * Reads the file header, the program headers (to turn a virtual address
 * into file bytes) and the section headers (to find a section by name), for
 * 32- and 64-bit files of either byte order. Every offset, size and count
 * comes from the file and is checked against its length before use; it
 * never allocates. It does not relocate, follow dynamic tables or read
 * symbols. */
#ifndef RS_ELF_H
#define RS_ELF_H

#include <stddef.h>
#include <stdint.h>

/* What every analyzer of ELF binaries shares in its rs_analyzer: it sees
 * only regular files with an execute bit, each held whole up to 256 MiB. */
#define RS_ELF_ANALYZER_POLICY .executables_only = 1, .max_file_size = 256u * 1024 * 1024

typedef struct rs_elf {
    const unsigned char *data;
    size_t len;
    int is64, big;
    uint64_t phoff, shoff;
    unsigned phnum, shnum, phentsize, shentsize, shstrndx;
} rs_elf;

/* 1 when `data` (len bytes) starts with the ELF magic "\x7fELF". */
int rs_elf_is_elf(const void *data, size_t len);
/* Reads the file header of `data` into e (which keeps pointing at data).
 * Returns 0, or RS_ERR_INVALID for what is not a well-formed ELF header. */
int rs_elf_open(rs_elf *e, const void *data, size_t len);
/* The file bytes of the section called `name` (*p, *n). Returns 1 when found,
 * 0 when the file has no such section (or it has no bytes in the file),
 * RS_ERR_INVALID when the section table is malformed. */
int rs_elf_section(const rs_elf *e, const char *name, const unsigned char **p, size_t *n);
/* The file bytes of the first writable PT_LOAD segment, where a stripped Go
 * binary keeps its build information. Returns 1, 0 (none) or RS_ERR_INVALID. */
int rs_elf_data_segment(const rs_elf *e, const unsigned char **p, size_t *n);
/* Points *p at the n file bytes at virtual address `addr`, when one PT_LOAD
 * segment holds all of them in the file. Returns 0 or RS_ERR_INVALID. */
int rs_elf_vaddr(const rs_elf *e, uint64_t addr, size_t n, const unsigned char **p);
/* An unsigned integer of `width` bytes (1, 2, 4 or 8) at p, in the file's byte
 * order. */
uint64_t rs_elf_uint(const rs_elf *e, const unsigned char *p, size_t width);

#endif
