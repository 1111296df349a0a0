# t/compat/local.mk - fragment of Makefile.am (filled in by its suite)
