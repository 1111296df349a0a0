/* SPDX-License-Identifier: BSD-2-Clause */
/* t/proc_status.h - one number from /proc/PID/status ("FDSize", "VmRSS", "VmData",
 * "voluntary_ctxt_switches", ...), for the tests and the stress programs alike (header only:
 * the stress programs are also built without the test harness, against the real libev). */
#ifndef LIBEV_NG_T_PROC_STATUS_H
#define LIBEV_NG_T_PROC_STATUS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* The value of `field` for process pid (0: this process), or -1 if there is none. */
static inline long
proc_status_field (pid_t pid, const char *field)
{
  char path[64], line[256];
  size_t n = strlen (field);
  long value = -1;
  if (pid)
    snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
  else
    snprintf (path, sizeof path, "/proc/self/status");
  FILE *f = fopen (path, "r");
  while (f && fgets (line, sizeof line, f))
    if (!strncmp (line, field, n) && line[n] == ':')
      {
        value = strtol (line + n + 1, NULL, 10);
        break;
      }
  if (f)
    fclose (f);
  return value;
}

#endif
