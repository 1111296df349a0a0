// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/denied.h - why the kernel refuses ev-watchdog a process's
// memory, and what would allow it, for the message it stops with.
//
// Reading another process's memory (process_vm_readv, /proc/PID/mem) takes
// the permission of ptrace(2)'s PTRACE_MODE_ATTACH_REALCREDS: the reader's
// real user and group are the target's (real, effective and saved), the
// target is dumpable, and Yama's ptrace_scope allows it (1: only an
// ancestor, or a process the target named with PR_SET_PTRACER; 2: only
// with CAP_SYS_PTRACE; 3: nobody); CAP_SYS_PTRACE overrides all but scope 3.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace ev_watchdog {

struct denied_facts {
  int yama_scope;       // /proc/sys/kernel/yama/ptrace_scope, -1 without Yama
  bool same_user;       // the target's users and groups are our real ones
  bool cap_sys_ptrace;  // ours, effective
  bool ancestor;        // we are one of the target's ancestors
  long target_uid;      // its effective user, -1 if unknown
  long own_uid;         // our real user
};

// The facts about process pid, as this process sees them.
denied_facts denied_facts_of(pid_t pid);

// The reason the facts give, and what to do about it, in one sentence for
// "ev-watchdog: cannot read process PID's memory: ...".
void explain_denied(const denied_facts &facts, char *text, std::size_t size);

}  // namespace ev_watchdog
