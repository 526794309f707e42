/* analyzers/jarmeta.h - what identifies a Maven artifact inside a jar:
 * pom.properties, the MANIFEST.MF main section, the file name (see
 * jarmeta.c). Used by jar.c. */
#ifndef RS_JARMETA_H
#define RS_JARMETA_H

#include <stddef.h>

#define RS_JARMETA_FIELD_MAX 256

/* A Maven identity; empty strings for what is unknown. */
typedef struct rs_jarmeta {
    char group[RS_JARMETA_FIELD_MAX + 1];
    char artifact[RS_JARMETA_FIELD_MAX + 1];
    char version[RS_JARMETA_FIELD_MAX + 1];
} rs_jarmeta;

/* Reads groupId, artifactId and version from a pom.properties (data, len:
 * untrusted). Returns 1 when all three are present and valid, else 0. */
int rs_jarmeta_pom_properties(const char *data, size_t len, rs_jarmeta *out);
/* Reads the main section of a MANIFEST.MF: the artifact from
 * Implementation-Title (else Bundle-SymbolicName without its parameters), the
 * version from Implementation-Version (else Bundle-Version), the group from
 * Implementation-Vendor-Id (may stay empty). Returns 1 when an artifact and a
 * version were found, else 0. */
int rs_jarmeta_manifest(const char *data, size_t len, rs_jarmeta *out);
/* Reads "artifact-1.2.3.jar" (a base name): the artifact up to the first "-"
 * followed by a digit, the version from there to the extension; no group.
 * Returns 1 when both are non-empty, else 0. */
int rs_jarmeta_file_name(const char *name, rs_jarmeta *out);

#endif
