/* SPDX-License-Identifier: BSD-2-Clause */
/* examples/file-watch.c - ev_stat and ev_periodic: watch a file for changes,
 * and run jobs on a cron-like schedule.
 *
 *   usage: file-watch [-e SECONDS] [-a HH:MM] PATH
 *
 * Prints a line whenever PATH is created, changed, replaced or deleted,
 * and "settled" once it has been left alone for a little over a second (the
 * moment a program that reloads a file should read it, see below).
 *   -e SECONDS  also run a job every SECONDS seconds, aligned to the wall
 *               clock: with -e 10 at :00, :10, :20 ... of every minute
 *   -a HH:MM    also run a job once a day at HH:MM local time
 * SIGINT or SIGTERM stops it (exit status 0; 64 on a usage error).  Try it:
 *
 *   $ examples/file-watch -e 5 /tmp/f &
 *   $ echo hi > /tmp/f; echo more >> /tmp/f; rm /tmp/f; kill %1
 *
 * The libev watchers used, and why:
 *   ev_stat      the file's attributes changed (inotify on Linux, polling elsewhere)
 *   ev_timer     "settled": restarted with ev_timer_again on every change
 *   ev_periodic  wall-clock schedules: an interval aligned to the clock
 *                (-e), and a schedule computed by a callback (-a)
 *   ev_signal    SIGINT/SIGTERM as ordinary callbacks
 */
#define _POSIX_C_SOURCE 200809L

#include <ev.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static ev_stat watcher;
static ev_timer settle_timer;
static ev_periodic every_job, daily_job;
static ev_signal on_sigint, on_sigterm;

/* the options */
static double every;                 /* -e, 0: none */
static int at_hour = -1, at_minute;  /* -a, hour -1: none */

static void
say (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fputs ("file-watch: ", stdout);
  vprintf (fmt, ap);
  putchar ('\n');
  va_end (ap);
}

/* "2024-05-01 14:05:00.003", local time */
static const char *
format_time (ev_tstamp t, char buf[static 32])
{
  time_t secs = (time_t) t;
  struct tm tm;
  localtime_r (&secs, &tm);
  size_t n = strftime (buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
  int ms = (int) ((t - (ev_tstamp) secs) * 1000.);
  snprintf (buf + n, 32 - n, ".%03d", ms > 999 ? 999 : ms);
  return buf;
}

/* ---- the file -------------------------------------------------------------- */

/* ev(3), ev_stat: the callback runs whenever lstat() of the path differs
 * from the previous result in any of device, inode, mode, link count,
 * owner, group, device type, size, or access, modification or change time.
 * w->prev holds the old attributes, w->attr the new ones, and st_nlink == 0
 * stands for "cannot be examined" (usually: does not exist), in which case
 * the other fields mean nothing. */
static void
on_change (struct ev_loop *loop, ev_stat *w, int revents)
{
  (void) revents;
  const ev_statdata *old = &w->prev, *now = &w->attr;

  if (!old->st_nlink && !now->st_nlink)
    return;                            /* missing before and after: nothing to say */
  if (!old->st_nlink)
    say ("created: size %lld", (long long) now->st_size);
  else if (!now->st_nlink)
    say ("deleted");
  else if (old->st_dev != now->st_dev || old->st_ino != now->st_ino)
    /* another file now has this name: an editor or installer that writes
     * a new file and renames it over the old one (atomic replacement) */
    say ("replaced: size %lld", (long long) now->st_size);
  else if (old->st_size != now->st_size || old->st_mtime != now->st_mtime)
    say ("changed: size %lld", (long long) now->st_size);
  else
    say ("attributes changed: mode %04o, %ld link(s)", (unsigned) (now->st_mode & 07777),
         (long) now->st_nlink);

  /* The special problem of stat time resolution (ev(3), ev_stat): time
   * stamps are compared in whole seconds, so a second write within the same
   * second that leaves the size alone goes unnoticed.  The remedy ev(3)
   * gives: act on a change only once the file has been quiet for a bit over
   * a second; whatever is read then includes every write of that second,
   * and a later write changes the time stamp and is reported again.  The
   * same delay also turns an editor's burst of writes into one action.
   * ev_timer_again restarts the timer from now on each change (repeat is
   * 1.02 s); the .02 covers clocks whose seconds tick slightly apart. */
  ev_timer_again (loop, &settle_timer);
}

static void
on_settled (struct ev_loop *loop, ev_timer *w, int revents)
{
  (void) revents;
  ev_timer_stop (loop, w);             /* a one-time delay, not a repeating job */

  /* Here a program would (re)read the file.  A fresh lstat, not the
   * watcher's attr: that is what the reader would see now.  (ev_stat_stat
   * would refresh attr too, but silently: a change that happened just now
   * would then never be reported.) */
  struct stat st;
  if (lstat (watcher.path, &st) == 0)
    say ("settled: size %lld", (long long) st.st_size);
  else
    say ("settled: %s", strerror (errno));
}

/* ---- the schedules ----------------------------------------------------------- */

static void
on_every (struct ev_loop *loop, ev_periodic *w, int revents)
{
  (void) revents;
  char fired[32], next[32];
  /* ev_now: the loop time, when the loop woke up for this event; for an
   * active periodic, ev_periodic_at is already the next trigger time */
  say ("every %g s: fired at %s, next at %s", every, format_time (ev_now (loop), fired),
       format_time (ev_periodic_at (w), next));
}

/* The reschedule callback of the daily job: the first HH:MM local time
 * after `now`.  ev(3), ev_periodic: it must return a time no earlier than
 * now and must not touch the loop (no starting or stopping watchers).  The
 * library calls it when the watcher starts, after each event, and after the
 * system clock jumped.
 *
 * Why not simply "previous time + 86400": a local day lasts 23 or 25 hours
 * when daylight saving time begins or ends, and the job would drift by an
 * hour.  mktime() does the calendar arithmetic in local time instead: set
 * the fields, let tm_isdst = -1 make it find out whether DST applies on that
 * date, and tm_mday + 1 (normalised by mktime) is "tomorrow" even at the
 * end of a month or year.  On the day DST begins a time that does not exist
 * (02:30 when clocks jump from 02:00 to 03:00) comes out an hour later; on
 * the day it ends, a time that occurs twice runs once. */
static ev_tstamp
next_daily (ev_periodic *w, ev_tstamp now)
{
  (void) w;
  time_t t = (time_t) now;
  struct tm today;
  localtime_r (&t, &today);

  for (int days = 0; days <= 2; days++)
    {
      struct tm tm = today;
      tm.tm_mday += days;
      tm.tm_hour = at_hour;
      tm.tm_min = at_minute;
      tm.tm_sec = 0;
      tm.tm_isdst = -1;
      time_t next = mktime (&tm);
      if (next != (time_t) -1 && (ev_tstamp) next > now)
        return (ev_tstamp) next;
    }
  return now + 86400.;                 /* mktime failed: ask again in a day */
}

static void
on_daily (struct ev_loop *loop, ev_periodic *w, int revents)
{
  (void) revents;
  char fired[32], next[32];
  say ("daily at %02d:%02d: fired at %s, next at %s", at_hour, at_minute,
       format_time (ev_now (loop), fired), format_time (ev_periodic_at (w), next));
}

/* ---- the program ------------------------------------------------------------- */

static void
on_signal (struct ev_loop *loop, ev_signal *w, int revents)
{
  (void) revents;
  say ("caught signal %d, stopping", w->signum);
  /* stop every watcher: ev_run() then returns by itself */
  ev_stat_stop (loop, &watcher);
  ev_timer_stop (loop, &settle_timer);
  ev_periodic_stop (loop, &every_job);
  ev_periodic_stop (loop, &daily_job);
  ev_signal_stop (loop, &on_sigint);
  ev_signal_stop (loop, &on_sigterm);
}

/* "H:MM" or "HH:MM" */
static int
parse_hhmm (const char *arg, int *hour, int *minute)
{
  const char *colon = strchr (arg, ':');
  if (!colon || colon == arg || colon - arg > 2 || strlen (colon + 1) != 2)
    return -1;
  for (const char *p = arg; *p; p++)
    if (p != colon && !isdigit ((unsigned char) *p))
      return -1;
  *hour = atoi (arg);
  *minute = atoi (colon + 1);
  return *hour <= 23 && *minute <= 59 ? 0 : -1;
}

static int
usage (const char *argv0)
{
  fprintf (stderr,
           "usage: %s [-e SECONDS] [-a HH:MM] PATH\n"
           "  reports changes of PATH (which need not exist)\n"
           "  -e SECONDS  a job every SECONDS s, aligned to the clock (-e 10: at :00, :10, ...)\n"
           "  -a HH:MM    a job every day at HH:MM local time\n",
           argv0);
  return 64;
}

int
main (int argc, char **argv)
{
  int opt;
  while ((opt = getopt (argc, argv, "e:a:")) != -1)
    {
      char *end;
      switch (opt)
        {
        case 'e':
          every = strtod (optarg, &end);
          /* ev(3): keep the interval above about 0.0001 s for numerical stability */
          if (end == optarg || *end || !(every >= 0.01 && every <= 86400.))
            return usage (argv[0]);
          break;
        case 'a':
          if (parse_hhmm (optarg, &at_hour, &at_minute) < 0)
            return usage (argv[0]);
          break;
        default:
          return usage (argv[0]);
        }
    }
  if (argc - optind != 1 || !argv[optind][0])
    return usage (argv[0]);

  /* ev(3) asks for an absolute path: a relative one changes meaning when
   * the working directory changes.  (Not normalised here: write no "."
   * or ".." components and no trailing slash.) */
  const char *arg = argv[optind];
  char *path;
  if (arg[0] == '/')
    path = strdup (arg);
  else
    {
      char cwd[4096];
      if (!getcwd (cwd, sizeof cwd))
        {
          perror ("file-watch: getcwd");
          return 1;
        }
      path = malloc (strlen (cwd) + strlen (arg) + 2);
      if (path)
        sprintf (path, "%s/%s", cwd, arg);
    }
  if (!path)
    {
      perror ("file-watch");
      return 1;
    }

  setvbuf (stdout, NULL, _IOLBF, 0);   /* whoever reads our output sees each line at once */
  struct ev_loop *loop = EV_DEFAULT;

  /* The signal watchers first: whoever reads our first line may signal us
   * at once. */
  ev_signal_init (&on_sigint, on_signal, SIGINT);
  ev_signal_start (loop, &on_sigint);
  ev_signal_init (&on_sigterm, on_signal, SIGTERM);
  ev_signal_start (loop, &on_sigterm);

  /* Interval 0, as ev(3) recommends: where the loop has to poll (no
   * inotify: another system, a network file system, EVFLAG_NOINOTIFY, or
   * the kernel ran out of inotify watches) it picks a default of about five
   * seconds; with inotify, on Linux, changes are reported as they happen
   * and the interval does not matter.  The path string must stay valid
   * while the watcher is active. */
  ev_stat_init (&watcher, on_change, path, 0.);
  ev_stat_start (loop, &watcher);      /* examines the path once: the reference */
  if (watcher.attr.st_nlink)
    say ("watching %s: size %lld", path, (long long) watcher.attr.st_size);
  else
    say ("watching %s: does not exist", path);

  /* after 0, repeat 1.02: started and restarted by ev_timer_again only */
  ev_timer_init (&settle_timer, on_settled, 0., 1.02);

  char next[32];
  if (every > 0)
    {
      /* Interval mode: fires at every offset + k * interval seconds of
       * wall-clock time since the epoch, i.e. aligned to the clock (for
       * intervals that divide a minute, hour or day, at the round times;
       * days are UTC days, use -a or an offset for local midnight).  Unlike
       * an ev_timer it follows changes of the system clock and does not
       * drift: a late callback does not push the next one back. */
      ev_periodic_init (&every_job, on_every, 0., every, 0);
      ev_periodic_start (loop, &every_job);
      say ("every %g s: next at %s", every, format_time (ev_periodic_at (&every_job), next));
    }
  if (at_hour >= 0)
    {
      /* Computed mode: offset and interval are ignored, next_daily decides. */
      ev_periodic_init (&daily_job, on_daily, 0., 0., next_daily);
      ev_periodic_start (loop, &daily_job);
      say ("daily at %02d:%02d: next at %s (in %.0f s)", at_hour, at_minute,
           format_time (ev_periodic_at (&daily_job), next), ev_periodic_at (&daily_job) - ev_time ());
    }

  ev_run (loop, 0);                    /* until on_signal stopped every watcher */

  ev_loop_destroy (loop);
  free (path);
  return 0;
}
