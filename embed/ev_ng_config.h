// SPDX-License-Identifier: BSD-2-Clause
// embed/ev_ng_config.h - the configuration of a core compiled into a
// program (ev(3) EMBEDDING), first half: what must be known before ev.h.
//
// base/api.h includes it instead of configure's config.h when embed/ev_ng.cc
// is compiled (EV_NG_EMBED), then ev.h, then embed/ev_ng_facilities.h, which
// turns the program's EV_USE_* choices and what the system offers into the
// core's EV_NG_HAVE_* switches.
#pragma once

// Without EV_STANDALONE a program configures libev with autoconf and its
// config.h (EV_CONFIG_H names it); the core still detects the system's
// facilities itself (embed/ev_ng_facilities.h), taking any EV_USE_* the file
// sets.
// (defined is enough: some programs define it empty, as libev allows)
#ifndef EV_STANDALONE
#ifdef EV_CONFIG_H
#include EV_CONFIG_H
#else
#include "config.h"
#endif
#endif

// A program's own callback invocation sees every invocation, the core's own
// watchers' too (ev(3) EV_CB_INVOKE); with the default one the core may call
// its own callbacks directly.
#ifdef EV_CB_INVOKE
#define EV_NG_CUSTOM_CB_INVOKE 1
#else
#define EV_NG_CUSTOM_CB_INVOKE 0
#endif

// The parts of libev that libev-ng does not have, and the symbols that
// cannot mean here what they mean in libev: an error names each (ev(3)
// EMBEDDING, "Configuration symbols").
#if defined EV_USE_KQUEUE && EV_USE_KQUEUE
#error "EV_USE_KQUEUE: libev-ng has no kqueue backend"
#endif
#if defined EV_USE_PORT && EV_USE_PORT
#error "EV_USE_PORT: libev-ng has no Solaris event port backend"
#endif
#if defined EV_USE_DEVPOLL && EV_USE_DEVPOLL
#error "EV_USE_DEVPOLL: libev-ng has no /dev/poll backend"
#endif
#if defined EV_USE_LINUXAIO && EV_USE_LINUXAIO
#error "EV_USE_LINUXAIO: libev-ng has no Linux AIO backend (io_uring and epoll replace it)"
#endif
#if defined EV_RECOMMEND_LINUXAIO && EV_RECOMMEND_LINUXAIO
#error "EV_RECOMMEND_LINUXAIO: libev-ng has no Linux AIO backend"
#endif
#if defined EV_RECOMMEND_IOURING && EV_RECOMMEND_IOURING
#error \
    "EV_RECOMMEND_IOURING: libev-ng never recommends io_uring (ev_recommended_backends); ask for it with EVBACKEND_IOURING"
#endif
#if defined EV_USE_MONOTONIC && !EV_USE_MONOTONIC
#error "EV_USE_MONOTONIC 0: libev-ng's timers always run on the monotonic clock"
#endif
// On Windows (mingw-w64) select is always Winsock's over the sockets behind C
// runtime fds, whether the program says so (EV_SELECT_IS_WINSOCKET 1, as
// ev(3) WIN32 documents) or not (Perl's EV: its fds are the runtime's too).
#if defined EV_SELECT_IS_WINSOCKET && EV_SELECT_IS_WINSOCKET && !defined _WIN32
#error "EV_SELECT_IS_WINSOCKET: Winsock's select exists on Windows alone (ev(3): should not be defined elsewhere)"
#endif
#if defined _WIN32 && !defined __MINGW32__
#error "libev-ng's core on Windows compiles with mingw-w64 (g++ 12 or later): link libev-4.dll from other compilers"
#endif
#if defined EV_USE_4HEAP && !EV_USE_4HEAP
#error "EV_USE_4HEAP 0: libev-ng's timer heap is always the 4-heap (active holds its index, ev(3) ev_is_active)"
#endif
#ifdef EV_EVENT_H
#error "EV_EVENT_H: the kit has no libevent emulation (event.c); link the library for it"
#endif
#ifdef EV_TSTAMP_T
#error "EV_TSTAMP_T: libev-ng's core computes with double time stamps"
#endif
