/* message.c - (being written) */
