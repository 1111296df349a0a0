/* SPDX-License-Identifier: BSD-2-Clause */
/* t/win32/checks.h - the checks of the Windows smoke programs (t/win32/select_smoke.c,
 * t/win32/ev_io.c), which run under Wine without the harness: each prints "ok N name" or
 * "FAIL N name", counted in checks and failures for main's summary and exit status. */
#ifndef WIN32_CHECKS_H
#define WIN32_CHECKS_H

#include <stdio.h>

static int checks, failures;

static void
check (int ok, const char *name)
{
  ++checks;
  printf ("%s %d %s\n", ok ? "ok" : "FAIL", checks, name);
  if (!ok)
    ++failures;
}

#endif
