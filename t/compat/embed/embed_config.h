/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/embed_config.h - the configuration of the embedded differential run
 * (t/compat/embed/run): the scenarios, libev 4.33's ev.c and libev-ng's embed/ev_ng.cc are
 * all compiled with it.  Not the default in anything: one loop without a loop argument, three
 * members of the program's own in every watcher, a callback declaration with a call counter
 * and an invocation that reports to the scenario first, three priorities, and four optional
 * watcher types left out. */
#define EV_STANDALONE 1
#define EV_MULTIPLICITY 0
#define EV_MINPRI (-1)
#define EV_MAXPRI 1
#define EV_COMMON int tag; void *data; const char *name;
#ifdef __cplusplus
extern "C"
#endif
void sc_invoked (void *w, int revents, int calls);
#define EV_CB_DECLARE(type) void (*cb) (EV_P_ struct type *w, int revents); int cb_calls;
#define EV_CB_INVOKE(watcher, revents) \
  (++(watcher)->cb_calls, sc_invoked ((watcher), (revents), (watcher)->cb_calls), \
   (watcher)->cb (EV_A_ (watcher), (revents)))
#define EV_PERIODIC_ENABLE 0
#define EV_STAT_ENABLE 0
#define EV_FORK_ENABLE 0
#define EV_CLEANUP_ENABLE 0
