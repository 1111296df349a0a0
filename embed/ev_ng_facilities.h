// SPDX-License-Identifier: BSD-2-Clause
// embed/ev_ng_facilities.h - the configuration of a core compiled into a
// program (ev(3) EMBEDDING), second half: after ev.h, the program's EV_USE_*
// choices (defaults from its EV_FEATURES, as libev's) and what the system
// offers become the switches the core tests (EV_NG_HAVE_*, as configure
// writes them into config.h for the library).
#pragma once

#if !EV_FEATURE_DATA && !(defined EV_USE_4HEAP && EV_USE_4HEAP)
#error \
    "EV_FEATURES without bit 2 selects libev's 2-heap for timers, which libev-ng does not have (ev_is_active and the order of equal deadlines would differ): define EV_USE_4HEAP 1"
#endif

#ifdef __linux__
#define EV_NG_SYSTEM_LINUX 1
#else
#define EV_NG_SYSTEM_LINUX 0
#endif

// ---- backends --------------------------------------------------------------------------------
#if defined __linux__ && __has_include(<sys/epoll.h>)
#define EV_NG_SYSTEM_EPOLL 1
#else
#define EV_NG_SYSTEM_EPOLL 0
#endif
#ifndef EV_USE_SELECT
#define EV_USE_SELECT EV_FEATURE_BACKENDS
#endif
// (Windows: Winsock's select alone, as in libev; there is no poll of fds there)
#ifndef EV_USE_POLL
#ifdef _WIN32
#define EV_USE_POLL 0
#else
#define EV_USE_POLL EV_FEATURE_BACKENDS
#endif
#endif
#if EV_USE_POLL && defined _WIN32
#error "EV_USE_POLL: Windows has no poll backend (select is Winsock's)"
#endif
#if EV_CHILD_ENABLE && defined _WIN32
#error "EV_CHILD_ENABLE: Windows has no child processes to watch (ev.h sets 0 there, as libev)"
#endif
#ifndef EV_USE_EPOLL
#define EV_USE_EPOLL (EV_FEATURE_BACKENDS && EV_NG_SYSTEM_EPOLL)
#endif
// io_uring: where epoll is (as in libev), if the headers have what the backend uses (Linux 5.19)
#ifndef EV_USE_IOURING
#define EV_USE_IOURING EV_USE_EPOLL
#endif
#define EV_NG_HAVE_SELECT (EV_USE_SELECT ? 1 : 0)
#define EV_NG_HAVE_POLL (EV_USE_POLL ? 1 : 0)
#if EV_USE_EPOLL && !EV_NG_SYSTEM_EPOLL
#error "EV_USE_EPOLL: this system has no epoll"
#endif
#define EV_NG_HAVE_EPOLL (EV_USE_EPOLL ? 1 : 0)
#if !EV_NG_HAVE_SELECT && !EV_NG_HAVE_POLL && !EV_NG_HAVE_EPOLL
#error "no backend: EV_FEATURES without bit 32 needs one of EV_USE_SELECT, EV_USE_POLL, EV_USE_EPOLL"
#endif

#if defined __linux__ && __has_include(<sys/syscall.h>)
#include <sys/syscall.h>
#define EV_NG_HAVE_SYSCALL 1
#else
#define EV_NG_HAVE_SYSCALL 0
#endif

#if EV_USE_IOURING && EV_NG_HAVE_SYSCALL && __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#if defined IORING_SETUP_COOP_TASKRUN && defined IORING_SETUP_SUBMIT_ALL && defined IOSQE_CQE_SKIP_SUCCESS && \
    defined IORING_FEAT_RSRC_TAGS && defined IORING_POLL_ADD_MULTI && defined __NR_io_uring_setup
#define EV_NG_HAVE_IOURING 1
#endif
#endif
#ifndef EV_NG_HAVE_IOURING
#define EV_NG_HAVE_IOURING 0
#endif

// ---- the operating system's helpers (EV_FEATURE_OS) --------------------------------------------
#if defined __linux__ && __has_include(<sys/eventfd.h>)
#define EV_NG_SYSTEM_EVENTFD 1
#else
#define EV_NG_SYSTEM_EVENTFD 0
#endif
#ifndef EV_USE_EVENTFD
#define EV_USE_EVENTFD (EV_FEATURE_OS && EV_NG_SYSTEM_EVENTFD)
#endif
#define EV_NG_HAVE_EVENTFD (EV_USE_EVENTFD && EV_NG_SYSTEM_EVENTFD ? 1 : 0)

#ifndef EV_USE_SIGNALFD
#define EV_USE_SIGNALFD (EV_FEATURE_OS && EV_NG_SYSTEM_LINUX)
#endif
#if EV_USE_SIGNALFD && defined __linux__ && __has_include(<sys/signalfd.h>)
#define EV_NG_HAVE_SIGNALFD 1
#else
#define EV_NG_HAVE_SIGNALFD 0
#endif

#ifndef EV_USE_TIMERFD
#define EV_USE_TIMERFD (EV_FEATURE_OS && EV_NG_SYSTEM_LINUX)
#endif
#if EV_USE_TIMERFD && defined __linux__ && __has_include(<sys/timerfd.h>)
#include <sys/timerfd.h>
#endif
#if EV_USE_TIMERFD && defined TFD_TIMER_CANCEL_ON_SET
#define EV_NG_HAVE_TIMERFD 1
#else
#define EV_NG_HAVE_TIMERFD 0
#endif

/* EVFLAG_NG_BOOTTIME measures CLOCK_BOOTTIME against CLOCK_MONOTONIC; elsewhere the flag is
 * accepted and ignored. */
#include <time.h>
#if EV_FEATURE_OS && EV_NG_SYSTEM_LINUX && defined CLOCK_BOOTTIME
#define EV_NG_HAVE_BOOTTIME 1
#else
#define EV_NG_HAVE_BOOTTIME 0
#endif

#ifndef EV_USE_INOTIFY
#define EV_USE_INOTIFY (EV_FEATURE_OS && EV_NG_SYSTEM_LINUX)
#endif
#if EV_USE_INOTIFY && EV_STAT_ENABLE && defined __linux__ && __has_include(<sys/inotify.h>)
#define EV_NG_HAVE_INOTIFY 1
#else
#define EV_NG_HAVE_INOTIFY 0
#endif
#if EV_NG_HAVE_INOTIFY && __has_include(<sys/statfs.h>)
#define EV_NG_HAVE_STATFS 1
#else
#define EV_NG_HAVE_STATFS 0
#endif

// pidfds (ev_child in other loops), the fork page, ppoll, pipe2, accept4: with the helpers
#if EV_FEATURE_OS && EV_NG_HAVE_SYSCALL && defined SYS_pidfd_open
#define EV_NG_HAVE_PIDFD 1
#else
#define EV_NG_HAVE_PIDFD 0
#endif
#if EV_FEATURE_OS && defined __linux__
#include <sys/mman.h>
#endif
#if EV_FEATURE_OS && defined MADV_WIPEONFORK
#define EV_NG_HAVE_WIPEONFORK 1
#else
#define EV_NG_HAVE_WIPEONFORK 0
#endif
#if EV_FEATURE_OS && defined __linux__
#define EV_NG_HAVE_PPOLL 1
#define EV_NG_HAVE_PIPE2 1
#define EV_NG_HAVE_ACCEPT4 1
#else
#define EV_NG_HAVE_PPOLL 0
#define EV_NG_HAVE_PIPE2 0
#define EV_NG_HAVE_ACCEPT4 0
#endif
#if defined __x86_64__ && __has_include(<cpuid.h>) && EV_FEATURE_OS
#define EV_NG_HAVE_CYCLE_COUNTER 1
#else
#define EV_NG_HAVE_CYCLE_COUNTER 0
#endif
// (a security matter, not a helper: always where the C library has it)
#if defined __GLIBC__ && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 17))
#define EV_NG_HAVE_SECURE_GETENV 1
#else
#define EV_NG_HAVE_SECURE_GETENV 0
#endif

// floor(): from libm with EV_USE_FLOOR 1, else the core's own (libev's default: no libm)
#if defined EV_USE_FLOOR && EV_USE_FLOOR
#define EV_NG_FLOOR_LIBM 1
#else
#define EV_NG_FLOOR_LIBM 0
#endif

// ---- the core's own parts ----------------------------------------------------------------------
// libev-ng's extensions come with libev's "full API" (EV_FEATURES bit 8); debug mode needs loops
// that can be named (EV_MULTIPLICITY); ev_walk and ev_dump come with EV_WALK_ENABLE.
#if defined EV_AVOID_STDIO && EV_AVOID_STDIO && EV_WALK_ENABLE
#error "EV_AVOID_STDIO with EV_WALK_ENABLE: ev_dump writes to a stdio stream"
#endif
#ifndef EV_NG_DEBUG_MODE
#if EV_FEATURE_API && EV_MULTIPLICITY && !(defined EV_AVOID_STDIO && EV_AVOID_STDIO)
#define EV_NG_DEBUG_MODE 1
#else
#define EV_NG_DEBUG_MODE 0
#endif
#endif
#ifndef EV_NG_METRICS
#define EV_NG_METRICS (EV_FEATURE_API ? 1 : 0)
#endif
#ifndef EV_NG_STREAMS
#define EV_NG_STREAMS (EV_FEATURE_API ? 1 : 0)
#endif
// The static probes belong to the shared library, where tools find them and the probe anchor in
// libev.so.4 (ev(3) "Static probes", "Watchdog"): an embedded core has none.
#undef EV_NG_HAVE_SDT
#define EV_NG_HAVE_SDT 0
#undef EV_NG_HAVE_PROCESS_VM_READV
#define EV_NG_HAVE_PROCESS_VM_READV 0
// Nor does it depend on Valgrind's headers: io_uring's stream engine zeroes its buffers instead.
#undef EV_NG_HAVE_MEMCHECK
#define EV_NG_HAVE_MEMCHECK 0
// ev(3) EV_PID_HASHSIZE: 16 buckets for the child watchers, 1 without libev's "data" bit (as
// libev: the order of one child's watchers depends on it, watchers/child.cc)
#ifndef EV_PID_HASHSIZE
#define EV_PID_HASHSIZE (EV_FEATURE_DATA ? 16 : 1)
#endif
// ev(3) EV_VERIFY: 1 by default, 0 without the full API
#ifndef EV_VERIFY
#define EV_VERIFY (EV_FEATURE_API ? 1 : 0)
#endif
