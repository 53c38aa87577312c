# Man pages: section 1 for every program, section 3 for the library.  The
# .in files get the version from configure; tests/test_man.py checks them
# against --help and the headers.
man1_MANS = doc/cohort-gen.1 doc/cohort-info.1 doc/cohort-sort.1 doc/cohort-groupby.1 \
	doc/cohort-hist.1 doc/cohort-quantile.1 doc/cohort-stats.1 doc/cohort-reduce.1
man3_MANS = doc/cohort.3
EXTRA_DIST += $(man1_MANS:=.in) $(man3_MANS:=.in)
