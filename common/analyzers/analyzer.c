/* analyzers/analyzer.c - (being written) */
