/* kafka.c - (being written) */
