// SPDX-License-Identifier: BSD-2-Clause
// t/unit/watchdog_denied_test.cc - ev-watchdog(1), DIAGNOSTICS: the reason its message gives when
// the kernel refuses it a program's memory, and what to do, for each case tools/watchdog/denied.h
// tells apart (t/observe/watchdog_attach.sh meets those this machine has).
#include "tools/watchdog/denied.h"

#include <cstring>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>  // after the headers it needs
}

using namespace ev_watchdog;

namespace {

bool says(const denied_facts &f, const char *what)
{
  char text[512];
  explain_denied(f, text, sizeof text);
  if (std::strstr(text, what))
    return true;
  print_error("expected \"%s\" in: %s\n", what, text);
  return false;
}

constexpr denied_facts kSameUser{-1, true, false, false, 1000, 1000};

void watchdog_denied__another_user_without_the_capability(void **)
{
  denied_facts f = kSameUser;
  f.same_user = false;
  f.target_uid = 0;
  assert_true(says(f, "it runs as user 0, ev-watchdog as user 1000 without CAP_SYS_PTRACE"));
  assert_true(says(f, "run ev-watchdog as that user, or as root"));
}

void watchdog_denied__yama_1_not_an_ancestor(void **)
{
  denied_facts f = kSameUser;
  f.yama_scope = 1;
  assert_true(says(f, "Yama's ptrace_scope is 1"));
  assert_true(says(f, "ev-watchdog -t MS -- PROGRAM"));
  assert_true(says(f, "kernel.yama.ptrace_scope=0"));
}

void watchdog_denied__yama_2_without_the_capability(void **)
{
  denied_facts f = kSameUser;
  f.yama_scope = 2;
  f.ancestor = true;  // (an ancestor is no exception at 2)
  assert_true(says(f, "Yama's ptrace_scope is 2"));
  assert_true(says(f, "setcap cap_sys_ptrace+ep"));
}

void watchdog_denied__yama_3_for_everyone(void **)
{
  denied_facts f = kSameUser;
  f.yama_scope = 3;
  f.cap_sys_ptrace = true;
  assert_true(says(f, "Yama's ptrace_scope is 3"));
  assert_true(says(f, "until the next boot"));
}

void watchdog_denied__allowed_by_all_that_is_known(void **)
{
  denied_facts f = kSameUser;
  f.yama_scope = 1;
  f.ancestor = true;
  assert_true(says(f, "not dumpable"));
  f = kSameUser;
  f.same_user = false;
  f.cap_sys_ptrace = true;
  assert_true(says(f, "not dumpable"));
}

}  // namespace

int main()
{
  const CMUnitTest tests[] = {
      cmocka_unit_test(watchdog_denied__another_user_without_the_capability),
      cmocka_unit_test(watchdog_denied__yama_1_not_an_ancestor),
      cmocka_unit_test(watchdog_denied__yama_2_without_the_capability),
      cmocka_unit_test(watchdog_denied__yama_3_for_everyone),
      cmocka_unit_test(watchdog_denied__allowed_by_all_that_is_known),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
