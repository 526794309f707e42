/* analyzers/analyzer.h - the one interface every file analyzer implements.
 *
 * An analyzer says which paths it wants (absolute, normalised: "/etc/os-release")
 * and parses one file's bytes into packages and/or OS facts, either whole
 * (parse) or as a stream (begin/feed/end, for files too large to hold). Every
 * analyzer that wants a path sees it. Analyzers do no I/O: the layer walker
 * (layer.c) feeds them bytes it read from a tar entry.
 * Input is untrusted: a malformed record is skipped and counted, never fatal.
 * What they keep is valid UTF-8: bytes that are not become U+FFFD where they
 * are read (utf8.h), and the package or OS is flagged text_replaced. */
#ifndef RS_ANALYZER_H
#define RS_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "secret.h"

/* Facts an analyzer's `entry` callback draws from a tar entry's metadata,
 * which the checks of the merged image read (checks.h). */
#define RS_FACT_SETUID 1u          /* a regular file with mode 04000 */
#define RS_FACT_SETGID 2u          /* a regular file with mode 02000 */
#define RS_FACT_WORLD_WRITABLE 4u  /* o+w in a system path (a directory: and not sticky) */
#define RS_FACT_SSHD 8u            /* the OpenSSH server binary */
#define RS_FACT_PKG_CACHE 16u      /* a package manager's cache left behind */

/* A tar entry's metadata, for analyzers that look at entries, not bytes. */
typedef struct rs_entry_meta {
    unsigned mode; /* permission bits with setuid 04000, setgid 02000, sticky 01000 */
    int type;      /* RS_ENTRY_FILE, RS_ENTRY_DIR, RS_ENTRY_SYMLINK, RS_ENTRY_OTHER */
    long long uid, gid;
    uint64_t size;
    int hard_link; /* a hard link to an earlier entry */
} rs_entry_meta;

enum { RS_ENTRY_FILE, RS_ENTRY_DIR, RS_ENTRY_SYMLINK, RS_ENTRY_OTHER };

/* A part of a file an analyzer gave up on (rs_analysis.skips). */
typedef struct rs_analysis_skip {
    char *path; /* valid UTF-8 */
    int err;    /* a negative rs_err: RS_ERR_LIMIT_EXCEEDED, RS_ERR_INVALID */
} rs_analysis_skip;

/* What one file yielded. Packages carry type and path; layer stays NULL. */
typedef struct rs_analysis {
    rs_pkg *pkgs;
    size_t n_pkgs, cap_pkgs;
    rs_os os;           /* os.found set when the file described the OS */
    size_t n_malformed; /* records skipped because they were malformed */
    /* Paths (normalised, absolute) of the files an OS package owns, read
     * from the package database (dpkg info/NAME.list, apk R: lines, rpm file
     * lists): a language package read from an owned file is the
     * distribution's, reported once, as the OS package. */
    char **owned;
    size_t n_owned, cap_owned;
    /* Parts of the file the analyzer could not read while it read the rest
     * (a jar nested in a jar: "/app/a.jar!/lib/b.jar"): the layer walker
     * reports each as a per-file skip of this analyzer, beside the file's
     * result. */
    rs_analysis_skip *skips;
    size_t n_skips, cap_skips;
    rs_secrets secrets; /* secrets found in the file (path and layer NULL) */
    unsigned facts;     /* RS_FACT_* raised by the entry's metadata */
    unsigned mode;      /* with facts: the entry's permission bits */
} rs_analysis;

typedef struct rs_analyzer {
    const char *name; /* "dpkg", "apk", "os-release" */
    /* "<name>/<n>": n is bumped whenever what the analyzer finds in the same
     * bytes can change (claircore's VersionedScanner); part of
     * rs_analyzers_version(), so a bump rescans what was indexed before. */
    const char *version;
    /* Returns 1 when the analyzer wants the file at `path` (normalised). */
    int (*wants)(const char *path);
    /* Larger files are skipped (LIMIT_EXCEEDED). Whole-file analyzers must
     * set it (it bounds what is held in memory); 0 means no limit for a
     * streaming analyzer. */
    size_t max_file_size;
    /* 1 for analyzers that know their files by content, not by path (ELF
     * binaries): they are offered only regular files with an execute bit
     * (as Trivy does), and links at their paths are not recorded for them. */
    int executables_only;
    /* Whole-file mode: parses `data` (len bytes, untrusted, not
     * NUL-terminated) into out. Returns 0 or a negative rs_err
     * (RS_ERR_INVALID, RS_ERR_INTERNAL). NULL for a streaming analyzer. */
    int (*parse)(const char *path, const char *data, size_t len, rs_analysis *out, char *errstr,
                 size_t errstr_size);
    /* Streaming mode, for files too large to hold (set all three, or none;
     * when set, parse is not used). The layer walker calls begin once per
     * wanted file with its size from the tar header, then feed with its bytes
     * in order as they are inflated (holes of sparse files as zeros), then
     * end exactly once after a begin that returned 0. end frees the state;
     * `out` is NULL when the file was abandoned (feed failed, the layer
     * failed). Each returns 0 or a negative rs_err; RS_ERR_INTERNAL ends the
     * layer, any other error skips the file for this analyzer. */
    int (*begin)(const char *path, uint64_t size, void **state, char *errstr, size_t errstr_size);
    int (*feed)(void *state, const void *data, size_t len);
    int (*end)(void *state, rs_analysis *out, char *errstr, size_t errstr_size);
    /* Metadata mode (optional, alone or beside the others): called for every
     * entry of a wanted path (any type) with its tar header's metadata; what
     * it sets in `out` (facts, mode) is recorded when facts is non-zero.
     * Returns 0 or RS_ERR_INTERNAL. An analyzer with only `entry` reads no
     * bytes. */
    int (*entry)(const char *path, const rs_entry_meta *meta, rs_analysis *out);
    /* Set by analyzers that want (nearly) every file: a hard link does not
     * get a copy of their result for its target (the target's own path has
     * it), which keeps a layer of many hard links linear. */
    int skip_hard_links;
} rs_analyzer;

/* The NULL-terminated registry of every analyzer, in a fixed order. */
const rs_analyzer *const *rs_analyzers_all(void);
/* The version of the index stage as a whole, what `done`, `attempts:` and
 * `inv:` are keyed by: "regscan-index/3-" and the first 12 hex digits of the
 * sha256 of rs_analyzers_list(), so it changes when any analyzer's version
 * does and stays short enough for a key. Static storage; thread-safe. */
const char *rs_analyzers_version(void);
/* The list the version is derived from, every analyzer's version in registry
 * order: "dpkg/2,apk/2,os-release/2" (static storage; for logs and reports,
 * which say what changed). */
const char *rs_analyzers_list(void);
/* The analyzer called `name`, or NULL. */
const rs_analyzer *rs_analyzer_find(const char *name);

/* Normalises a tar path into out: leading "./" and "/" folded into one
 * leading "/", "//" and "/./" collapsed, trailing "/" removed. Returns 0, or
 * RS_ERR_INVALID for a ".." component, an empty path or one longer than out. */
int rs_analyzer_path_normalize(const char *in, char *out, size_t out_size);

/* Appends a copy of `p` (every string copied; a path that is not UTF-8 gets
 * U+FFFD and flags the copy). Returns 0 or RS_ERR_INTERNAL. */
int rs_analysis_add_pkg(rs_analysis *a, const rs_pkg *p);
/* Appends a copy of the owned path `path` (len bytes, not NUL-terminated).
 * Returns 0 or RS_ERR_INTERNAL. */
int rs_analysis_add_owned(rs_analysis *a, const char *path, size_t len);
/* Appends a skip of the part `path` (bytes, not necessarily UTF-8: U+FFFD
 * for what is not) with the error `err` (a negative rs_err). Returns 0 or
 * RS_ERR_INTERNAL. */
int rs_analysis_add_skip(rs_analysis *a, const char *path, int err);
/* The path of a package that was read from the file `from` moved to the file
 * `to` (a hard link, the merge's sanitised path): "to!/BOOT-INF/lib/x.jar"
 * for one read inside an archive at "from!/BOOT-INF/lib/x.jar", `to` for any
 * other. Malloc'd; NULL when out of memory. */
char *rs_analysis_pkg_path(const char *pkg_path, const char *from, const char *to);
/* Frees what the analysis holds and zeroes it. */
void rs_analysis_clear(rs_analysis *a);

#endif
