/* SPDX-License-Identifier: BSD-2-Clause */
/* t/compat/embed/common.h - what every configuration of the embedded differential run
 * (t/compat/embed/run, configs/) shares: three members of the program's own in every watcher
 * and a callback declaration with a call counter and an invocation that reports to the
 * scenario first.  The scenarios, libev 4.33's ev.c and libev-ng's embed/ev_ng.cc are all
 * compiled with a configuration of configs/, which includes this. */
#define EV_COMMON int tag; void *data; const char *name;
#ifdef __cplusplus
extern "C"
#endif
void sc_invoked (void *w, int revents, int calls);
#define EV_CB_DECLARE(type) void (*cb) (EV_P_ struct type *w, int revents); int cb_calls;
#define EV_CB_INVOKE(watcher, revents) \
  (++(watcher)->cb_calls, sc_invoked ((watcher), (revents), (watcher)->cb_calls), \
   (watcher)->cb (EV_A_ (watcher), (revents)))
