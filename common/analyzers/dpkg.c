/* analyzers/dpkg.c - (being written) */
