/* blobsrc_registry.c - (being written) */
