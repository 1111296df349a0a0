# cmake/local.mk - fragment of Makefile.am: the CMake package of libev-ng,
# installed into $(libdir)/cmake/libev/ so that find_package(libev) works:
#   libevConfig.cmake         imported targets libev::libev and libev::libev_static
#   libevConfigVersion.cmake  version 4.33, compatible with any requested 4.x <= 4.33
# Both are generated at build time by cmake/gen-config.sh from their .in
# templates, from the configured directories and from libev.la (which
# libraries libtool built and their file names), so configure.ac needs
# nothing for them.  `make uninstall` removes them (automake's _DATA rules).

cmakeconfigdir = $(libdir)/cmake/libev
cmakeconfig_DATA = cmake/libevConfig.cmake cmake/libevConfigVersion.cmake
CLEANFILES += $(cmakeconfig_DATA) cmake/libevConfig.cmake.tmp cmake/libevConfigVersion.cmake.tmp
EXTRA_DIST += cmake/libevConfig.cmake.in cmake/libevConfigVersion.cmake.in cmake/gen-config.sh

# Makefile: regenerate when configure changed a directory or flag
CMAKE_GEN_DEPS = $(srcdir)/cmake/gen-config.sh libev.la Makefile
CMAKE_GEN = $(MKDIR_P) cmake && $(SHELL) $(srcdir)/cmake/gen-config.sh
CMAKE_GEN_ARGS = libev.la '$(PACKAGE_VERSION)' '$(prefix)' '$(libdir)' '$(includedir)' \
	'$(LIBS)' '$(CC) $(CPPFLAGS) $(CFLAGS)'

cmake/libevConfig.cmake: $(srcdir)/cmake/libevConfig.cmake.in $(CMAKE_GEN_DEPS)
	$(AM_V_GEN)$(CMAKE_GEN) $(srcdir)/cmake/libevConfig.cmake.in $(CMAKE_GEN_ARGS) >$@.tmp && mv -f $@.tmp $@

cmake/libevConfigVersion.cmake: $(srcdir)/cmake/libevConfigVersion.cmake.in $(CMAKE_GEN_DEPS)
	$(AM_V_GEN)$(CMAKE_GEN) $(srcdir)/cmake/libevConfigVersion.cmake.in $(CMAKE_GEN_ARGS) >$@.tmp && mv -f $@.tmp $@
