// SPDX-License-Identifier: BSD-2-Clause
// diag/watchdog.cc - starting ev-watchdog, asking it, and handing its reports to the callbacks.
#include "diag/watchdog.h"

#include "base/env.h"
#include "diag/probe_anchor.h"
#include "diag/watchdog_wire.h"

#include <cerrno>

#if EV_NG_HAVE_PROCESS_VM_READV
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#ifndef EV_NG_WATCHDOG_PATH
#define EV_NG_WATCHDOG_PATH "/usr/lib/libev-ng/ev-watchdog"
#endif

extern char **environ;

namespace ev_detail {

namespace {

using report_fn = void (*)(const ev_watchdog_report *, void *);

// A loop of ev_watchdog_start with a report callback.
struct reporting {
  reporting *next;
  ev_loop *loop;
  report_fn report;
  void *data;
};

constinit pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
constinit pthread_cond_t looked = PTHREAD_COND_INITIALIZER;
constinit pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
// The program started by `helper_owner`, and our end of its socket, recognised by its inode, since
// a program such as a daemon may close every descriptor and reuse the number.
constinit pid_t helper_pid = 0, helper_owner = 0;
constinit int helper_fd = -1;
constinit ino_t helper_inode = 0;
constinit std::atomic<bool> helper_started{false};  // ever: loop destruction looks further only then
constinit bool helper_to_syslog = false;
constinit bool env_watching = false;  // LIBEV_NG_WATCHDOG asked for, with env_threshold
constinit double env_threshold = 0;
constinit reporting *reporting_loops = nullptr;
constinit bool reader_running = false;
constinit pthread_t reader_thread;
constinit unsigned looks_answered = 0;

pid_t current_tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

void say(const char *line) { (void)!::write(STDERR_FILENO, line, std::strlen(line)); }

const char *helper_path()
{
  const char *p = env_get("LIBEV_NG_WATCHDOG_PATH");
  return p && *p ? p : EV_NG_WATCHDOG_PATH;
}

bool helper_ours()
{
  struct stat st;
  return helper_pid && helper_owner == getpid() && fstat(helper_fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
         st.st_ino == helper_inode;
}

// With the lock held: ev-watchdog runs, and helper_fd is its socket.  It is made with two bare
// clone(2)s: no fork handler of the program runs, no signal tells of an end, and only system calls
// run before the exec, so a lock another thread holds does not matter.  The first makes the second
// and ends at once, reaped here with __WALL since it exits without a signal.  So ev-watchdog is
// nobody's child in the program's tree, and whoever counts the program's children sees no stranger.
// It ends when the program's end of its socket closes, keeps no fd of the program's but stderr, and
// may read the program's memory (PR_SET_PTRACER, for Yama's ptrace_scope 1).
bool start_helper()
{
  if (helper_ours()) {
    pollfd p = {helper_fd, 0, 0};
    if (!(poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))))
      return true;
    ::close(helper_fd);  // it ended: made again
  }
  helper_pid = 0;
  helper_fd = -1;
  const char *path = helper_path();
  if (access(path, X_OK)) {
    char line[400];
    std::snprintf(line, sizeof line, "libev-ng watchdog: cannot start %.300s: %s; no loop is watched\n", path,
                  std::strerror(errno));
    say(line);
    return false;
  }
  char pid_arg[24], anchor_arg[24];
  std::snprintf(pid_arg, sizeof pid_arg, "%d", static_cast<int>(getpid()));
  std::snprintf(anchor_arg, sizeof anchor_arg, "%p", static_cast<void *>(&libev_ng_probe_anchor));
  const char *argv[] = {
      "ev-watchdog", "--library", "3", "-p", pid_arg, "-a", anchor_arg, helper_to_syslog ? "-s" : nullptr, nullptr};
  char failed[400];
  std::snprintf(failed, sizeof failed, "libev-ng watchdog: cannot run %.300s; no loop is watched\n", path);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
    return false;
  const long first = syscall(SYS_clone, 0L, nullptr, nullptr, nullptr, nullptr);
  if (first == 0) {
    const long pid = syscall(SYS_clone, 0L, nullptr, nullptr, nullptr, nullptr);
    if (pid != 0) {
      const pid_t helper = static_cast<pid_t>(pid > 0 ? pid : 0);
      (void)!send(sv[1], &helper, sizeof helper, MSG_NOSIGNAL);
      _exit(0);
    }
    // fd 3: above stdin, stdout and stderr, below every other
    if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) != 0 : dup2(sv[1], 3) != 3)
      _exit(127);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0)
      dup2(null, 0), dup2(null, 1);
    else
      ::close(0), ::close(1);
    if (syscall(SYS_close_range, 4u, ~0u, 0u))
      for (int fd = 4; fd < 65536; ++fd)
        ::close(fd);
    execve(path, const_cast<char *const *>(argv), environ);
    say(failed);
    _exit(127);
  }
  ::close(sv[1]);
  pid_t helper = 0;
  if (first > 0) {
    while (waitpid(static_cast<pid_t>(first), nullptr, __WALL) < 0 && errno == EINTR) {
    }
    pollfd p = {sv[0], POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0 || ::recv(sv[0], &helper, sizeof helper, 0) != sizeof helper)
      helper = 0;
  }
  struct stat st;
  if (helper <= 0 || fstat(sv[0], &st)) {
    ::close(sv[0]);
    return false;
  }
  prctl(PR_SET_PTRACER, helper, 0, 0, 0);
  helper_pid = helper;
  helper_owner = getpid();
  helper_fd = sv[0];
  helper_inode = st.st_ino;
  helper_started.store(true, std::memory_order_relaxed);
  return true;
}

// With the lock held.
void ask(int what, ev_loop *loop, double threshold)
{
  watchdog_request rq{what, current_tid(), loop, threshold};
  (void)!send(helper_fd, &rq, sizeof rq, MSG_NOSIGNAL);
}

void deliver(const watchdog_reply &r)
{
  report_fn fn = nullptr;
  void *data = nullptr;
  pthread_mutex_lock(&lock);
  for (reporting *l = reporting_loops; l; l = l->next)
    if (l->loop == r.loop)
      fn = l->report, data = l->data;
  pthread_mutex_unlock(&lock);
  if (!fn)
    return;
  ev_watchdog_report out{};
  out.size = sizeof out;
  out.kind = r.kind;
  out.loop = r.loop;
  out.watcher = r.watcher;
  out.events = r.events;
  out.priority = r.priority;
  out.cb = r.cb;
  out.symbol = r.symbol[0] ? r.symbol : nullptr;
  out.module = r.module[0] ? r.module : nullptr;
  out.offset = r.offset;
  out.duration = r.duration;
  out.threshold = r.threshold;
  out.text = r.text;
  fn(&out, data);
}

// The thread of ev_watchdog_start's reports: it receives them and calls the callbacks.
void *read_reports(void *arg)
{
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
  watchdog_reply r;
  while (::recv(fd, &r, sizeof r, 0) == static_cast<ssize_t>(sizeof r)) {
    if (r.answer == kWatchdogReport) {
      deliver(r);
    } else if (r.answer == kWatchdogLooked) {
      pthread_mutex_lock(&lock);
      ++looks_answered;
      pthread_cond_broadcast(&looked);
      pthread_mutex_unlock(&lock);
    }
  }
  pthread_mutex_lock(&lock);
  if (pthread_equal(reader_thread, pthread_self()))
    reader_running = false;
  pthread_mutex_unlock(&lock);
  return nullptr;
}

// With the lock held.  The thread starts with all signals blocked, left to the program's threads.
void start_reader()
{
  if (reader_running)
    return;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  reader_running = pthread_create(&reader_thread, &attr, read_reports,
                                  reinterpret_cast<void *>(static_cast<std::intptr_t>(helper_fd))) == 0;
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// At exit, a callback that ran until then, the last before ev_run returned and the program ended
// or one that called exit, is reported still: ev-watchdog is asked for a last look, and waited for
// half a second at most.  Its reports come to the thread of reports, or, where there is none, are
// read here.  They are not delivered where a report callback called exit, lest it be entered again.
void last_look()
{
  pthread_mutex_lock(&lock);
  if (!helper_ours()) {
    pthread_mutex_unlock(&lock);
    return;
  }
  ask(kWatchdogLastLook, nullptr, 0);
  const int fd = helper_fd;
  const unsigned before = looks_answered;
  const bool on_reader = reader_running && pthread_equal(reader_thread, pthread_self());
  if (reader_running && !on_reader) {
    timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 500000000L;
    if (until.tv_nsec >= 1000000000L)
      until.tv_sec += 1, until.tv_nsec -= 1000000000L;
    while (looks_answered == before && pthread_cond_timedwait(&looked, &lock, &until) == 0) {
    }
    pthread_mutex_unlock(&lock);
    return;
  }
  pthread_mutex_unlock(&lock);
  watchdog_reply r;
  pollfd p = {fd, POLLIN, 0};
  while (poll(&p, 1, 500) > 0 && ::recv(fd, &r, sizeof r, 0) == static_cast<ssize_t>(sizeof r) &&
         r.answer != kWatchdogLooked)
    if (!on_reader)
      deliver(r);
}

// Around a fork: the child must not inherit a held lock.  The child is another process, which the
// parent's ev-watchdog does not watch: where LIBEV_NG_WATCHDOG asked for every loop, its own is
// started for its loops; ev_watchdog_start's loops are the child's to watch again.
void lock_before_fork() { pthread_mutex_lock(&lock); }
void unlock_in_parent() { pthread_mutex_unlock(&lock); }
void start_in_child()
{
  pthread_mutex_init(&lock, nullptr);
  pthread_cond_init(&looked, nullptr);
  reader_running = false;
  while (reporting *l = reporting_loops) {
    reporting_loops = l->next;
    ev_free(l);
  }
  if (env_watching && start_helper())
    for (ev_loop *loop = libev_ng_probe_anchor.loops; loop; loop = loop->fork_next)
      ask(kWatchdogWatchLine, loop, env_threshold);
}

void install_handlers()
{
  pthread_atfork(lock_before_fork, unlock_in_parent, start_in_child);
  atexit(last_look);
}

}  // namespace

// LIBEV_NG_WATCHDOG=MS[:syslog]: every loop of the program is watched, as with LIBEV_NG_DEBUG also
// one made with EVFLAG_NOENV, which only keeps LIBEV_FLAGS from choosing its backend: the watchdog
// changes nothing the program sees.  Not for set-user-ID programs (base/env.h).
void watchdog_from_env(ev_loop *loop)
{
  const char *env = env_get("LIBEV_NG_WATCHDOG");
  if (!env || !*env)
    return;
  char *end;
  const double ms = std::strtod(env, &end);
  const bool to_syslog = std::strcmp(end, ":syslog") == 0;
  if (!(ms > 0.) || !std::isfinite(ms) || (*end && !to_syslog)) {
    static std::atomic<bool> told{false};
    if (!told.exchange(true)) {
      char line[200];
      std::snprintf(line, sizeof line,
                    "libev-ng watchdog: LIBEV_NG_WATCHDOG=%.60s is not MILLISECONDS[:syslog]; ignored\n", env);
      say(line);
    }
    return;
  }
  pthread_once(&handlers_once, install_handlers);
  pthread_mutex_lock(&lock);
  static bool failed = false;  // said once
  if (!failed) {
    env_watching = true;
    env_threshold = ms * 1e-3;
    helper_to_syslog = to_syslog;
    if (start_helper())
      ask(kWatchdogWatchLine, loop, env_threshold);
    else
      failed = true;
  }
  pthread_mutex_unlock(&lock);
}

void watchdog_loop_destroy(ev_loop *loop)
{
  if (!helper_started.load(std::memory_order_relaxed))
    return;
  pthread_mutex_lock(&lock);
  for (reporting **link = &reporting_loops; *link; link = &(*link)->next)
    if ((*link)->loop == loop) {
      reporting *gone = *link;
      *link = gone->next;
      ev_free(gone);
      break;
    }
  if (helper_ours())
    ask(kWatchdogUnwatch, loop, 0);
  pthread_mutex_unlock(&lock);
}

}  // namespace ev_detail

using namespace ev_detail;

extern "C" {

int ev_watchdog_start(EV_P_ ev_tstamp threshold, void (*report)(const struct ev_watchdog_report *r, void *data),
                      void *data) noexcept
{
  if (!(threshold > 0.) || !std::isfinite(threshold))
    usage_error("ev_watchdog_start", "threshold", threshold,
                "libev: ev_watchdog_start called with a threshold that is not a positive number of seconds");
  pthread_once(&handlers_once, install_handlers);
  pthread_mutex_lock(&lock);
  if (!start_helper()) {
    pthread_mutex_unlock(&lock);
    errno = ENOENT;
    return -1;
  }
  reporting *l = reporting_loops;
  while (l && l->loop != loop)
    l = l->next;
  if (report && !l) {
    l = static_cast<reporting *>(ev_realloc(nullptr, sizeof(reporting)));
    l->loop = loop;
    l->next = reporting_loops;
    reporting_loops = l;
  }
  if (l) {
    l->report = report;
    l->data = data;
  }
  if (report)
    start_reader();
  ask(report ? kWatchdogWatch : kWatchdogWatchLine, loop, threshold);
  pthread_mutex_unlock(&lock);
  return 0;
}

void ev_watchdog_stop(EV_P) noexcept
{
  pthread_mutex_lock(&lock);
  for (reporting **link = &reporting_loops; *link; link = &(*link)->next)
    if ((*link)->loop == loop) {
      reporting *gone = *link;
      *link = gone->next;
      ev_free(gone);
      break;
    }
  if (helper_ours())
    ask(kWatchdogUnwatch, loop, 0);
  pthread_mutex_unlock(&lock);
}

}  // extern "C"

#else  // no way to watch a loop from outside it

namespace ev_detail {
void watchdog_from_env(ev_loop *) {}
void watchdog_loop_destroy(ev_loop *) {}
}  // namespace ev_detail

extern "C" {

int ev_watchdog_start(EV_P_ ev_tstamp, void (*)(const struct ev_watchdog_report *, void *), void *) noexcept
{
#if EV_MULTIPLICITY
  (void)loop;
#endif
  errno = ENOSYS;
  return -1;
}

void ev_watchdog_stop(EV_P) noexcept
{
#if EV_MULTIPLICITY
  (void)loop;
#endif
}

}  // extern "C"

#endif
