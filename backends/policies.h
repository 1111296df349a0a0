// SPDX-License-Identifier: BSD-2-Clause
// backends/policies.h - the backends this build has, as policies for the
// loop's iteration (backend.h), in the order they are tried when several
// are allowed: the most scalable first, as libev (..., epoll, poll, select).
//
// EV_NG_BACKEND_POLICIES(X) expands X(policy) once per backend; the loop
// compiles its iterations with it (loop/loop_run.cc: those kOwnIterations
// below names, and one for the rest) and the registry lists
// the backends with it (registry.cc), so that no file outside backends/
// names one.
//
// The library compiles the iterations of EV_NG_BACKEND_POLICIES_APART in a
// unit of their own, loop/loop_run_apart.cc, so that they do not change how
// the others are inlined.  GCC limits how much a unit may grow by inlining,
// and io_uring's two modes in the same unit made epoll's iteration call
// what it inlines otherwise: the queueing of prepare, check and idle
// watchers and the wait's hooks.
#pragma once

#include "base/api.h"  // (config.h: which backends this build has)

#if EV_NG_HAVE_IOURING
#include "backends/iouring_epoll.h"
// The epoll mode where the kernel has it, else the poll mode: backends/iouring_epoll.h.
#define EV_NG_POLICY_IOURING(X) X(::ev_detail::iouring_epoll_policy) X(::ev_detail::iouring_policy)
#else
#define EV_NG_POLICY_IOURING(X)
#endif

#if EV_NG_HAVE_EPOLL
#include "backends/epoll_inline.h"
#define EV_NG_POLICY_EPOLL(X) X(::ev_detail::epoll_policy)
#else
#define EV_NG_POLICY_EPOLL(X)
#endif

// (configure's build: select always, poll where <poll.h> works; a program
// that compiles the core into itself chooses: embed/ev_ng_facilities.h)
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
#define EV_NG_BACKEND_POLICIES_APART(X) EV_NG_POLICY_IOURING(X)
#define EV_NG_BACKEND_POLICIES_REST(X) \
  EV_NG_POLICY_EPOLL(X) EV_NG_POLICY_POLL(X) EV_NG_POLICY_AFD(X) EV_NG_POLICY_SELECT(X)
#define EV_NG_BACKEND_POLICIES(X) EV_NG_BACKEND_POLICIES_APART(X) EV_NG_BACKEND_POLICIES_REST(X)

// A build for size: configure --enable-small, or EV_FEATURES without its
// "faster code" bit.  Its loop has one iteration for all backends.
#ifndef EV_NG_SMALL
#define EV_NG_SMALL (!EV_FEATURE_CODE)
#endif

namespace ev_detail {

// The iterations the loop compiles for backend policy P, with P's hot
// paths inline (loop/loop_run.cc):
//  - kOwnPerRunKind: one for a run of one iteration and one for a run of
//    many, for epoll, the default backend, whose every iteration the
//    flags' test would cost;
//  - kOwnOne: one that tells the two apart by the flags, for io_uring,
//    which a program chooses for fewer system calls, and whose two modes
//    would double again what the iterations weigh;
//  - kOwnNone: none, for select and poll, the fallbacks of systems without
//    the others, which share the one iteration that calls the backend
//    through its table, at a call per wait and per fd change.
// A build for size has that shared one alone.
enum own_iterations { kOwnNone, kOwnOne, kOwnPerRunKind };
template <class P>
inline constexpr own_iterations kOwnIterations = kOwnNone;
#if !EV_NG_SMALL
#if EV_NG_HAVE_EPOLL
template <>
inline constexpr own_iterations kOwnIterations<epoll_policy> = kOwnPerRunKind;
#endif
#if EV_NG_HAVE_IOURING
template <>
inline constexpr own_iterations kOwnIterations<iouring_epoll_policy> = kOwnOne;
template <>
inline constexpr own_iterations kOwnIterations<iouring_policy> = kOwnOne;
#endif
#endif

}  // namespace ev_detail

// Whether the iterations of EV_NG_BACKEND_POLICIES_APART have a unit of
// their own: only in the library, since an embedding program compiles the
// core as one unit (embed/ev_ng.cc), and not in a build for size.
#if EV_NG_HAVE_IOURING && !EV_NG_SMALL && !defined(EV_NG_EMBED)
#define EV_NG_ITERATIONS_APART 1
#else
#define EV_NG_ITERATIONS_APART 0
#endif
