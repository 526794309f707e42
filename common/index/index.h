/* index.h - the index stage: one layer stream in, one result out (the layer
 * walker and its limits), the merge of a whole image's layers into an
 * inventory, the analyzers' interface and registry, and the checks of the
 * image config. It links neither libcurl, librdkafka nor hiredis.
 *
 * The one public header of common/index. */
#ifndef RS_INDEX_H
#define RS_INDEX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "model.h"

/* ---- analyzers/analyzer: the one interface every file analyzer implements.
 *
 * An analyzer says which paths it wants (absolute, normalised: "/etc/os-release")
 * and parses one file's bytes into packages and/or OS facts, either whole
 * (parse) or as a stream (begin/feed/end, for files too large to hold). Every
 * analyzer that wants a path sees it. Analyzers do no I/O: the layer walker
 * (layer.c) feeds them bytes it read from a tar entry.
 * Input is untrusted: a malformed record is skipped and counted, never fatal.
 * What they keep is valid UTF-8: bytes that are not become U+FFFD where they
 * are read (utf8.h), and the package or OS is flagged text_replaced. */

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
    /* Set by the layer walker before an analyzer runs (0: no limit): what
     * rs_analysis_add_pkg / _add_owned keep at most. Past them nothing more
     * is kept and over_limit is set, so one file cannot outgrow its layer's
     * budget before the walker sees it (index limits, docs/reliability.md). */
    size_t max_pkgs, max_owned;
    int over_limit; /* 1: packages dropped, 2: owned paths dropped */
} rs_analysis;

/* An analyzer's name and its version "<name>/<n>", for its table:
 * `RS_ANALYZER_ID("dpkg", 2),` */
#define RS_ANALYZER_ID(id, n) .name = id, .version = id "/" #n

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

/* ---- layer: one layer blob in, one analysis out.
 *
 * rs_layer_analyze pulls the blob's bytes from a reader, inflates them
 * (gzip, zstd or none, detected from the bytes), walks the tar entries in
 * memory and hands the files an analyzer wants to it. It records what the
 * merge needs (whiteouts, opaque directories, links to wanted paths) and
 * never writes layer content to disk. It sees only the reader: no
 * credentials, no network (it later runs in a sandboxed child process, whose
 * answer travels back as the JSON form below). */

/* What the layers of one image hold together for the merge, shared by the
 * threads that walk them (rs_layer_limits.image). Zero-initialise, then set
 * the maxima (0: no limit). */
typedef struct rs_index_budget {
    uint64_t max_bytes;    /* "max_image_bytes": bytes held by all layer results */
    uint64_t max_packages; /* "max_image_packages" */
    _Atomic uint64_t bytes, packages; /* used so far */
} rs_index_budget;

/* DESIGN.md §6 limits for one layer. 0 means "no limit" for each field.
 * The first five end the layer with an error (a bomb); the result limits
 * (max_packages ...) end the walk of the layer with a LIMIT_EXCEEDED skip
 * that names the limit, keep what was recorded before it, and return 0. */
typedef struct rs_layer_limits {
    size_t max_entries;              /* tar entries */
    uint64_t max_uncompressed_bytes; /* bytes of tar stream after inflating */
    double max_ratio;                /* uncompressed / compressed bytes */
    uint64_t ratio_min_bytes;        /* the ratio is checked past this many uncompressed bytes */
    size_t max_path_len;             /* bytes of one entry's path */
    /* The analyzers to run, NULL-terminated (not a limit, but the walk's
     * one other option); NULL: rs_analyzers_all(). Tests pass their own. */
    const struct rs_analyzer *const *analyzers;
    size_t max_packages;       /* packages in the layer's result */
    size_t max_whiteouts;      /* whiteouts and opaque directories */
    size_t max_skipped;        /* skipped entries (the limit's own entry is one more) */
    size_t max_paths;          /* recorded files, links and owned paths */
    size_t max_link_fanout;    /* hard links to one file */
    uint64_t max_result_bytes; /* bytes the result holds for the merge (estimated) */
    rs_index_budget *image;    /* the image's budget; NULL: none */
} rs_layer_limits;

/* The defaults of the result limits (docs/reliability.md, "Limits"). */
#define RS_LIMIT_PACKAGES 40000
#define RS_LIMIT_WHITEOUTS 100000
#define RS_LIMIT_SKIPPED 10000
#define RS_LIMIT_PATHS 200000
#define RS_LIMIT_LINK_FANOUT 16
#define RS_LIMIT_RESULT_BYTES ((uint64_t)64 << 20)
#define RS_LIMIT_IMAGE_BYTES ((uint64_t)128 << 20)
#define RS_LIMIT_IMAGE_PACKAGES 50000

/* Damaged tar header blocks (ARCHIVE_RETRY) one layer may step over, each
 * a block skipped while libarchive looks for the next valid header. */
#define RS_LAYER_MAX_DAMAGED_HEADERS 1024

#define RS_LAYER_LIMITS_DEFAULT                                                                  \
    {.max_entries = 1000000, .max_uncompressed_bytes = (uint64_t)32 << 30, .max_ratio = 1000.0,  \
     .ratio_min_bytes = (uint64_t)16 << 20, .max_path_len = 4096, .analyzers = NULL,             \
     .max_packages = RS_LIMIT_PACKAGES, .max_whiteouts = RS_LIMIT_WHITEOUTS,                     \
     .max_skipped = RS_LIMIT_SKIPPED, .max_paths = RS_LIMIT_PATHS,                               \
     .max_link_fanout = RS_LIMIT_LINK_FANOUT, .max_result_bytes = RS_LIMIT_RESULT_BYTES,         \
     .image = NULL}

/* One limit a setting can change: its name ("max_packages"), the env
 * variable ("REGSCAN_LIMIT_MAX_PACKAGES") and flag ("--limit-max-packages")
 * derive from it. */
typedef struct rs_limit_def {
    const char *name;
    size_t offset;  /* into rs_layer_limits, or into rs_index_budget when image */
    int is_u64;     /* a uint64_t field, else size_t */
    int image;      /* a field of rs_index_budget */
} rs_limit_def;

/* The NULL-terminated table of the settable limits. */
const rs_limit_def *rs_limits_all(void);
/* Sets limit `name` (as in the table; "max-packages" is accepted too) to
 * `value` (a decimal count, 0 = no limit) in lim or in image (may be NULL
 * when no image limit is set). Returns 0 or RS_ERR_CONFIG naming the bad
 * name or value. */
int rs_limits_set(rs_layer_limits *lim, rs_index_budget *image, const char *name,
                  const char *value, char *errstr, size_t errstr_size);
/* Applies every REGSCAN_LIMIT_<NAME> of the environment (NAME upper case:
 * REGSCAN_LIMIT_MAX_PACKAGES). Returns 0 or RS_ERR_CONFIG naming the bad one. */
int rs_limits_from_env(rs_layer_limits *lim, rs_index_budget *image, char *errstr,
                       size_t errstr_size);

/* A file an analyzer parsed; packages carry type and path, no layer. A file
 * several analyzers want has one of these per analyzer, one after another. */
typedef struct rs_layer_file {
    char *path;     /* normalised: "/var/lib/dpkg/status" */
    char *analyzer; /* rs_analyzer name */
    rs_pkg *pkgs;
    size_t n_pkgs;
    rs_os os; /* os.found when the file described the OS */
    size_t n_malformed;
    char **owned; /* paths an OS package owns, as the file lists them (rs_analysis.owned) */
    size_t n_owned;
    rs_secrets secrets; /* found in the file; path and layer NULL */
    unsigned facts;     /* RS_FACT_* of the entry */
    unsigned mode;      /* with facts: its permission bits */
} rs_layer_file;

/* A symlink or hard link whose own path an analyzer wants. */
typedef struct rs_layer_link {
    char *path;   /* normalised */
    char *target; /* as written in the tar (symlinks may be relative) */
    int hard;
} rs_layer_link;

typedef struct rs_layer_skipped {
    char *path;
    char *reason;   /* "LIMIT_EXCEEDED", "INVALID" */
    char *analyzer; /* the analyzer that skipped the file; NULL: the entry as a whole */
    char *limit;    /* the limit that was exceeded ("max_file_size"); NULL: none */
    char *detail;   /* what happened, one line (valid UTF-8); NULL: nothing to add */
} rs_layer_skipped;

typedef struct rs_layer_result {
    rs_layer_file *files;
    size_t n_files, cap_files;
    rs_layer_link *links;
    size_t n_links, cap_links;
    char **whiteouts; /* paths the layer deletes ("/etc/foo" for "/etc/.wh.foo") */
    size_t n_whiteouts, cap_whiteouts;
    char **opaque_dirs; /* directories whose lower content the layer hides */
    size_t n_opaque_dirs, cap_opaque_dirs;
    rs_layer_skipped *skipped;
    size_t n_skipped, cap_skipped;
    uint64_t n_entries;
    uint64_t uncompressed_bytes;
    uint64_t compressed_bytes;
    /* "sha256:<hex>" of the whole inflated stream, what the image config's
     * rootfs.diff_ids must name; "" when not computed (a result built by hand) */
    char diff_id[RS_DIGEST_SIZE];
} rs_layer_result;

/* Adds what result r holds (packages, estimated bytes) to budget b: for a
 * result made elsewhere (the sandboxed child), which counted against a copy. */
void rs_index_budget_charge(rs_index_budget *b, const rs_layer_result *r);

/* Analyses the layer read from `in` (not destroyed; always read to its end,
 * so a verifying reader's digest error becomes this function's result).
 * media_type is a hint only (may be NULL); limits may be NULL (defaults).
 * Returns 0 with *out set (free with rs_layer_result_free), or
 * RS_ERR_LIMIT_EXCEEDED, RS_ERR_INVALID, RS_ERR_DIGEST_MISMATCH, ... */
int rs_layer_analyze(rs_reader *in, const char *media_type, const rs_layer_limits *limits,
                     rs_layer_result **out, char *errstr, size_t errstr_size);

void rs_layer_result_free(rs_layer_result *r);

struct archive;
struct archive_entry;
/* The next entry of an archive read by libarchive: 1 with *e set, 0 at its
 * end, -1 when it is broken (archive_error_string says why). One loop for
 * the layer walker and the docker-archive source. libarchive's ARCHIVE_RETRY
 * from archive_read_next_header means that header block was damaged (a bad
 * checksum; the tar reader then tries the next 512-byte block): each one
 * counts in *damaged and is stepped over while *damaged stays within
 * max_damaged; one more and the archive is broken (-1). */
int rs_layer_tar_next(struct archive *a, struct archive_entry **e, unsigned *damaged,
                      unsigned max_damaged);
/* The next block of the current entry's data: 1 with *blk, *n and *off (where
 * the block starts in the file) set, 0 at the entry's end, -1 when broken
 * (ARCHIVE_RETRY included: data has no next block to retry from). */
int rs_layer_tar_block(struct archive *a, const void **blk, size_t *n, int64_t *off);

/* Encodes the result (new reference; NULL when out of memory). */
json_t *rs_layer_result_to_json(const rs_layer_result *r);
/* Decodes what rs_layer_result_to_json wrote; the input is untrusted (cache,
 * child process): types, lengths, counts and paths are checked. Returns 0 with
 * *out set, or RS_ERR_INVALID. */
int rs_layer_result_from_json(const json_t *j, rs_layer_result **out, char *errstr,
                              size_t errstr_size);

/* ---- the stream form of a layer result: what the sandboxed child writes
 * to the parent (DESIGN.md §7), written and read one line at a time so that
 * neither side holds more than the result and one line's JSON tree. Lines of
 * compact JSON, each ended by '\n': a header object {"layer_result_stream":
 * 1, "files": F, "links": L, "whiteouts": W, "opaque_dirs": O, "skipped": S,
 * and the counters of the JSON form}; then each file as in the JSON form but
 * with "packages": P and "owned": Q counts, followed by its P package lines
 * and Q owned-path strings; then L links, W whiteout strings, O opaque-dir
 * strings and S skipped objects; then nothing. */

/* Writes r's stream form through write(buf, len, ctx), which returns 0 or
 * non-zero to stop. Returns 0, RS_ERR_INTERNAL (out of memory) or the
 * callback's non-zero value. */
typedef int rs_layer_stream_write_fn(const char *buf, size_t len, void *ctx);
int rs_layer_result_write_stream(const rs_layer_result *r, rs_layer_stream_write_fn *write,
                                 void *ctx);

/* The decoder of the stream form (untrusted input: types, lengths, counts,
 * paths and UTF-8 are checked as in rs_layer_result_from_json; a line is at
 * most RS_LAYER_STREAM_MAX_LINE bytes). */
#define RS_LAYER_STREAM_MAX_LINE ((size_t)8 << 20)
typedef struct rs_layer_stream rs_layer_stream;
/* A new decoder; NULL when out of memory. */
rs_layer_stream *rs_layer_stream_new(void);
/* Decodes the next len bytes (any split). Returns 0 or RS_ERR_INVALID /
 * RS_ERR_INTERNAL with errstr naming the line; after an error every call
 * returns it again. */
int rs_layer_stream_feed(rs_layer_stream *d, const void *buf, size_t len, char *errstr,
                         size_t errstr_size);
/* At the end of the bytes: 0 with *out set (the decoder lets go of it), or
 * RS_ERR_INVALID when the stream ended early or an error came before. */
int rs_layer_stream_finish(rs_layer_stream *d, rs_layer_result **out, char *errstr,
                           size_t errstr_size);
void rs_layer_stream_free(rs_layer_stream *d);

/* ---- merge: layer results in, image inventory out.
 *
 * Applies layers bottom-up as the OCI image spec says (whiteouts and opaque
 * directories hide lower entries, a later file replaces an earlier one at the
 * same path), resolves os-release symlinks, and attributes each package to the
 * lowest layer from which it has been present without interruption. */

/* Merges n layer results (bottom first). layer_digests (may be NULL) names
 * each layer for the packages' `layer` and the inventory's layer list.
 * Returns 0 with *out set (finished: ecosystems, purls, sorted; free with
 * rs_inventory_free), or RS_ERR_INTERNAL. */
int rs_merge_layers(rs_layer_result *const *layers, char *const *layer_digests, size_t n,
                    rs_inventory **out, char *errstr, size_t errstr_size);

/* ---- checks: the configuration checks of an image: from the merged file
 * system (facts its entries raised, packages) and from the image config
 * (user, healthcheck, ports, history, secrets in Env, Labels and history).
 * Each finding has a stable id, a severity, evidence that holds no secret
 * value, and the CIS Docker Benchmark item where one exists:
 *
 *   root-user                    high    4.1   no USER, or user 0/root
 *   no-healthcheck               low     4.6   no HEALTHCHECK (or NONE)
 *   add-remote-url               medium  4.9   ADD of an http(s) URL in history
 *   secrets-in-config            high    4.10  a secret rule matched Env, Labels or history
 *   pipe-to-shell                medium  -     curl/wget ... | sh in history
 *   ssh-port-exposed             medium  -     ExposedPorts has 22
 *   sshd-installed               medium  -     openssh-server/openssh package or /usr/sbin/sshd
 *   setuid-setgid-files          low     4.8   every setuid/setgid regular file (no allow-list)
 *   world-writable-system-paths  medium  -     o+w in /etc /usr /bin /sbin /lib* (dirs: not sticky)
 *   package-manager-cache        low     -     apt archives and lists, apk, pip, npm caches
 */

/* The facts of the merged view, gathered by the merge. Zero-initialise. */
typedef struct rs_checks_fs {
    struct rs_fs_fact {
        char *path;
        unsigned facts, mode;
    } *items;
    size_t n, cap;
} rs_checks_fs;

/* Adds the facts of one path. Returns 0 or RS_ERR_INTERNAL. */
int rs_checks_fs_add(rs_checks_fs *c, const char *path, unsigned facts, unsigned mode);
/* Adds the file-system findings of the gathered facts and of inv's packages
 * to inv->misconfigs. Returns 0 or RS_ERR_INTERNAL. */
int rs_checks_fs_finish(rs_checks_fs *c, rs_inventory *inv);
void rs_checks_fs_clear(rs_checks_fs *c);

/* Runs the image-config checks on config (len bytes of untrusted JSON) and
 * scans its Env, Labels and history for secrets (paths "config:Env",
 * "config:Labels", "config:history[N]"; a history entry's secret carries the
 * layer of that entry from inv->layers). Adds to inv->misconfigs and
 * inv->secrets, sorted. Returns 0, RS_ERR_INVALID (not a JSON object) or
 * RS_ERR_INTERNAL. */
int rs_checks_config(const char *config, size_t len, rs_inventory *inv, char *errstr,
                     size_t errstr_size);

#endif
