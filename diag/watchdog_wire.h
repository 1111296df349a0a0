// SPDX-License-Identifier: BSD-2-Clause
// diag/watchdog_wire.h - what the library and the ev-watchdog program it starts (tools/watchdog/)
// say on the SOCK_SEQPACKET socket the program gets as fd 3: records of one size each, so that
// neither side frames a stream.  Both are built from one tree, so the records are plain structs.
#pragma once

#include "loop/loop.h"

#include <sys/types.h>

namespace ev_detail {

// The library asks: ...
enum watchdog_ask : int {
  kWatchdogWatch = 1,      // watch `loop` with `threshold`, its reports sent back (ev_watchdog_start)
  kWatchdogWatchLine = 2,  // the same, its reports lines on stderr or in the log (LIBEV_NG_WATCHDOG)
  kWatchdogUnwatch = 3,    // watch `loop` no longer (ev_watchdog_stop)
  kWatchdogLastLook = 4,   // look once more now, and answer kWatchdogLooked (the program exits)
};

struct watchdog_request {
  int ask;               // watchdog_ask
  pid_t tid;             // the thread that asked: the loop's likely runner
  struct ev_loop *loop;  // an address in the program
  double threshold;      // seconds
};

// ... and the program answers: a report for a loop of ev_watchdog_start, or the end of a last look.
enum watchdog_answer : int {
  kWatchdogReport = 1,
  kWatchdogLooked = 2,
};

struct watchdog_reply {
  int answer;  // watchdog_answer
  int kind;    // EV_WATCHDOG_*
  struct ev_loop *loop;
  void *watcher;
  int events, priority;
  void *cb;
  double duration, threshold;
  unsigned long offset;  // of cb in module, as the ELF file's virtual address
  char text[512];        // each string NUL-terminated, empty when unknown
  char symbol[160];
  char module[256];
};

}  // namespace ev_detail
