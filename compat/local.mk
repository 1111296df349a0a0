# compat/local.mk - fragment of Makefile.am: the libevent 1.x emulation (event.h, compat/event.c).
#
# On by default (drop-in for programs built against libev's event.h); configure
# --disable-libevent-emulation leaves both out, for programs that also link a real libevent
# (the event_* symbols would clash).  compat/event.c is compiled with the core's
# libev_la_CFLAGS (-fvisibility=hidden): it exports exactly the event_* functions itself.
#
# No EXTRA_DIST entry is needed for the disabled case: automake distributes the files of
# conditional _SOURCES and _HEADERS under every condition (checked with automake 1.16.5:
# `make distdir` with the conditional false still ships event.h and compat/event.c).
if EV_LIBEVENT_EMULATION
include_HEADERS += event.h
libev_la_SOURCES += compat/event.c
endif
