/* SPDX-License-Identifier: BSD-2-Clause */
/* t/stress/model.h - the model-based random API test of `make check-stress` (model.c).
 *
 * One "sequence" (one seed) creates 1-3 loops, a pool of watchers of every type bound to
 * them, some pipes, a socketpair and temporary files (with -S also stream and accept watchers,
 * 2-4 connections and a listening socket), then runs a random series of API operations, some
 * of them from inside callbacks.  After every operation a reference model
 * (model_ref.c) that knows what must be active, pending and due is compared with what the
 * library reports, and ev_verify checks the loops' internal structures.  Every observable
 * value also goes into a deterministic trace (model_trace.c), which model.sh compares with
 * the trace the same program prints on the real libev 4.33 (streams: model checks only).
 *
 * The parts, one job each:
 *   model.c        main: options, the seeds, the figures
 *   model_world.c  a sequence's resources: loops, fds, files, children; setup and teardown
 *   model_gen.c    which operation comes next (the random generator, legal API use only)
 *   model_ops.c    performing an operation, and the watcher callbacks
 *   model_ref.c    the reference model and its checks
 *   model_stream.c streams (-S): their connections, operations, callbacks and checks
 *   model_trace.c  the trace (printed, or hashed per sequence) */
#ifndef LIBEV_NG_T_STRESS_MODEL_H
#define LIBEV_NG_T_STRESS_MODEL_H

#include <stdint.h>
#include <sys/types.h>

#include "ev.h"

#define M_LOOPS 3
#define M_WATCHERS 14   /* the random pool; each loop also has its guard idle */
#define M_PIPES 3
#define M_FDS (2 * M_PIPES + 2)
#define M_FILES 2
#define M_CHILDREN 3
#define M_ONCES 6
#define M_FRAMES 8      /* ev_run frames per loop */
#define M_CBS 12        /* callbacks on the stack */
#define M_SIGS 4

/* the kinds up to K_EMBED are libev 4.33's, all that a sequence draws without -S; streams and
 * accept watchers (libev-ng's ev(3) "Streams: the loop does the I/O") only with -S */
enum kind
{
  K_IO, K_TIMER, K_PERIODIC, K_SIGNAL, K_CHILD, K_STAT, K_IDLE, K_PREPARE, K_CHECK, K_FORK,
  K_CLEANUP, K_ASYNC, K_EMBED, K_STREAM, K_ACCEPT, K_NKINDS
};
#define K_LIBEV_KINDS (K_EMBED + 1)

/* timer classes: due at the next iteration, never due in a sequence, due after a few ms
 * (timing mode only: not deterministic, so never in a differential run) */
enum { T_DUE, T_FAR, T_MEDIUM };
/* timer repeat classes: none, re-armed to "now" (fires every iteration), far */
enum { R_NONE, R_TINY, R_FAR };
/* periodic modes */
/* periodic modes; the last two only in timing mode: a reschedule callback that returns `now`
 * fires at the next iteration with libev-ng, and at the next or a later one with libev 4.33
 * (its wall-clock time is only approximately monotonic from one iteration to the next) */
enum { P_ABS_DUE, P_ABS_FAR, P_IVAL_FAR, P_RESCHED_FAR, P_RESCHED_NOW, P_ABS_MEDIUM, P_NMODES };
/* fds */
enum { FD_PIPE_R, FD_PIPE_W, FD_SOCK };
/* where a loop is in its iteration, as far as the model has seen */
enum { ST_QUIET, ST_PASS, ST_FORK, ST_PREP };

/* one watcher and what the model knows about it */
struct mw
{
  union
  {
    ev_watcher w;
    ev_io io;
    ev_timer timer;
    ev_periodic periodic;
    ev_signal sig;
    ev_child child;
    ev_stat stat;
    ev_idle idle;
    ev_prepare prepare;
    ev_check check;
    ev_fork fork;
    ev_cleanup cleanup;
    ev_async async;
    ev_embed embed;
#ifdef EV_NG_FEATURE_STREAM
    ev_ng_stream stream;
    ev_ng_accept acc;
#endif
  } u;
  int id, kind, loop;
  int conf;            /* its parameters have been set (ev_TYPE_set) at least once */
  int guard;           /* the loop's guard idle (not in the random pool) */
  /* model */
  int prio;            /* what ev_priority must say (unless prio_unknown) */
  int prio_unknown;    /* a child watcher an exit may have reached: forced to EV_MAXPRI */
  int active;
  int pend;            /* exact pending revents (fed, or queued by an iteration the model saw) */
  unsigned may_from, may_until;  /* an event the model cannot time exactly may be pending
                                    in these passes of the loop (both 0: none) */
  unsigned must_by;    /* ...and must have been invoked by the end of this pass (0: none) */
  long calls;
  unsigned pass_seen;  /* prepare/fork: the pass (mloop.pass_seq) it was last called in */
  /* parameters */
  int fdi, events;                   /* io */
  int tclass, rclass;                /* timer */
  double after;
  unsigned due_iter;                 /* timer/periodic: collected at this iteration (0: not) */
  double due_at;                     /* medium timer/periodic: ev_now() it is due at */
  int loose;                         /* medium: ev_suspend moved it, time no longer checked */
  int pmode;                         /* periodic */
  double set_now;                    /* periodic: ev_now() when its times were set */
  int signum;                        /* signal */
  int cidx, ctrace;                  /* child: index into the children (-1: any pid) */
  int file;                          /* stat */
  int inner, ecb;                    /* embed: the embedded loop, callback or automatic sweep */
  unsigned need_since;               /* embed: inner loop ready since this outer pass (0: no) */
  unsigned inner_iter;               /* embed: the inner loop's iteration then */
  int sent;                          /* async: what ev_async_pending must say (-1: unknown) */
  unsigned renewed;                  /* io: loop iteration + 1 of its last start after ev_io_set */
  /* stream and accept watchers (model_stream.c has the rest of what the model knows of them) */
  int spend;       /* the library queued an event the model saw only as ev_is_pending */
  int lib_stopped; /* stopped by the library (EV_ERROR), that callback not seen yet */
};

struct frame
{
  int flags;
  int budget;          /* flags 0: callbacks left before the guard breaks the run */
  int started_guard;
  unsigned it0;
};

struct mloop
{
  struct ev_loop *l;
  int idx, is_default, embedded_by, alive;
  int ever_embedded;       /* its sweeps run it without an ev_run of ours */
  unsigned backend, flags;
  int sigfd;
  unsigned fds_seen;       /* fd indices an io watcher of this loop was started on */
  struct mw *guard;
  /* model */
  unsigned iter;          /* the ev_iteration the model has followed */
  int state;
  unsigned state_depth;   /* ev_depth when the state was seen */
  unsigned pass_seq;      /* counts the fork and prepare passes seen */
  int unrefs;
  int pendcnt;            /* pending slots since the last drain */
  int brk;                /* break requested (EVBREAK_ONE/ALL) and not yet consumed */
  unsigned brk_it;
  int fork_flag;          /* ev_loop_fork called, no poll since */
  unsigned fork_at;
  int fork_loose;         /* fork watchers may fire (forwarded by an embedding loop) */
  unsigned idle_loose_until;  /* idle watchers may or may not be queued up to this pass */
  int was_inprog;         /* a callback of the loop was on the stack at the last sync */
  unsigned embed_ran;     /* iteration + 1 in which an embedded loop was seen running */
  int nframes;
  struct frame fr[M_FRAMES];
  /* options */
  int inotify;              /* ev_stat uses inotify (else EVFLAG_NOINOTIFY: polling) */
  int periodics_seen;       /* a periodic watcher was started (libev's timerfd exists) */
  /* ev_now() may be ahead of the time timers count from (both libraries): the first
   * periodic start reads the wall clock into ev_now() alone (until the next clock update,
   * seen as another ev_now()), and so does the pass after ev_loop_fork (for an iteration) */
  double lead_now;          /* ev_now() right after the first periodic start (0: none) */
  int fork_lead;            /* ev_loop_fork called: ... up to ev_iteration fork_lead_until */
  unsigned fork_lead_until;
  int statloop;            /* has ev_stat watchers on inotify (known difference 9, model.c) */
  int wakeup_made;         /* an async or signal watcher was started: the wake-up fd exists */
  int invoke_hook, time_hooks;
  long releases, acquires;
  int invokes;            /* custom invoke_pending callback calls */
};

struct mfd
{
  int fd, kind, peer;
  int bytes;              /* readable bytes */
};

struct mchild
{
  pid_t pid;
  int code;
  int state;              /* 0 unused, 1 exited (not reaped by the loop yet), 2 reaped */
  unsigned at;            /* default loop iteration when it exited */
};

struct monce
{
  int used, loop, fired;
  int fdi, events;        /* fdi -1: no io part */
  int has_timer;          /* a timeout part (its own reference) */
  int timer_due;          /* ... due at once (0), or far */
  unsigned due_iter;       /* queued in this iteration (if queued) */
  int queued;
  int id;
};

struct cbframe
{
  int loop;
  struct mw *m;           /* NULL: an ev_once callback */
  int via_invoke;         /* called by ev_invoke: not part of any pass */
};

/* the whole sequence */
struct seq
{
  uint64_t seed, rng;
  int nloops;
  struct mloop loops[M_LOOPS];
  int nw, nall;
  struct mw w[M_WATCHERS + M_LOOPS];   /* the pool [0, nw), then the loops' guards [nw, nall) */
  int nfds;
  struct mfd fds[M_FDS];
  struct mchild children[M_CHILDREN];
  int nchildren;
  struct monce onces[M_ONCES];
  long file_size[M_FILES];
  int sig_owner[M_SIGS];  /* loop index owning the signal, -1 none */
  unsigned sig_until[M_SIGS]; /* a raise the owner has not processed before its pass ...+1 */
  int sig_taint[M_SIGS];  /* raised, then no longer watched before it was processed: the
                             signal may reach a watcher started later, in any loop */
  struct cbframe cbs[M_CBS];
  int ncbs;
  int invoking;           /* an ev_invoke is calling this watcher id (-1 none) */
  int invoke_revents;
  int tearing;            /* teardown: callbacks do nothing */
  long ops, max_ops, callbacks, verifies;
  long timed;             /* timing mode: callbacks of timers due after a few ms, checked */
  int timing;             /* medium timers allowed (not deterministic) */
  long op_delay_us;       /* MODEL_OP_DELAY_US: sleep up to this after every operation */
  uint64_t op_delay_salt; /* MODEL_OP_DELAY_SALT: another draw of the sleeps */
  int inotify;            /* the loops of this sequence use inotify for ev_stat */
  int child_any;          /* child watchers with pid 0 only (1), by pid only (0), both (-1) */
  int known;              /* avoid the known differences of libev-ng (model.c; -A: do not) */
  int streams;            /* -S: stream and accept watchers too (model_stream.c) */
  unsigned backend;       /* -b: every loop on this backend (but an embeddable one: epoll) */
  int settling;           /* streams_settle: callbacks take everything and generate nothing */
  int destroying;         /* the index of the loop ev_loop_destroy is destroying, else -1 */
  int failed;
  double started;         /* stress_now () at the start */
};

extern struct seq S;

/* model.c */
extern const int m_signals[M_SIGS];
extern const char *m_kind_name[K_NKINDS];
extern char m_file_path[M_FILES][4200];
unsigned m_rand (unsigned n);   /* uniform in [0, n), from the sequence's generator */
int m_chance (unsigned percent);
void m_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* model_trace.c */
void tr (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void tr_begin (uint64_t seed, int print);
void tr_open (void);                  /* MODEL_TRACE_FILE (model_trace.c), once, first */
void tr_flush (void);                 /* stdout and MODEL_TRACE_FILE: before a fork, an exit */
uint64_t tr_hash (void);
long tr_lines (void);
void tr_state (const char *where);
unsigned tr_iter (int loop);      /* every watcher's raw fields, every loop's counters */

/* model_world.c */
int world_setup (uint64_t seed);          /* 0 ok */
int world_uses_default_loop (uint64_t rng);
void world_teardown (void);
void world_wait_timers (void);             /* timing mode: before the teardown */
int world_ready (int fdi);               /* EV_READ/EV_WRITE the fd has now */
int world_refcount (int loop);            /* what ev_run must return */
int world_stable_refs (int loop);
int world_loop_on_stack (int loop);
int world_in_progress (int loop);         /* a pass of the loop is running (callback on stack) */
struct mloop *world_loop_of (struct ev_loop *l);

/* model_gen.c */
void gen_top_op (void);
void gen_inner_ops (int loop, struct mw *m);   /* m NULL: an ev_once callback */

/* model_ops.c */
void ops_callback (struct ev_loop *l, ev_watcher *w, int revents);
void ops_once_cb (int revents, void *arg);
void ops_verify_all (int top);
/* the operations the generator picks from */
void op_start (struct mw *m, int reconfigure);
void op_stop (struct mw *m);
void op_feed (struct mw *m, int revents);
void op_clear (struct mw *m);
void op_invoke (struct mw *m, int revents);
void op_invoke_pending (int loop);
void op_ref (int loop);
void op_unref (int loop);
void op_run (int loop, int flags);
void op_break (int loop, int how);
void op_now_update (int loop);
void op_suspend_resume (int loop);
void op_write (int fdi);
void op_read (int fdi);
void op_raise (int si);
void op_feed_signal (int si);
void op_feed_signal_event (int loop, int si);
void op_async_send (struct mw *m);
void op_fork_child (void);
void op_stat_change (int file);
void op_stat_stat (struct mw *m);
void op_loop_fork (int loop);
void op_timer_again (struct mw *m);
void op_timer_remaining (struct mw *m);
void op_periodic_again (struct mw *m);
void op_embed_sweep (struct mw *m);
void op_once (int loop, int no_fd);
void op_feed_fd_event (int loop, int fdi, int revents);
void op_set_priority (struct mw *m, int prio);
void op_pending_count (int loop);
void op_ensure_ref_for_stop (struct mw *m);
int ops_can_start (const struct mw *m, int reconfigure);

/* model_stream.c: streams and accept watchers (-S; stubs where ev.h has no streams) */
int streams_available (void);            /* the library under test has working streams */
void streams_figures (void);
int streams_kind (const struct mw *m);   /* a stream or accept watcher */
void streams_setup (void);               /* the connections and the listener of a sequence */
void streams_teardown (void);            /* after the loops: close them, check the leftovers */
void streams_loop_destroyed (int loop);  /* its kept buffers and dropped sends are gone */
int streams_leave_active (const struct mw *m);  /* the teardown leaves it to ev_loop_destroy */
void streams_configure (struct mw *m);
int streams_can_start (const struct mw *m, int reconfigure);
void streams_start (struct mw *m);
void streams_stop (struct mw *m);
void streams_init_watcher (struct mw *m);
void streams_fed (struct mw *m, int revents);        /* ev_feed_event */
void streams_callback (struct mw *m, int revents, int via);   /* its part of ops_callback */
int streams_plausible (const struct mw *m);          /* revents the library may give it now */
void streams_adopt (struct mloop *L, const struct mw *skip);  /* what the library did unseen */
void streams_cleared (struct mw *m, int revents);    /* ev_clear_pending returned revents */
void streams_settle (void);              /* run until everything sent arrived: the liveness checks */
/* the operations (model_gen.c decides when; each returns 0 when it had nothing to act on) */
int op_stream_send (int inner, int borrowed);
int op_stream_recv (int inner);
int op_stream_release (void);
int op_stream_shutdown (void);
int op_peer_write (void);
int op_peer_read (void);
int op_peer_shut (void);
int op_peer_close (void);
int op_client_connect (void);
int op_accept_take (void);

/* model_ref.c */
void ref_entering (struct mw *m);   /* the callback of m starts: what the next sync sees */
void ref_sync (void);
void ref_sync_loop (int loop);
void ref_check (int top);
void ref_on_callback (struct mw *m, int revents);
void ref_on_once (struct monce *o, int revents);
void ref_started (struct mw *m);
void ref_stopped (struct mw *m);
void ref_fed (struct mw *m, int revents);
int ref_cleared (struct mw *m);      /* the revents ev_clear_pending must return, -1 unknown */
void ref_drained (int loop);         /* every pending watcher of the loop has been invoked */
void ref_run_enter (int loop, int flags);
void ref_run_leave (int loop, int ret);
void ref_break (int loop, int how);
void ref_loop_fork (int loop);
void ref_raise (int si);
void ref_async_sent (struct mw *m);
void ref_child_exited (int ci);
void ref_file_changed (int file);
void ref_stat_refreshed (struct mw *m);
void ref_suspended (int loop);
int ref_refs_of (const struct mw *m);
int ref_stable (const struct mw *m);
int ref_pending_known (const struct mw *m);   /* the model knows whether it is pending */
int ref_will_not_block (int loop);            /* the next poll cannot wait */
int ref_no_callback_before_poll (int loop);
int ref_medium_pending (int loop);            /* timing mode: a timer due in a few ms */   /* ev_run calls nothing before its first poll */

#endif
