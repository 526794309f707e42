/* manifest.c - (being written) */
