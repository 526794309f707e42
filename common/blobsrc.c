/* blobsrc.c - (being written) */
