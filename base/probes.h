// SPDX-License-Identifier: BSD-2-Clause
// base/probes.h - the library's static probes, after ev(3) LIBEV-NG EXTENSIONS: USDT probes, which
// bpftrace, SystemTap, perf and gdb find in libev.so.4's .note.stapsdt section.  Without
// <sys/sdt.h> there are none, and EV_PROBE is nothing.
//
// A probe is a nop in the code and a note naming its arguments' locations.  All of them share ONE
// semaphore, the first member of the probe anchor (loop/loop_forks.cc), which a tracer counts up
// while it is attached to any of them.  No hot path tests it: the rare probes test it where they
// fire, and the loop's own probes fire as diag/probes.h says.
#pragma once

#include "base/api.h"

#if EV_NG_HAVE_SDT
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#endif

// Each probe's semaphore is a name for the one shared semaphore
// (loop/loop_forks.cc aliases them); sys/sdt.h writes its address into the note.
// The list is the table of ev(3) "Static probes": name, then its arguments.
#define EV_NG_PROBES(X) \
  X(loop_create)        \
  X(loop_destroy)       \
  X(fork)               \
  X(iteration_begin)    \
  X(iteration_end)      \
  X(poll_enter)         \
  X(poll_return)        \
  X(callback_begin)     \
  X(callback_end)       \
  X(timer_lag)          \
  X(fd_error)           \
  X(signal)

#define EV_NG_PROBE_SEMAPHORE_DECL(name) extern unsigned short libev_##name##_semaphore EV_NG_HIDDEN_SYMBOL;
#define EV_NG_HIDDEN_SYMBOL __attribute__((visibility("hidden")))
extern "C" {
EV_NG_PROBES(EV_NG_PROBE_SEMAPHORE_DECL)
}
#undef EV_NG_PROBE_SEMAPHORE_DECL

namespace ev_detail {

// A tracer is attached to some probe of the library.  The kernel or a debugger writes the semaphore
// behind the program's back, so it is read as memory that changes.
inline bool probes_attached()
{
#if EV_NG_HAVE_SDT
  return __atomic_load_n(&libev_loop_create_semaphore, __ATOMIC_RELAXED) != 0;
#else
  return false;
#endif
}

}  // namespace ev_detail

// EV_PROBE(name, args...): fire probe `name` with at most 6 integer or pointer arguments.
#if EV_NG_HAVE_SDT
#define EV_PROBE(...) EV_NG_PROBE_N(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)(__VA_ARGS__)
#define EV_NG_PROBE_N(name, a1, a2, a3, a4, a5, a6, n, ...) EV_NG_PROBE_##n
#define EV_NG_PROBE_1(name, a) STAP_PROBE1(libev, name, a)
#define EV_NG_PROBE_2(name, a, b) STAP_PROBE2(libev, name, a, b)
#define EV_NG_PROBE_3(name, a, b, c) STAP_PROBE3(libev, name, a, b, c)
#define EV_NG_PROBE_4(name, a, b, c, d) STAP_PROBE4(libev, name, a, b, c, d)
#define EV_NG_PROBE_5(name, a, b, c, d, e) STAP_PROBE5(libev, name, a, b, c, d, e)
#define EV_NG_PROBE_6(name, a, b, c, d, e, f) STAP_PROBE6(libev, name, a, b, c, d, e, f)
// A rare probe: fired only while a tracer is attached, its arguments are otherwise not computed.
#define EV_PROBE_RARE(...)              \
  do {                                  \
    if (::ev_detail::probes_attached()) \
      EV_PROBE(__VA_ARGS__);            \
  } while (0)
#else
#define EV_PROBE(...) ((void)0)
#define EV_PROBE_RARE(...) ((void)0)
#endif
