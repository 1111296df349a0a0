// SPDX-License-Identifier: BSD-2-Clause
// backends/policies.h - the backends this build has, as policies for the loop's iteration
// (backend.h), in the order tried when several are allowed: the most scalable first, as libev.
//
// EV_NG_BACKEND_POLICIES(X) expands X(policy) once per backend; the loop compiles its iterations
// with it (loop/loop_run.cc: one per policy with hot paths of its own, backend.h, and one for the
// rest) and registry.cc lists the backends with it, so that no file outside backends/ names one.
#pragma once

#include "base/api.h"  // (config.h: which backends this build has)

#if EV_NG_HAVE_IOURING
#include "backends/iouring.h"
#define EV_NG_POLICY_IOURING(X) X(::ev_detail::iouring_policy)
#else
#define EV_NG_POLICY_IOURING(X)
#endif

#if EV_NG_HAVE_EPOLL
#include "backends/epoll_inline.h"
#define EV_NG_POLICY_EPOLL(X) X(::ev_detail::epoll_policy)
#else
#define EV_NG_POLICY_EPOLL(X)
#endif

// (configure's build: select always, poll where <poll.h> works; a program that compiles the core
// into itself chooses: embed/ev_ng_facilities.h)
#ifndef EV_NG_HAVE_POLL
#if defined(HAVE_POLL_H) && !defined(_AIX)  // AIX's <poll.h> is broken (ev(3) AIX POLL BUG)
#define EV_NG_HAVE_POLL 1
#else
#define EV_NG_HAVE_POLL 0
#endif
#endif
#ifndef EV_NG_HAVE_SELECT
#define EV_NG_HAVE_SELECT 1
#endif

#if EV_NG_HAVE_POLL
#include "backends/poll.h"
#define EV_NG_POLICY_POLL(X) X(::ev_detail::poll_policy)
#else
#define EV_NG_POLICY_POLL(X)
#endif

// Windows: IOCTL_AFD_POLL, chosen by its bit only (registry.cc)
#if defined(_WIN32)
#include "backends/afd_win32.h"
#define EV_NG_POLICY_AFD(X) X(::ev_detail::afd_policy)
#else
#define EV_NG_POLICY_AFD(X)
#endif

#if EV_NG_HAVE_SELECT && defined(_WIN32)
#include "backends/select_win32.h"  // Winsock's select over C runtime fds
#define EV_NG_POLICY_SELECT(X) X(::ev_detail::select_policy)
#elif EV_NG_HAVE_SELECT
#include "backends/select.h"
#define EV_NG_POLICY_SELECT(X) X(::ev_detail::select_policy)
#else
#define EV_NG_POLICY_SELECT(X)
#endif

// (io_uring first when allowed, but not recommended: registry.cc)
#define EV_NG_BACKEND_POLICIES(X) \
  EV_NG_POLICY_IOURING(X) EV_NG_POLICY_EPOLL(X) EV_NG_POLICY_POLL(X) EV_NG_POLICY_AFD(X) EV_NG_POLICY_SELECT(X)

// A build for size, by configure --enable-small or EV_FEATURES without its "faster code" bit, has
// one iteration of the loop for all backends.
#ifndef EV_NG_SMALL
#define EV_NG_SMALL (!EV_FEATURE_CODE)
#endif
