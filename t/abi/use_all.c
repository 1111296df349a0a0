/* SPDX-License-Identifier: BSD-2-Clause */
/* t/abi/use_all.c - a C client of the whole ev.h API.
 *
 * Built by the scripts in t/abi: (1) with gcc and clang in every C (c89 ...
 * gnu2x) and C++ (c++98 ... c++23) dialect with -Wall -Wextra -Wpedantic
 * -Wstrict-aliasing=2 -Werror (the header must be warning-free, where
 * libev's own gives type-punning warnings); (2) linked with the C driver
 * alone against the shared and the static library (no C++ runtime may be
 * needed).  When run it exercises a short loop and exits 0 on success. */

/* The strict ISO modes (-std=c89, c99, ...) define __STRICT_ANSI__, and
 * then a C library may hide everything POSIX; this program needs pipe (),
 * close () and SIGUSR1.  Asking for POSIX here (and only here, the gnu*
 * modes see the C library's defaults) keeps the test about ev.h, which
 * itself needs no feature macro. */
#if defined __STRICT_ANSI__ && !defined _POSIX_C_SOURCE
# define _POSIX_C_SOURCE 200112L
#endif

#include <ev.h>

#include <stdio.h>
#include <unistd.h>

static int fired;

static void io_cb (EV_P_ ev_io *w, int revents) { (void)revents; ev_io_stop (EV_A_ w); ++fired; }
static void timer_cb (EV_P_ ev_timer *w, int revents) { (void)w; (void)revents; ++fired; ev_break (EV_A_ EVBREAK_ALL); }
static void idle_cb (EV_P_ ev_idle *w, int revents) { (void)revents; ev_idle_stop (EV_A_ w); ++fired; }
static void async_cb (EV_P_ ev_async *w, int revents) { (void)revents; ev_async_stop (EV_A_ w); ++fired; }
static void any_cb (EV_P_ ev_watcher *w, int revents) { (void)loop; (void)w; (void)revents; }
static ev_tstamp resched (ev_periodic *w, ev_tstamp now) EV_NOEXCEPT { (void)w; return now + 60.; }
static void prepare_cb (EV_P_ ev_prepare *w, int revents) { (void)loop; (void)w; (void)revents; }
static void check_cb (EV_P_ ev_check *w, int revents) { (void)loop; (void)w; (void)revents; }
static void nop_cb (EV_P_ ev_watcher *w, int revents) { (void)loop; (void)w; (void)revents; }
static void once_cb (int revents, void *arg) { (void)revents; ++*(int *)arg; }

int main (void)
{
  struct ev_loop *loop = EV_DEFAULT;
  struct ev_loop *other = ev_loop_new (EVFLAG_AUTO);
  int pipefd[2], once_calls = 0;
  ev_io io; ev_timer timer; ev_periodic periodic; ev_signal sig; ev_child child; ev_stat st;
  ev_idle idle; ev_prepare prepare; ev_check check; ev_fork fork_w; ev_cleanup cleanup;
  ev_async async; ev_embed embed;
  union ev_any_watcher any;
  void *generic = &timer;

  if (pipe (pipefd) || !other)
    return 1;

  ev_io_init (&io, io_cb, pipefd[1], EV_WRITE);
  ev_io_modify (&io, EV_WRITE);
  ev_timer_init (&timer, timer_cb, 0.05, 0.);
  ev_periodic_init (&periodic, (void (*)(EV_P_ ev_periodic *, int))nop_cb, 0., 0., resched);
  ev_signal_init (&sig, (void (*)(EV_P_ ev_signal *, int))nop_cb, SIGUSR1);
  ev_child_init (&child, (void (*)(EV_P_ ev_child *, int))nop_cb, 0, 0);
  ev_stat_init (&st, (void (*)(EV_P_ ev_stat *, int))nop_cb, "/", 0.);
  ev_idle_init (&idle, idle_cb);
  ev_prepare_init (&prepare, prepare_cb);
  ev_check_init (&check, check_cb);
  ev_fork_init (&fork_w, (void (*)(EV_P_ ev_fork *, int))nop_cb);
  ev_cleanup_init (&cleanup, (void (*)(EV_P_ ev_cleanup *, int))nop_cb);
  ev_async_init (&async, async_cb);
  ev_embed_init (&embed, 0, other);
  ev_init (&any.w, any_cb);
  ev_set_priority (&io, EV_MAXPRI);
  ev_set_cb (&timer, timer_cb);

  if (ev_priority (&io) != EV_MAXPRI || ev_is_active (generic) || ev_is_pending (&timer) || ev_cb (&timer) != timer_cb)
    return 2;

  ev_io_start (loop, &io);
  ev_timer_start (loop, &timer);
  ev_periodic_start (loop, &periodic);
  ev_signal_start (loop, &sig);
  ev_child_start (loop, &child);
  ev_stat_start (loop, &st);
  ev_idle_start (loop, &idle);
  ev_prepare_start (loop, &prepare);
  ev_check_start (loop, &check);
  ev_fork_start (loop, &fork_w);
  ev_cleanup_start (loop, &cleanup);
  ev_async_start (loop, &async);
  if (ev_backend (other) & ev_embeddable_backends ())
    ev_embed_start (loop, &embed);
  ev_async_send (loop, &async);
  ev_once (loop, -1, 0, 0., once_cb, &once_calls);

  ev_run (loop, 0);

  if (fired != 4 || once_calls != 1 || ev_periodic_at (&periodic) <= ev_now (loop) || ev_async_pending (&async))
    {
      fprintf (stderr, "fired=%d once=%d\n", fired, once_calls);
      return 3;
    }

  ev_timer_again (loop, &timer);
  (void)ev_timer_remaining (loop, &timer);
  ev_periodic_again (loop, &periodic);
  ev_stat_stat (loop, &st);
  ev_feed_event (loop, &check, EV_CUSTOM);
  ev_feed_fd_event (loop, pipefd[1], EV_WRITE);
  ev_feed_signal_event (loop, SIGUSR1);
  ev_feed_signal (SIGUSR2);
  (void)ev_clear_pending (loop, &check);
  ev_invoke (loop, &any.w, 0);
  ev_invoke_pending (loop);
  ev_suspend (loop); ev_resume (loop);
  ev_now_update (loop);
  ev_ref (loop); ev_unref (loop);
  ev_set_io_collect_interval (loop, 0.); ev_set_timeout_collect_interval (loop, 0.);
  ev_set_userdata (loop, &fired);
  ev_set_invoke_pending_cb (loop, ev_invoke_pending);
  ev_set_loop_release_cb (loop, 0, 0);
  ev_verify (loop);
  if (ev_userdata (loop) != &fired || ev_pending_count (loop) || ev_depth (loop) || !ev_iteration (loop)
      || !ev_is_default_loop (loop) || EV_DEFAULT_UC != loop || ev_version_major () != EV_VERSION_MAJOR
      || !(ev_supported_backends () & ev_recommended_backends ()) || ev_time () <= 0.)
    return 4;
  ev_sleep (0.);

  ev_embed_stop (loop, &embed);
  if (ev_is_active (&embed))
    return 5;
  ev_embed_sweep (loop, &embed);
  ev_io_stop (loop, &io); ev_timer_stop (loop, &timer); ev_periodic_stop (loop, &periodic);
  ev_signal_stop (loop, &sig); ev_child_stop (loop, &child); ev_stat_stop (loop, &st);
  ev_idle_stop (loop, &idle); ev_prepare_stop (loop, &prepare); ev_check_stop (loop, &check);
  ev_fork_stop (loop, &fork_w); ev_cleanup_stop (loop, &cleanup); ev_async_stop (loop, &async);
  ev_loop_fork (other);
  ev_loop_destroy (other);
  ev_loop_destroy (loop);
  ev_set_allocator (0);
  ev_set_syserr_cb (0);
  close (pipefd[0]); close (pipefd[1]);
  return 0;
}
