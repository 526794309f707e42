/* merge.h - layer results in, image inventory out.
 *
 * Applies layers bottom-up as the OCI image spec says (whiteouts and opaque
 * directories hide lower entries, a later file replaces an earlier one at the
 * same path), resolves os-release symlinks, and attributes each package to the
 * lowest layer from which it has been present without interruption. */
#ifndef RS_MERGE_H
#define RS_MERGE_H

#include <stddef.h>

#include "inventory.h"
#include "layer.h"

/* Merges n layer results (bottom first). layer_digests (may be NULL) names
 * each layer for the packages' `layer` and the inventory's layer list.
 * Returns 0 with *out set (finished: ecosystems, purls, sorted; free with
 * rs_inventory_free), or RS_ERR_INTERNAL. */
int rs_merge_layers(rs_layer_result *const *layers, char *const *layer_digests, size_t n,
                    rs_inventory **out, char *errstr, size_t errstr_size);

#endif
