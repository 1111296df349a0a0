// SPDX-License-Identifier: BSD-2-Clause
// embed/ev_ng.cc - libev-ng's core as one C++ file, for a program that
// compiles the event loop into itself (ev(3) EMBEDDING; embed/README.md).
//
// Compile it with a C++20 compiler beside the program's C files, with the
// configuration symbols the program's own files see (EV_STANDALONE,
// EV_MULTIPLICITY, EV_COMMON, EV_*_ENABLE, EV_USE_* ...), the kit's top
// folder on the include path, and no C++ runtime:
//
//   c++ -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics
//       -I KIT [the program's -D and -include] -c KIT/embed/ev_ng.cc
//
// The file only includes the core's sources, each where the configuration
// wants it: a watcher type, a backend or an extension that is switched off
// is not compiled at all.
#if !defined __cplusplus || __cplusplus < 202002L
#error "embed/ev_ng.cc is C++20: compile it with a C++ compiler and -std=c++20 (g++ 12, clang 14 or later)"
#endif
#ifdef __cpp_exceptions
#error \
    "compile embed/ev_ng.cc with -fno-exceptions -fno-rtti -fno-threadsafe-statics: the core needs no C++ runtime then (callbacks may still throw through it)"
#endif

#define EV_NG_EMBED 1

// The system's headers come first, with their own visibility; everything of
// the core after them is hidden, but for the API functions, which ev.h
// declares (hidden too with EV_API_STATIC).
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <new>
#include <type_traits>
#ifdef _WIN32
// Windows (mingw-w64): Winsock first, as it must come before <windows.h>.
// Its struct pollfd holds a socket; the core's fd checks use base/win32.h's,
// which holds a C runtime fd, so Winsock's is renamed out of the way.
// <windows.h>'s macros that are words of the core's (min, max, near, far)
// go too.
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// The core locks, runs once and keeps per-thread values with Windows Vista's calls (SRWLOCK,
// InitOnceExecuteOnce, FlsAlloc: base/win32.cc), which Windows' headers declare from 0x0600 on,
// whatever older Windows the program's own files target.
#if defined _WIN32_WINNT && _WIN32_WINNT < 0x0600
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0600
#endif
#define pollfd ev_ng_winsock_pollfd
#include <winsock2.h>
#include <ws2tcpip.h>
#undef pollfd
#undef near
#undef far
#undef POLLIN
#undef POLLOUT
#undef POLLERR
#undef POLLHUP
#undef POLLNVAL
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#else
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#endif
#if defined __linux__
#include <sys/mman.h>
#include <sys/syscall.h>
#if __has_include(<sys/epoll.h>)
#include <sys/epoll.h>
#endif
#if __has_include(<sys/eventfd.h>)
#include <sys/eventfd.h>
#endif
#if __has_include(<sys/signalfd.h>)
#include <sys/signalfd.h>
#endif
#if __has_include(<sys/timerfd.h>)
#include <sys/timerfd.h>
#endif
#if __has_include(<sys/inotify.h>)
#include <sys/inotify.h>
#endif
#if __has_include(<sys/statfs.h>)
#include <sys/statfs.h>
#endif
#if __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#include <linux/time_types.h>
#endif
#endif
#if defined __x86_64__ && __has_include(<cpuid.h>)
#include <cpuid.h>
#include <emmintrin.h>
#endif

#pragma GCC visibility push(hidden)
// (without multiplicity, the API functions' loop is a global: loop/loop.h)
#pragma GCC diagnostic ignored "-Wshadow"
// (one file: a type of one source's anonymous namespace inside another's)
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wsubobject-linkage"
#endif

#include "base/api.h"

#include "base/alloc.cc"
#ifdef _WIN32
#include "base/win32.cc"
#endif
#include "backends/registry.cc"
#include "base/clock.cc"
#include "base/pending.cc"
#include "fd/fd.cc"
#include "fd/io_list.cc"
#include "fd/loop_fd.cc"
#include "fd/stream.cc"
#include "fd/wakeup.cc"
#if defined _WIN32
#include "backends/afd_win32.cc"  // EVBACKEND_NG_AFD: backends/policies.h names it on Windows
#endif
#if EV_NG_HAVE_SELECT && defined _WIN32
#include "backends/select_win32.cc"
#elif EV_NG_HAVE_SELECT
#include "backends/select.cc"
#endif
#if EV_NG_HAVE_POLL
#include "backends/poll.cc"
#endif
#if EV_NG_HAVE_EPOLL
#include "backends/epoll.cc"
#endif
#if EV_NG_HAVE_IOURING
#include "backends/iouring.cc"
#include "backends/iouring_set.cc"
#include "backends/iouring_life.cc"
#include "backends/iouring_ring.cc"
#include "backends/iouring_stream.cc"
#endif
#if EV_NG_DEBUG_MODE
#include "diag/debug.cc"
#endif
#if EV_WALK_ENABLE
#include "diag/walk.cc"
#endif
#if EV_NG_METRICS
#include "diag/metrics.cc"
#endif
#include "diag/probes.cc"
#include "diag/verify.cc"
#include "diag/watchdog.cc"
#include "watchers/io.cc"
#include "watchers/timer.cc"
#if EV_PERIODIC_ENABLE
#include "watchers/periodic.cc"
#endif
#if EV_SIGNAL_ENABLE
#include "watchers/signal.cc"
#endif
#if EV_CHILD_ENABLE
#include "watchers/child.cc"
#include "watchers/child_pidfd.cc"
#endif
#if EV_STAT_ENABLE
#include "watchers/stat.cc"
#endif
#if EV_IDLE_ENABLE
#include "watchers/idle.cc"
#endif
#include "watchers/array_watchers.cc"
#if EV_EMBED_ENABLE
#include "watchers/embed.cc"
#endif
#if EV_ASYNC_ENABLE
#include "watchers/async.cc"
#endif
#include "watchers/post.cc"
#include "watchers/stream.cc"
#include "loop/loop.cc"
#include "loop/loop_life.cc"
#include "loop/loop_forks.cc"
#include "loop/loop_run.cc"
#include "loop/loop_time.cc"
#include "watchers/once.cc"
#ifdef _WIN32
#include "loop/fork_guard_win32.cc"
#else
#include "loop/fork_guard.cc"
#endif

#pragma GCC visibility pop
