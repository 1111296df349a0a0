// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/follow.cc - see follow.h: the processes followed, how the
// children of their forks are found, and how each one's anchor is found.
#include "follow.h"

#include "denied.h"
#include "elf_symbols.h"
#include "sample.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // the same number on every architecture
#endif

namespace ev_watchdog {

namespace {

struct followed {
  followed *next;
  pid_t pid;
  int pidfd;                 // -1 where the kernel has no pidfds: its end is seen by a failed look
  process *proc;             // its loops, once its anchor is known
  std::uintptr_t inherited;  // its parent's anchor, where a child of a fork has it too
  double recheck_at, step;   // no anchor yet: when to look for one again, and the step after that
  bool given_up;             // another library, or refused: said once, not tried again
  double found;              // when it was found
  bool root;
};

followed *list = nullptr;
pid_t root_pid = 0;
bool adopted = false;
root_state root_now = root_state::waiting;
char root_why[768];
bool discovered_once = false;
long cursor_then = -1, cursor_last = -1;  // the newest process id two rounds ago and one round ago
long pid_max = 4194304;

// A process that has no anchor yet is looked for again after 10 ms, then after twice as long each
// time, at most every second: a wrapper (a shell) may exec a program on libev-ng later, and a
// process without libev-ng costs a read of its map each time.
constexpr double kFirstRecheck = 0.01, kLastRecheck = 1.;

// More process ids than this handed out between two rounds: /proc is read whole instead.
constexpr long kMaxRange = 4096;

followed *find(pid_t pid)
{
  for (followed *f = list; f; f = f->next)
    if (f->pid == pid)
      return f;
  return nullptr;
}

followed *add(pid_t pid, std::uintptr_t inherited, bool root)
{
  auto *f = static_cast<followed *>(std::calloc(1, sizeof(followed)));
  if (!f)
    std::abort();
  f->pid = pid;
  f->pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  f->inherited = inherited;
  f->step = kFirstRecheck;
  f->root = root;
  f->found = monotonic_now();
  f->next = list;
  list = f;
  return f;
}

void drop(followed *gone)
{
  for (followed **link = &list; *link; link = &(*link)->next)
    if (*link == gone) {
      *link = gone->next;
      break;
    }
  if (gone->pidfd >= 0)
    ::close(gone->pidfd);
  std::free(gone);
}

// The process ended at `when`: its last look, then it is forgotten.
void ended(followed *f, double when)
{
  if (f->proc)
    process_end(f->proc, when);
  f->proc = nullptr;
  drop(f);
}

// The thread group and the parent of process id pid, from /proc/PID/status.
bool status_of(long pid, pid_t *tgid, pid_t *ppid)
{
  char path[64], buf[1024];
  std::snprintf(path, sizeof path, "/proc/%ld/status", pid);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0)
    return false;
  buf[n] = 0;
  const char *t = std::strstr(buf, "\nTgid:"), *p = std::strstr(buf, "\nPPid:");
  if (!t || !p)
    return false;
  *tgid = static_cast<pid_t>(std::atol(t + 6));
  *ppid = static_cast<pid_t>(std::atol(p + 6));
  return true;
}

// A process id of /proc: a child of a process followed (or an orphan of the tree, adopted) is
// followed from now on.  True if it was.
bool consider(long pid)
{
  pid_t tgid, ppid;
  if (pid <= 0 || find(static_cast<pid_t>(pid)) || !status_of(pid, &tgid, &ppid) || tgid != pid)
    return false;  // (a thread, whose id is also in /proc, is not a process)
  const followed *parent = find(ppid);
  if (!parent && !(adopted && ppid == getpid()))
    return false;
  followed *f = add(static_cast<pid_t>(pid), parent && parent->proc ? process_anchor(parent->proc) : 0, false);
  f->recheck_at = 0;
  return true;
}

// All of /proc, until no more is found (a child's id may be below its parent's).
void scan_all()
{
  for (int pass = 0; pass < 8; ++pass) {
    DIR *d = opendir("/proc");
    if (!d)
      return;
    bool more = false;
    while (dirent *e = readdir(d))
      if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
        more |= consider(std::atol(e->d_name));
    closedir(d);
    if (!more)
      return;
  }
}

// The newest process id handed out, from /proc/loadavg ("0.00 0.01 0.05 1/123 4567"), or -1.
long newest_pid()
{
  char buf[128];
  const int fd = ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  const char *last = std::strrchr(buf, ' ');
  return last ? std::atol(last + 1) : -1;
}

// The children forked since the round before the last one: the ids the kernel handed out since are
// read, in the order it handed them out (a parent's before its child's).  The range overlaps the
// last round's, since an id is handed out a moment before its process appears in /proc.
void read_pid_max()
{
  if (FILE *f = std::fopen("/proc/sys/kernel/pid_max", "re")) {
    if (std::fscanf(f, "%ld", &pid_max) != 1)
      pid_max = 4194304;
    std::fclose(f);
  }
}

void discover()
{
  const long newest = newest_pid();
  if (!discovered_once || newest < 0) {
    discovered_once = true;
    read_pid_max();
    scan_all();
    cursor_then = cursor_last = newest;
    return;
  }
  const long from = cursor_then;
  cursor_then = cursor_last;
  cursor_last = newest;
  if (newest == from)
    return;
  const long count = ((newest - from) % pid_max + pid_max) % pid_max;
  if (count > kMaxRange) {
    scan_all();
    return;
  }
  for (long i = 1, pid = from; i <= count; ++i) {
    pid = pid + 1 > pid_max ? 1 : pid + 1;
    consider(pid);
  }
}

const char *name_of(pid_t pid, char *buf, std::size_t size)
{
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/comm", static_cast<int>(pid));
  buf[0] = 0;
  if (FILE *f = std::fopen(path, "re")) {
    if (std::fgets(buf, static_cast<int>(size), f))
      buf[std::strcspn(buf, "\n")] = 0;
    std::fclose(f);
  }
  return buf;
}

// A process that cannot be watched: the root's failure, else one line, once.
void give_up(followed *f, const char *why)
{
  f->given_up = true;
  char name[32];
  if (f->root) {
    root_now = root_state::failed;
    std::snprintf(root_why, sizeof root_why, "process %d (%s): %s", static_cast<int>(f->pid),
                  name_of(f->pid, name, sizeof name), why);
    return;
  }
  std::fprintf(stderr, "ev-watchdog: process %d (%s), a child of the program's: %s; its loops are not watched\n",
               static_cast<int>(f->pid), name_of(f->pid, name, sizeof name), why);
}

void refused(followed *f, int error)
{
  char reason[512], why[700];
  explain_denied(denied_facts_of(f->pid), reason, sizeof reason);
  std::snprintf(why, sizeof why, "cannot read its memory (%s): %s", std::strerror(error), reason);
  give_up(f, why);
}

// Looks for the process's anchor: where its parent had it, else in its libev.so.4.
void resolve(followed *f, double now)
{
  char why[512];
  int error = 0;
  attach_result r = attach_result::other_layout;
  if (f->inherited) {
    r = process_attach(f->pid, f->inherited, now, &f->proc, &error, why, sizeof why);
    f->inherited = 0;  // (once: after an exec, it is somewhere else)
  }
  if (r == attach_result::other_layout) {
    char maps[64], libev[256];
    std::snprintf(maps, sizeof maps, "/proc/%d/maps", static_cast<int>(f->pid));
    // (opening the map takes the permission of reading the process, which access(2) does not ask)
    const int fd = ::open(maps, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
      ::close(fd);
    else if (errno != ENOENT) {
      if (f->root)
        refused(f, errno);
      else
        f->given_up = true;  // (a set-user-ID child, say: whether it has libev-ng cannot be told)
      return;
    }
    const std::uintptr_t at = elf_find_anchor(f->pid, libev, sizeof libev);
    if (at) {
      r = process_attach(f->pid, at, 0, &f->proc, &error, why, sizeof why);
    } else if (libev[0]) {
      std::snprintf(why, sizeof why,
                    "its %s has no libev-ng probe anchor: it is libev itself (Debian's libev4, say), or a libev-ng "
                    "stripped of its symbols and built without static probes; run the program on libev-ng's "
                    "libev.so.4 (install libev-ng, or LD_LIBRARY_PATH=its folder)",
                    libev);
      give_up(f, why);
      return;
    } else {
      f->recheck_at = now + f->step;  // (none loaded yet)
      f->step = std::min(kLastRecheck, f->step * 2);
      return;
    }
  }
  switch (r) {
  case attach_result::watched_ok:
    if (f->root)
      root_now = root_state::followed_ok;
    break;
  case attach_result::gone: break;  // (its pidfd, or the next round, says so)
  case attach_result::denied: refused(f, error); break;
  case attach_result::other_layout: give_up(f, why); break;
  }
}

bool alive(const followed *f) { return !(kill(f->pid, 0) && errno == ESRCH); }

}  // namespace

void follow_mark()
{
  // (every process the program makes gets a later id: no scan of /proc needed)
  read_pid_max();
  cursor_then = cursor_last = newest_pid();
  discovered_once = cursor_last >= 0;
}

void follow_start(pid_t pid, bool adopt)
{
  root_pid = pid;
  adopted = adopt;
  add(pid, 0, true);
}

double follow_round(root_state *root, char *why, std::size_t why_size)
{
  const double now = monotonic_now();
  discover();
  double pause = process_next_pause(nullptr);
  for (followed *f = list, *next; f; f = next) {
    next = f->next;
    if (f->proc && !process_look(f->proc)) {
      // Ended, or replaced its program: what ran until now is reported, and an exec'd
      // program's anchor is looked for again.
      process_end(f->proc, now);
      f->proc = nullptr;
      f->step = kFirstRecheck;
      f->recheck_at = now;
      if (!alive(f)) {
        ended(f, now);
        continue;
      }
    }
    if (f->pidfd < 0 && !f->proc && !alive(f)) {
      ended(f, now);
      continue;
    }
    if (!f->proc && !f->given_up && now >= f->recheck_at)
      resolve(f, now);
    if (f->proc)
      pause = std::min(pause, process_next_pause(f->proc));
    else if (!f->given_up)
      pause = std::min(pause, std::max(0., f->recheck_at - now));
  }
  *root = root_now;
  if (root_now == root_state::failed)
    std::snprintf(why, why_size, "%s", root_why);
  return pause;
}

int follow_poll_fds(pollfd *fds, int max)
{
  int n = 0;
  for (const followed *f = list; f && n < max; f = f->next)
    if (f->pidfd >= 0)
      fds[n++] = pollfd{f->pidfd, POLLIN, 0};
  return n;
}

void follow_ended(const pollfd *fds, int n)
{
  const double now = monotonic_now();
  for (int i = 0; i < n; ++i) {
    if (!fds[i].revents)
      continue;
    for (followed *f = list; f; f = f->next)
      if (f->pidfd == fds[i].fd) {
        ended(f, now);
        break;
      }
  }
}

bool follow_watching()
{
  const double now = monotonic_now();
  for (const followed *f = list; f; f = f->next)
    if (f->proc || (!f->given_up && now - f->found < kLastRecheck))
      return true;
  return false;
}

}  // namespace ev_watchdog
