/* SPDX-License-Identifier: BSD-2-Clause */
/* memory.c - see memory.h */
#include "memory.h"
#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long
status_kb (const char *key)
{
  FILE *f = fopen ("/proc/self/status", "r");
  CHECK (f, "/proc/self/status");
  char line[256];
  long kb = -1;
  size_t len = strlen (key);
  while (fgets (line, sizeof line, f))
    if (!strncmp (line, key, len) && line[len] == ':')
      {
        sscanf (line + len + 1, "%ld", &kb);
        break;
      }
  fclose (f);
  if (kb < 0)
    die ("no %s in /proc/self/status", key);
  return kb;
}

long
mem_baseline (void)
{
  /* "5" resets the peak resident set size (Linux >= 4.0) */
  int fd = open ("/proc/self/clear_refs", O_WRONLY);
  if (fd >= 0)
    {
      if (write (fd, "5", 1) != 1)
        info ("memory", "cannot reset VmHWM; the peak includes earlier allocations");
      close (fd);
    }
  return status_kb ("VmRSS") * 1024;
}

long
mem_peak (void)
{
  return status_kb ("VmHWM") * 1024;
}

void
mem_report (const char *what, long count, long baseline)
{
  char label[48];
  const char *unit = !strcmp (what, "timers") ? "B/timer" : "B/watcher";
  fmt_label (label, sizeof label, "memory/%s/%s=%ld", what, !strcmp (what, "timers") ? "M" : "N", count);
  metric_add (label, (double)(mem_peak () - baseline), (double)count, unit);
}
