/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model-findings/s04-embed-fed-event-sweep.c - found by t/stress/model -S -b io_uring
 * (seed 12718: "w2 (embed, L0): called with 0x10000, but nothing was due"), a defect of
 * libev-ng, fixed: an embedded loop that ever had a stream was swept by its embedding loop's
 * prepare pass (EV_EMBED) whenever it had any event pending, also one the program fed it with
 * ev_feed_event, which in a loop without streams, as in libev, waits for the embedded loop's next
 * run.  The sweep is for what the streams' flush step left after a pass (finding s01).  An inner
 * loop whose stream was started and stopped, an idle watcher of it fed EV_CUSTOM, three
 * non-blocking runs of the outer loop: printed before the fix "embed callbacks 3, inner pending
 * 1".  Fixed: the sweep looks at what a flush step fed (fd/stream.h streams_left_for_next_pass).
 * (libev 4.33 has no streams: this program is built against libev-ng only.)
 * Expect: embed callbacks 0, inner pending 1
 * Status: fixed */
#include <ev.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int calls;

static void
embed_cb (struct ev_loop *l, ev_embed *w, int revents)
{
  (void)l;
  (void)w;
  (void)revents;
  ++calls;
}

static void
idle_cb (struct ev_loop *l, ev_idle *w, int revents)
{
  (void)l;
  (void)w;
  (void)revents;
}

static void
stream_cb (struct ev_loop *l, ev_ng_stream *w, int revents)
{
  (void)l;
  (void)w;
  (void)revents;
}

int
main (void)
{
  struct ev_loop *outer = ev_loop_new (EVFLAG_NOENV);
  struct ev_loop *inner = ev_loop_new (ev_embeddable_backends () & ev_supported_backends ());
  int sv[2];
  if (!outer || !inner || socketpair (AF_UNIX, SOCK_STREAM, 0, sv))
    return 1;
  ev_ng_stream s;
  ev_ng_stream_init (&s, stream_cb, sv[0], EV_READ);
  ev_ng_stream_start (inner, &s);
  ev_run (inner, EVRUN_NOWAIT);
  ev_ng_stream_stop (inner, &s);
  ev_embed e;
  ev_embed_init (&e, embed_cb, inner);
  ev_embed_start (outer, &e);
  ev_run (outer, EVRUN_NOWAIT);
  calls = 0;
  ev_idle i;
  ev_idle_init (&i, idle_cb);
  ev_feed_event (inner, &i, EV_CUSTOM);
  for (int k = 0; k < 3; ++k)
    ev_run (outer, EVRUN_NOWAIT);
  printf ("embed callbacks %d, inner pending %d\n", calls, ev_pending_count (inner));
  ev_clear_pending (inner, &i);
  ev_embed_stop (outer, &e);
  ev_loop_destroy (inner);
  ev_loop_destroy (outer);
  close (sv[0]);
  close (sv[1]);
  return 0;
}
