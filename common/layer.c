/* layer.c - (being written) */
