/* blobsrc_docker.c - (being written) */
