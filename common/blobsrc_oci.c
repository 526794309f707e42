/* blobsrc_oci.c - (being written) */
