/* analyzers/npm.h - the npm analyzer (package.json in node_modules, see npm.c)
 * and what the lock-file analyzer (npmlock.c) shares with it. */
#ifndef RS_ANALYZER_NPM_H
#define RS_ANALYZER_NPM_H

#include "index.h"

extern const rs_analyzer rs_analyzer_npm;

/* 1 when `path` (normalised) is a package's own manifest:
 * .../node_modules/<name>/package.json or .../node_modules/@scope/<name>/package.json. */
int rs_npm_manifest_path(const char *path);
/* 1 for an npm package name: "name" or "@scope/name", at most 214 bytes. */
int rs_npm_valid_name(const char *name);
/* 1 for a registry version (a digit first, a token of at most 128 bytes). */
int rs_npm_valid_version(const char *version);
/* Adds npm package name@version read from `path` (ecosystem npm, purl
 * pkg:npm/%40scope/name@version). `name` must be valid. Returns 0 or
 * RS_ERR_INTERNAL. */
int rs_npm_add(rs_analysis *out, const char *path, const char *name, const char *version);

#endif
