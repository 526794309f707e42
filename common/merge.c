/* merge.c - (being written) */
