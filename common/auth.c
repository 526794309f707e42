/* auth.c - (being written) */
