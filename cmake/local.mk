# SPDX-License-Identifier: BSD-2-Clause
# cmake/local.mk - fragment of Makefile.am: the CMake package of libev-ng,
# installed into $(libdir)/cmake/libev/ so that find_package(libev) works
# (and find_package(Libev), (LIBEV), ...: CMake looks for the lower-case
# <name>-config.cmake under any spelling):
#   libev-config.cmake          imported targets libev::libev and libev::libev_static
#   libev-config-version.cmake  version 4.33, compatible with any requested 4.x <= 4.33
# configure makes both from their .in templates (the directories, file names
# and pointer size are worked out in configure.ac).  `make uninstall` removes
# them (automake's _DATA rules) and the libev/ folder, which is ours alone.

cmakeconfigdir = $(libdir)/cmake/libev
nodist_cmakeconfig_DATA = cmake/libev-config.cmake cmake/libev-config-version.cmake

UNINSTALL_HOOKS += uninstall-cmake-folder
uninstall-cmake-folder:
	rmdir '$(DESTDIR)$(cmakeconfigdir)' 2>/dev/null || :
PHONY_TARGETS += uninstall-cmake-folder
