/* analyzers/osrelease.c - (being written) */
