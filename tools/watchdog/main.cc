// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/main.cc - ev-watchdog(1): the watchdog of libev-ng's
// loops, a program beside the library (sample.h says how it watches a
// process, follow.h which processes it watches).
//
//   ev-watchdog [-s] -t MS -- PROGRAM [ARGS]  run PROGRAM, as its parent, and watch it
//   ev-watchdog [-s] -t MS -p PID             watch the loops of a running program
//
// Either way it follows the children the program forks.  The program
// waits for nothing of ev-watchdog's: its forks and exits take as long as
// without it, and it runs no code of the watchdog's.
#include "follow.h"
#include "sample.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace ev_watchdog;

namespace {

[[noreturn]] void usage(const char *why)
{
  if (why)
    std::fprintf(stderr, "ev-watchdog: %s\n", why);
  std::fprintf(stderr,
               "usage: ev-watchdog [-s] -t MILLISECONDS -- PROGRAM [ARGUMENT...]\n"
               "       ev-watchdog [-s] -t MILLISECONDS -p PID\n"
               "  -t MS  report callbacks that run longer, and waits that end later than their timer by more\n"
               "  -s     report to the system log, as the program (stderr when no log listens)\n"
               "see ev-watchdog(1)\n");
  std::exit(2);
}

double milliseconds(const char *s)
{
  char *end;
  const double ms = std::strtod(s, &end);
  if (end == s || *end || !(ms > 0) || !std::isfinite(ms)) {
    char why[200];
    std::snprintf(why, sizeof why, "-t %.60s is not a positive number of milliseconds", s);
    usage(why);
  }
  return ms * 1e-3;
}

// The signals passed on to the program, as a shell's job would get them: those sent to
// ev-watchdog by a process (kill, a supervisor, timeout(1)); a terminal sends its own to the
// program's process group, which the program is in.
constexpr int kPassedOn[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

// How ev-watchdog ends when the program has: with its status.
[[noreturn]] void end_as(int status)
{
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const rlimit none{0, 0};
    setrlimit(RLIMIT_CORE, &none);  // (the program's core is the one that counts)
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, nullptr);
    raise(sig);
    std::exit(128 + sig);
  }
  std::exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

// The rounds of looks, until the processes watched have ended.  program: the child ev-watchdog
// runs (0 when it attached to root); sfd: its signals.
int watch(pid_t root, pid_t program, int sfd)
{
  const double wait_for_library = monotonic_now() + 5.;  // (-p: a program that starts may load it late)
  bool reaped = false, ever_followed = false;
  int status = 0;
  for (;;) {
    root_state state;
    char why[800];
    const double pause = follow_round(&state, why, sizeof why);
    ever_followed |= state == root_state::followed_ok;
    if (state == root_state::failed) {
      std::fprintf(stderr, "ev-watchdog: %s\n", why);
      if (program && !reaped) {
        // It was started to be watched, and ends rather than run unwatched.
        kill(program, SIGKILL);
        while (waitpid(program, nullptr, 0) < 0 && errno == EINTR) {
        }
      }
      return 1;
    }
    if (program) {
      if (reaped && !follow_watching())
        end_as(status);
    } else if (kill(root, 0) && errno == ESRCH && !follow_watching()) {
      if (ever_followed)
        return 0;
      std::fprintf(stderr, "ev-watchdog: process %d ended before its loops could be read\n", static_cast<int>(root));
      return 1;
    } else if (state == root_state::waiting && monotonic_now() > wait_for_library) {
      std::fprintf(stderr,
                   "ev-watchdog: process %d has loaded no libev.so.4 in 5 s: ev-watchdog watches the loops of "
                   "programs on libev-ng's libev.so.4\n",
                   static_cast<int>(root));
      return 1;
    }
    pollfd fds[256];
    int n = 0;
    if (sfd >= 0)
      fds[n++] = pollfd{sfd, POLLIN, 0};
    const int first_pidfd = n;
    n += follow_poll_fds(fds + n, static_cast<int>(sizeof fds / sizeof fds[0]) - n);
    const int ready = poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::ceil(pause * 1e3)));
    if (ready <= 0)
      continue;
    follow_ended(fds + first_pidfd, n - first_pidfd);
    if (sfd < 0 || !(fds[0].revents & POLLIN))
      continue;
    signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGCHLD) {
        // Our children: the program, and orphans of its tree that came to us (the subreaper).
        int st;
        for (pid_t gone; (gone = waitpid(-1, &st, WNOHANG)) > 0;)
          if (gone == program)
            reaped = true, status = st;
      } else if (reaped) {
        end_as(status);  // (asked to end, with the program gone and a child of it still watched)
      } else if (si.ssi_code != SI_KERNEL) {
        kill(program, static_cast<int>(si.ssi_signo));
      }
    }
  }
}

// -- PROGRAM: ev-watchdog forks and execs it, and stays its parent: an ancestor may read a
// program's memory where Yama's ptrace_scope is 1, and as the subreaper of the tree it still
// finds and may read the children a daemon leaves when its first process exits.
int run_program(char **argv)
{
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (int sig : kPassedOn)
    sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, &old);
  const int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int told[2];
  if (sfd < 0 || pipe2(told, O_CLOEXEC)) {
    std::perror("ev-watchdog");
    return 1;
  }
  follow_mark();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("ev-watchdog: fork");
    return 1;
  }
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    execvp(argv[0], argv);
    const int error = errno;
    (void)!write(told[1], &error, sizeof error);
    _exit(127);
  }
  close(told[1]);
  int error = 0;
  ssize_t got;
  while ((got = read(told[0], &error, sizeof error)) < 0 && errno == EINTR) {
  }
  close(told[0]);
  if (got == static_cast<ssize_t>(sizeof error)) {
    std::fprintf(stderr, "ev-watchdog: cannot run %s: %s\n", argv[0], std::strerror(error));
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return error == ENOENT ? 127 : 126;
  }
  signal(SIGPIPE, SIG_IGN);  // (a report to a closed stderr must not end the watch)
  follow_start(pid, true);
  return watch(pid, pid, sfd);
}

int attach(pid_t pid)
{
  if (kill(pid, 0) && errno == ESRCH) {
    std::fprintf(stderr, "ev-watchdog: no process %d (it has ended, or the number is wrong)\n", static_cast<int>(pid));
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  follow_start(pid, false);
  return watch(pid, 0, -1);
}

}  // namespace

int main(int argc, char **argv)
{
  double threshold = 0;
  bool syslog = false;
  long pid = 0;
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
      char *end;
      pid = std::strtol(argv[++i], &end, 10);
      if (*end || pid <= 0 || pid > INT_MAX)
        usage("-p takes a process id");
    } else if (!std::strcmp(a, "-h") || !std::strcmp(a, "--help")) {
      usage(nullptr);
    } else {
      usage("unknown or incomplete option");
    }
  }
  if (!(threshold > 0))
    usage("-t MILLISECONDS is required");
  set_rules(watch_rules{threshold, syslog});
  if (i < argc) {
    if (pid)
      usage("-p and a PROGRAM exclude each other");
    return run_program(argv + i);
  }
  if (!pid)
    usage("-p PID or -- PROGRAM is required");
  return attach(static_cast<pid_t>(pid));
}
