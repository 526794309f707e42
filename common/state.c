/* state.c - (being written) */
