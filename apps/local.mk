# The bundled programs: thin, over the public API and apps/cli.c.
noinst_LTLIBRARIES = apps/libcli.la
apps_libcli_la_SOURCES = apps/cli.c apps/cli.h apps/json.c apps/json.h
apps_libcli_la_CPPFLAGS = $(AM_CPPFLAGS) $(HDF5_CFLAGS)

APP_CPP = $(AM_CPPFLAGS) $(HDF5_CFLAGS)
APP_LIBS = apps/libcli.la lib/libcohort.la $(HDF5_LIBS) -lm

COHORT_APP_NAMES = cohort-gen cohort-info cohort-sort cohort-hist cohort-quantile cohort-stats cohort-groupby cohort-reduce
bin_PROGRAMS += apps/cohort-gen apps/cohort-info apps/cohort-sort apps/cohort-hist apps/cohort-quantile apps/cohort-stats apps/cohort-groupby apps/cohort-reduce
apps_cohort_gen_SOURCES = apps/cohort-gen.c
apps_cohort_gen_CPPFLAGS = $(APP_CPP)
apps_cohort_gen_LDADD = $(APP_LIBS)
apps_cohort_info_SOURCES = apps/cohort-info.c
apps_cohort_info_CPPFLAGS = $(APP_CPP)
apps_cohort_info_LDADD = $(APP_LIBS)
apps_cohort_sort_SOURCES = apps/cohort-sort.c
apps_cohort_sort_CPPFLAGS = $(APP_CPP)
apps_cohort_sort_LDADD = $(APP_LIBS)
apps_cohort_hist_SOURCES = apps/cohort-hist.c
apps_cohort_hist_CPPFLAGS = $(APP_CPP)
apps_cohort_hist_LDADD = $(APP_LIBS)
apps_cohort_quantile_SOURCES = apps/cohort-quantile.c
apps_cohort_quantile_CPPFLAGS = $(APP_CPP)
apps_cohort_quantile_LDADD = $(APP_LIBS)
apps_cohort_stats_SOURCES = apps/cohort-stats.c
apps_cohort_stats_CPPFLAGS = $(APP_CPP)
apps_cohort_stats_LDADD = $(APP_LIBS)
apps_cohort_groupby_SOURCES = apps/cohort-groupby.c
apps_cohort_groupby_CPPFLAGS = $(APP_CPP)
apps_cohort_groupby_LDADD = $(APP_LIBS)
apps_cohort_reduce_SOURCES = apps/cohort-reduce.c
apps_cohort_reduce_CPPFLAGS = $(APP_CPP)
apps_cohort_reduce_LDADD = $(APP_LIBS)
