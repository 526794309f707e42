/* analyzers/apk.c - (being written) */
