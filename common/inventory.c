/* inventory.c - (being written) */
