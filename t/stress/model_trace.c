/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model_trace.c - the trace of a sequence: every observable value, in order.
 *
 * A line never holds a time, a pointer, a pid or an fd number, only orders, counts, revents
 * and the raw watcher fields libev defines (heap indices, pending slots, priorities), so
 * libev-ng and libev 4.33 must print exactly the same lines.  Lines are printed (-t) or only
 * hashed (FNV-1a, one hash per sequence) for the comparison of many seeds. */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t hash;
static long lines;
static int printing;
/* MODEL_TRACE_FILE=PATH: every trace is also written there (model.sh keeps the batch's
 * traces, so that a difference that does not come back when the seed runs again can still be
 * shown) */
static FILE *trace_file;

void
tr_open (void)
{
  const char *path = getenv ("MODEL_TRACE_FILE");
  if (path && *path && !(trace_file = fopen (path, "w")))
    fprintf (stderr, "MODEL_TRACE_FILE %s: cannot write it\n", path);
}

void
tr_begin (uint64_t seed, int print)
{
  hash = 0xcbf29ce484222325ull;
  lines = 0;
  printing = print;
  if (print)
    printf ("#### seed %llu\n", (unsigned long long)seed);
  if (trace_file)
    fprintf (trace_file, "#### seed %llu\n", (unsigned long long)seed);
}

void
tr_flush (void)
{
  fflush (stdout);
  if (trace_file)
    fflush (trace_file);
}

uint64_t
tr_hash (void)
{
  return hash;
}

long
tr_lines (void)
{
  return lines;
}

void
tr (const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    n = 0;
  if (n > (int)sizeof buf - 2)
    n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  for (int i = 0; i < n; ++i)
    {
      hash ^= (unsigned char)buf[i];
      hash *= 0x100000001b3ull;
    }
  ++lines;
  if (printing)
    fwrite (buf, 1, (size_t)n, stdout);
  if (trace_file)
    fwrite (buf, 1, (size_t)n, trace_file);
}

unsigned
tr_iter (int loop)
{
  const struct mloop *L = &S.loops[loop];
  return ev_iteration (L->l);
}

/* appends " a/p/r" (a decimal int each) without printf: this line is the most frequent */
static char *
put_int (char *p, int v)
{
  char tmp[12];
  int n = 0;
  unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
  do
    tmp[n++] = (char)('0' + u % 10);
  while ((u /= 10));
  if (v < 0)
    *p++ = '-';
  while (n)
    *p++ = tmp[--n];
  return p;
}

void
tr_state (const char *where)
{
  char buf[600];
  int n = snprintf (buf, 64, "state %s:", where);
  char *p = buf + n;
  for (int i = 0; i < S.nall; ++i)
    {
      const ev_watcher *w = &S.w[i].u.w;
      *p++ = ' ';
      p = put_int (p, ev_is_active (w));
      *p++ = '/';
      p = put_int (p, ev_is_pending (w));
      *p++ = '/';
      p = put_int (p, ev_priority (w));
    }
  *p = 0;
  tr ("%s", buf);
  for (int i = 0; i < S.nloops; ++i)
    {
      struct ev_loop *l = S.loops[i].l;
      if (l)
        tr ("  L%d pc=%u it=%u d=%u", i, ev_pending_count (l), tr_iter (i), ev_depth (l));
    }
}
