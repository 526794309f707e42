/* http.c - (being written) */
