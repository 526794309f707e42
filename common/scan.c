/* scan.c - (being written) */
