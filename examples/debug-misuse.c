/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/debug-misuse.c - libev-ng's debug mode (extension EVFLAG_NG_DEBUG)
 * catching a real mistake: an idle timeout "reset" with ev_timer_set on an
 * active timer.
 *
 *   usage: debug-misuse [-d] [--fixed]
 *
 * A session reads messages from a peer (one end of a socketpair; the other end
 * is written by a timer of the same loop, a message every 100 ms, ten of them)
 * and closes itself after 500 ms without one.  On every message it resets its
 * idle timeout.  The mistake, made in many real programs:
 *
 *     ev_timer_set (&s->idle, IDLE, 0.);      -- on an active timer
 *
 * ev_timer_set only writes the watcher's members: the loop still has the old
 * deadline, so the busy session is closed as idle after 500 ms, and nothing
 * says why (libev 4.33 does the same).  In debug mode the loop checks its
 * watchers and stops the program at the first check after the change, naming
 * the watcher, what changed and the fix:
 *
 *   $ examples/debug-misuse -d              (or: LIBEV_NG_DEBUG=1 examples/debug-misuse)
 *   libev-ng: usage error in ...: "debug mode: ev_timer watcher 0x... was changed
 *   while active ...; stop it (ev_timer_stop) before ev_timer_set, or set only its
 *   repeat value and call ev_timer_again"
 *   Aborted
 *
 * --fixed does what ev(3) advises (COMMON IDIOMS, "Per-connection inactivity
 * timeouts"): the timeout lives in repeat, and ev_timer_again restarts it.  Then
 * all ten messages arrive, with or without debug mode.
 * -d creates the loop with EVFLAG_NG_DEBUG; LIBEV_NG_DEBUG=1 in the environment
 * turns debug mode on for an unmodified program.  Built against libev 4.33's
 * ev.h the program compiles too, without -d.
 */
#define _POSIX_C_SOURCE 200809L

#include <ev.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IDLE 0.5                       /* seconds a session may be silent */
#define MESSAGES 10
#define INTERVAL 0.1                   /* seconds between the peer's messages */

struct session
{
  ev_io in;                            /* the session's end of the socketpair */
  ev_timer idle;                       /* closes a silent session */
  int messages;                        /* "ping"s read (a read may hold several) */
  int bytes;
};

static int fixed;
static struct session session;
static ev_timer peer;                  /* the other end: writes MESSAGES messages */
static int peer_fd, peer_sent;

static void
session_close (struct ev_loop *loop, struct session *s, const char *why)
{
  printf ("debug-misuse: session closed %s after %d of %d messages\n", why, s->messages, MESSAGES);
  ev_io_stop (loop, &s->in);
  ev_timer_stop (loop, &s->idle);
  ev_timer_stop (loop, &peer);         /* the peer has no one to talk to any more */
  close (s->in.fd);
  close (peer_fd);
}

static void
on_idle (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) revents;
  session_close (loop, (struct session *) ((char *) w - offsetof (struct session, idle)), "as idle");
}

static void
on_message (struct ev_loop *loop, ev_io *w, int revents)
{
  (void) revents;
  struct session *s = (struct session *) w;  /* in is the first member */
  char buf[64];
  ssize_t n = read (w->fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
    {
      session_close (loop, s, "by the peer");
      return;
    }
  s->bytes += (int) n;
  s->messages = s->bytes / 4;

  /* Activity: the idle timeout starts again. */
  if (fixed)
    ev_timer_again (loop, &s->idle);   /* restarts it with its repeat value, IDLE */
  else
    ev_timer_set (&s->idle, IDLE, 0.); /* THE MISTAKE: the loop still has the old deadline */
}

static void
on_peer (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) loop;
  (void) w;
  (void) revents;
  if (peer_sent == MESSAGES)
    {
      shutdown (peer_fd, SHUT_WR);     /* the session reads end-of-file */
      ev_timer_stop (loop, w);
      return;
    }
  if (write (peer_fd, "ping", 4) == 4)
    peer_sent++;
}

int
main (int argc, char **argv)
{
  unsigned flags = 0;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--fixed") == 0)
      fixed = 1;
#ifdef EV_NG_FEATURE_DEBUG
    else if (strcmp (argv[i], "-d") == 0)
      flags |= EVFLAG_NG_DEBUG;
#endif
    else
      {
        fprintf (stderr, "usage: %s [-d] [--fixed]\n", argv[0]);
        return 64;
      }

  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM, 0, sv) < 0)
    {
      perror ("debug-misuse: socketpair");
      return 1;
    }
  peer_fd = sv[1];

  struct ev_loop *loop = ev_loop_new (flags);
  if (!loop)
    {
      fprintf (stderr, "debug-misuse: no event loop\n");
      return 1;
    }

  ev_io_init (&session.in, on_message, sv[0], EV_READ);
  ev_io_start (loop, &session.in);
  if (fixed)
    {
      ev_init (&session.idle, on_idle);
      session.idle.repeat = IDLE;
      ev_timer_again (loop, &session.idle);
    }
  else
    {
      ev_timer_init (&session.idle, on_idle, IDLE, 0.);
      ev_timer_start (loop, &session.idle);
    }
  ev_timer_init (&peer, on_peer, INTERVAL, INTERVAL);
  ev_timer_start (loop, &peer);

  ev_run (loop, 0);                    /* until the session is closed */
  ev_loop_destroy (loop);
  return session.messages == MESSAGES ? 0 : 1;
}
