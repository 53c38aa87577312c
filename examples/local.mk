# The examples also build in the tree (for `make demo`); examples/Makefile
# builds them against an installed copy.
EXTRA_DIST += examples/Makefile
noinst_PROGRAMS += examples/bucket_sort
examples_bucket_sort_SOURCES = examples/bucket_sort.c
examples_bucket_sort_LDADD = lib/libcohort.la
