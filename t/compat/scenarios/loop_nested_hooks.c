/* SPDX-License-Identifier: BSD-2-Clause */
/* Prepare, check and idle watchers are queued a whole array at a time (libev-ng keeps
 * such a batch unwritten while it is invoked).  A nested ev_run from one of their
 * callbacks queues the same watchers again while the outer batch is half done: the
 * ones still pending only get their revents merged, the one being invoked is queued
 * anew on top, and the nested pass takes the rest of the outer batch with it.  Last,
 * the nested run is left by a longjmp from its first callback: the outer pass must
 * invoke what is left exactly once.  The trace shows the order, the depth, the pending
 * count and each watcher's state at every callback; the two idle watchers have
 * different priorities. */
#include "scenario.h"

#include <setjmp.h>

static ev_prepare prep[3];
static ev_check chk[3];
static ev_idle idl[2];
static int nest_at;  /* 0: none, 1: from P1, 2: from C1, 3: from I1, 4: from C1, left by longjmp */
static int nested;
static jmp_buf leave_nested;

static void
states (void)
{
  char s[32];
  int n = 0;
  for (int i = 0; i < 3; ++i)
    {
      s[n++] = (char)('0' + B (ev_is_pending (&prep[i])));
      s[n++] = (char)('0' + B (ev_is_pending (&chk[i])));
    }
  for (int i = 0; i < 2; ++i)
    s[n++] = (char)('0' + B (ev_is_pending (&idl[i])));
  s[n] = 0;
  T ("  pending prep/chk pairs and idles: %s", s);
}

static void
cb (struct ev_loop *loop, ev_watcher *w, int revents)
{
  const char *name = (const char *)w->data;
  T ("%s revents=0x%x depth %d pending count %u", name, revents, ev_depth (loop),
     ev_pending_count (loop));
  states ();
  if (nested == 2)
    {
      nested = 3;
      T ("%s: longjmp out of the nested run", name);
      longjmp (leave_nested, 1);
    }
  int kind = revents & EV_PREPARE ? 1 : revents & EV_CHECK ? 2 : 3;
  if (!nested && kind == (nest_at == 4 ? 2 : nest_at) && name[1] == '1')
    {
      nested = nest_at == 4 ? 2 : 1;
      T ("%s: nested NOWAIT run", name);
      if (!setjmp (leave_nested))
        ev_run (loop, EVRUN_NOWAIT);
      T ("%s: back, depth %d pending count %u", name, ev_depth (loop), ev_pending_count (loop));
      nested = 0;
    }
}

static void
scenario (void)
{
  static const char *pn[] = { "P0", "P1", "P2" }, *cn[] = { "C0", "C1", "C2" }, *in[] = { "I0", "I1" };
  struct ev_loop *loop = sc_loop_new (0);

  for (int i = 0; i < 3; ++i)
    {
      ev_prepare_init (&prep[i], (void (*) (struct ev_loop *, ev_prepare *, int))cb);
      prep[i].data = (void *)pn[i];
      ev_prepare_start (loop, &prep[i]);
      ev_check_init (&chk[i], (void (*) (struct ev_loop *, ev_check *, int))cb);
      chk[i].data = (void *)cn[i];
      ev_check_start (loop, &chk[i]);
    }
  for (int i = 0; i < 2; ++i)
    {
      ev_idle_init (&idl[i], (void (*) (struct ev_loop *, ev_idle *, int))cb);
      idl[i].data = (void *)in[i];
      ev_set_priority (&idl[i], i);
      ev_idle_start (loop, &idl[i]);
    }
  static const char *from[] = { "nowhere", "P1", "C1", "I1", "C1, left by longjmp" };
  for (nest_at = 0; nest_at <= 4; ++nest_at)
    {
      T ("-- nested run from %s", from[nest_at]);
      ev_run (loop, EVRUN_NOWAIT);
      T ("outer run done, depth %d pending count %u", ev_depth (loop), ev_pending_count (loop));
    }
  for (int i = 0; i < 3; ++i)
    {
      ev_prepare_stop (loop, &prep[i]);
      ev_check_stop (loop, &chk[i]);
    }
  for (int i = 0; i < 2; ++i)
    ev_idle_stop (loop, &idl[i]);
  ev_loop_destroy (loop);
}
