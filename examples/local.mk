# The examples also build in the tree (for `make demo`); examples/Makefile
# builds them against an installed copy.
EXTRA_DIST += examples/Makefile examples/moments.f90
# The sbatch scripts users copy: installed with the documentation.
slurmexamplesdir = $(docdir)/examples/slurm
dist_slurmexamples_DATA = examples/slurm/README examples/slurm/pipeline.sbatch examples/slurm/array.sbatch \
	$(COHORT_APP_NAMES:%=examples/slurm/%.sbatch)
noinst_PROGRAMS += examples/bucket_sort
examples_bucket_sort_SOURCES = examples/bucket_sort.c
examples_bucket_sort_LDADD = lib/libcohort.la
# Launcher settings for single-node runs (installed beside the sbatch scripts).
examplesdir = $(docdir)/examples
dist_examples_DATA = examples/openmpi-single-node.conf
