// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/main.cc - ev-watchdog(1): the watchdog of libev-ng's
// loops, a program beside the library (sample.h says how it watches).
//
//   ev-watchdog [-s] -t MS -p PID             watch the loops of a running program
//   ev-watchdog [-s] -t MS -- PROGRAM [ARGS]  run PROGRAM under watch
//   ev-watchdog [-s] --library FD -a ANCHOR -p PID
//                                             started by libev.so.4 (LIBEV_NG_WATCHDOG,
//                                             ev_watchdog_start): asked on FD
#include "elf_symbols.h"
#include "sample.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace ev_watchdog;
using ev_detail::watchdog_reply;
using ev_detail::watchdog_request;

namespace {

[[noreturn]] void usage(const char *why)
{
  if (why)
    std::fprintf(stderr, "ev-watchdog: %s\n", why);
  std::fprintf(stderr,
               "usage: ev-watchdog [-s] -t MILLISECONDS -p PID\n"
               "       ev-watchdog [-s] -t MILLISECONDS -- PROGRAM [ARGUMENT...]\n"
               "  -t MS  report callbacks that run longer, and waits that end later than their timer by more\n"
               "  -s     report to the system log, as the program (stderr when no log listens)\n"
               "see ev-watchdog(1)\n");
  std::exit(2);
}

void sleep_for(double seconds)
{
  timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  while (nanosleep(&ts, &ts) && errno == EINTR) {
  }
}

// -p PID: the program's libev.so.4 is found in its memory map; its loops,
// those it has and those it makes, are watched until it ends.
int watch_process(pid_t pid, double threshold, report_to to)
{
  std::uintptr_t at = 0;
  // (a program started just now may not have loaded its libev.so.4 yet)
  for (int i = 0; i < 50 && !at && !(kill(pid, 0) && errno == ESRCH); ++i) {
    at = elf_find_anchor(pid);
    if (!at)
      sleep_for(0.1);
  }
  if (!at) {
    std::fprintf(stderr,
                 "ev-watchdog: process %d has no libev-ng libev.so.4 loaded (or one stripped of its symbols and built "
                 "without static probes)\n",
                 static_cast<int>(pid));
    return 1;
  }
  char why[256];
  if (!attach(pid, at, why, sizeof why)) {
    std::fprintf(stderr, "ev-watchdog: %s\n", why);
    return 1;
  }
  watch_all(threshold, to);
  while (look())
    sleep_for(next_pause());
  return 0;
}

// -- PROGRAM: the program runs with LIBEV_NG_WATCHDOG, and its library
// starts this very ev-watchdog (LIBEV_NG_WATCHDOG_PATH) in --library mode.
int run_program(char **argv, double threshold, bool syslog)
{
  char value[64], self[PATH_MAX];
  std::snprintf(value, sizeof value, "%.17g%s", threshold * 1e3, syslog ? ":syslog" : "");
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    setenv("LIBEV_NG_WATCHDOG_PATH", self, 1);
  }
  setenv("LIBEV_NG_WATCHDOG", value, 1);
  execvp(argv[0], argv);
  std::fprintf(stderr, "ev-watchdog: cannot run %s: %s\n", argv[0], std::strerror(errno));
  return 127;
}

// --library: the library's requests come on fd, the replies go back on it;
// the program's end of it closes when the program ends (or execs).
int serve_library(int fd, pid_t pid, std::uintptr_t at, bool syslog)
{
  // (like the old helper: only the program's end, or SIGKILL, ends it)
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  set_reply_fd(fd);
  bool attached = false;
  for (;;) {
    pollfd p = {fd, POLLIN, 0};
    const double pause = attached ? next_pause() : -1;
    const int ready = poll(&p, 1, pause < 0 ? -1 : static_cast<int>(pause * 1e3) + 1);
    if (ready < 0 && errno != EINTR)
      return 1;
    if (ready > 0) {
      watchdog_request rq;
      const ssize_t got = recv(fd, &rq, sizeof rq, 0);
      if (got != static_cast<ssize_t>(sizeof rq))
        return 0;  // the program ended
      if (!attached) {
        // (the first request comes after the program let us read its memory)
        char why[256];
        if (!attach(pid, at, why, sizeof why)) {
          std::fprintf(stderr, "libev-ng watchdog: %s\n", why);
          return 1;
        }
        attached = true;
      }
      switch (rq.ask) {
      case ev_detail::kWatchdogWatch: watch(rq.loop, rq.threshold, rq.tid, report_to::reply); break;
      case ev_detail::kWatchdogWatchLine:
        watch(rq.loop, rq.threshold, rq.tid, syslog ? report_to::syslog_line : report_to::stderr_line);
        break;
      case ev_detail::kWatchdogUnwatch: unwatch(rq.loop); break;
      case ev_detail::kWatchdogLastLook: {
        look();
        watchdog_reply r{};
        r.answer = ev_detail::kWatchdogLooked;
        (void)!send(fd, &r, sizeof r, MSG_NOSIGNAL);
        break;
      }
      default: break;
      }
      continue;
    }
    if (attached && !look())
      return 0;
  }
}

double milliseconds(const char *s)
{
  char *end;
  const double ms = std::strtod(s, &end);
  if (end == s || *end || !(ms > 0) || !std::isfinite(ms))
    usage("-t takes a positive number of milliseconds");
  return ms * 1e-3;
}

}  // namespace

int main(int argc, char **argv)
{
  double threshold = 0;
  bool syslog = false;
  pid_t pid = 0;
  int library_fd = -1;
  std::uintptr_t anchor = 0;
  int i = 1;
  for (; i < argc; ++i) {
    const char *a = argv[i];
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(a, "--")) {
      ++i;
      break;
    } else if (!std::strcmp(a, "-s")) {
      syslog = true;
    } else if (!std::strcmp(a, "-t") && has_value) {
      threshold = milliseconds(argv[++i]);
    } else if (!std::strcmp(a, "-p") && has_value) {
      pid = static_cast<pid_t>(std::atoi(argv[++i]));
    } else if (!std::strcmp(a, "--library") && has_value) {
      library_fd = std::atoi(argv[++i]);
    } else if (!std::strcmp(a, "-a") && has_value) {
      anchor = std::strtoull(argv[++i], nullptr, 0);
    } else if (!std::strcmp(a, "-h") || !std::strcmp(a, "--help")) {
      usage(nullptr);
    } else {
      usage("unknown or incomplete option");
    }
  }
  if (library_fd >= 0) {
    if (pid <= 0 || !anchor)
      usage("--library needs -p and -a");
    return serve_library(library_fd, pid, anchor, syslog);
  }
  if (!(threshold > 0))
    usage("-t MILLISECONDS is required");
  if (i < argc) {
    if (pid)
      usage("-p and a PROGRAM exclude each other");
    return run_program(argv + i, threshold, syslog);
  }
  if (pid <= 0)
    usage("-p PID or -- PROGRAM is required");
  return watch_process(pid, threshold, syslog ? report_to::syslog_line : report_to::stderr_line);
}
