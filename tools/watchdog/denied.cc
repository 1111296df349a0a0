// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/denied.cc - see denied.h.
#include "denied.h"

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ev_watchdog {

namespace {

constexpr int kCapSysPtrace = 19;  // linux/capability.h

// The numbers after `key` in a /proc status file, up to four.
int status_numbers(const char *path, const char *key, unsigned long long *v, int base)
{
  FILE *f = std::fopen(path, "re");
  if (!f)
    return 0;
  char line[256];
  int n = 0;
  const std::size_t len = std::strlen(key);
  while (!n && std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, len) != 0)
      continue;
    char *at = line + len;
    for (char *end; n < 4; ++n, at = end) {
      v[n] = std::strtoull(at, &end, base);
      if (end == at)
        break;
    }
  }
  std::fclose(f);
  return n;
}

pid_t parent_of(pid_t pid)
{
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  unsigned long long v[4];
  return status_numbers(path, "PPid:", v, 10) ? static_cast<pid_t>(v[0]) : 0;
}

}  // namespace

denied_facts denied_facts_of(pid_t pid)
{
  denied_facts f{-1, false, false, false, -1, static_cast<long>(getuid())};
  if (FILE *y = std::fopen("/proc/sys/kernel/yama/ptrace_scope", "re")) {
    if (std::fscanf(y, "%d", &f.yama_scope) != 1)
      f.yama_scope = -1;
    std::fclose(y);
  }
  unsigned long long cap[4];
  f.cap_sys_ptrace = status_numbers("/proc/self/status", "CapEff:", cap, 16) && (cap[0] >> kCapSysPtrace & 1);
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  unsigned long long uid[4], gid[4];
  const bool uids = status_numbers(path, "Uid:", uid, 10) >= 3, gids = status_numbers(path, "Gid:", gid, 10) >= 3;
  if (uids)
    f.target_uid = static_cast<long>(uid[1]);
  f.same_user = uids && gids;
  for (int i = 0; f.same_user && i < 3; ++i)
    f.same_user = uid[i] == getuid() && gid[i] == getgid();
  const pid_t self = getpid();
  for (pid_t p = parent_of(pid), n = 0; p > 1 && n < 4096 && !f.ancestor; p = parent_of(p), ++n)
    f.ancestor = p == self;
  return f;
}

void explain_denied(const denied_facts &f, char *text, std::size_t size)
{
  if (f.yama_scope >= 3) {
    std::snprintf(text, size,
                  "Yama's ptrace_scope is %d, which lets no process read another's memory until the next boot",
                  f.yama_scope);
  } else if (!f.same_user && !f.cap_sys_ptrace) {
    std::snprintf(
        text, size,
        "it runs as user %ld, ev-watchdog as user %ld without CAP_SYS_PTRACE: run ev-watchdog as that user, or "
        "as root",
        f.target_uid, f.own_uid);
  } else if (f.yama_scope == 2 && !f.cap_sys_ptrace) {
    std::snprintf(text, size,
                  "Yama's ptrace_scope is 2, which lets only a process with CAP_SYS_PTRACE read another's memory: run "
                  "ev-watchdog as root, or give it the capability (setcap cap_sys_ptrace+ep ev-watchdog's path)");
  } else if (f.yama_scope == 1 && !f.ancestor && !f.cap_sys_ptrace) {
    std::snprintf(text, size,
                  "Yama's ptrace_scope is 1, which lets only a program's ancestors read its memory: start the program "
                  "under ev-watchdog (ev-watchdog -t MS -- PROGRAM), run ev-watchdog as root or with CAP_SYS_PTRACE, "
                  "or allow it (sysctl kernel.yama.ptrace_scope=0)");
  } else {
    std::snprintf(text, size,
                  "the process is not dumpable (a set-user-ID or set-group-ID program, or one that called "
                  "prctl(PR_SET_DUMPABLE, 0)), or a security module (AppArmor, SELinux) forbids it: run ev-watchdog "
                  "as root");
  }
}

}  // namespace ev_watchdog
