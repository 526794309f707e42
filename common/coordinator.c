/* coordinator.c - (being written) */
