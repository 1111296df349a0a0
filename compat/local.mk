# SPDX-License-Identifier: BSD-2-Clause
# compat/local.mk - fragment of Makefile.am: the libevent 1.x emulation (event.h, compat/event.c).
#
# The functions are on by default (drop-in for programs built against libev's event.h);
# configure --disable-libevent-emulation leaves them out, for programs that also link a real
# libevent (the event_* symbols would clash).  The header is installed only with
# --enable-event-header, so that a default install never shadows libevent-dev's event.h.
# compat/event.c is compiled with the core's libev_la_CFLAGS (-fvisibility=hidden): it
# exports exactly the event_* functions itself.
#
# No EXTRA_DIST entry is needed for the disabled case: automake distributes the files of
# conditional _SOURCES and _HEADERS under every condition (checked with automake 1.16.5:
# `make distdir` with the conditional false still ships event.h and compat/event.c).
if EV_LIBEVENT_EMULATION
libev_la_SOURCES += compat/event.c event.h
endif
# a cold unit, as the C++ ones of Makefile.am: its calls wrap the API's, which do the work
LIBEV_COLD_C_OBJECTS = compat/libev_la-event.lo
$(LIBEV_COLD_C_OBJECTS): CFLAGS += $(COLD_CXXFLAGS)
# installed only with --enable-event-header: it would shadow libevent's event.h
if EV_INSTALL_EVENT_HEADER
include_HEADERS += event.h
endif
