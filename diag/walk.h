// SPDX-License-Identifier: BSD-2-Clause
// diag/walk.h - what ev_walk and ev_dump ask of the watcher modules that keep watchers where the
// loop object cannot see them, or that use watchers of their own inside the program's.
#pragma once

#include "loop/loop.h"

namespace ev_detail {

// visit(ctx, w) for each active watcher of the loop kept in process-wide state: signal watchers
// (watchers/signal.cc) and the default loop's child watchers (watchers/child.cc).
using walk_visit = void (*)(void *ctx, W w);
#if EV_SIGNAL_ENABLE
void signals_visit(ev_loop *loop, walk_visit visit, void *ctx);
#else
inline void signals_visit(ev_loop *, walk_visit, void *) {}
#endif
#if EV_CHILD_ENABLE
void children_visit(ev_loop *loop, walk_visit visit, void *ctx);
#else
inline void children_visit(ev_loop *, walk_visit, void *) {}
#endif

// The program's watcher that an internal watcher belongs to, or null: the io, prepare and fork
// watchers inside an ev_embed (watchers/embed.cc), the timer inside an ev_stat (watchers/stat.cc).
// ev_once's watchers (watchers/once.cc) belong to no watcher of the program.
#if EV_EMBED_ENABLE
W embed_owner(W w);
#else
inline W embed_owner(W) { return nullptr; }
#endif
#if EV_STAT_ENABLE
W stat_owner(W w);
#else
inline W stat_owner(W) { return nullptr; }
#endif
bool once_member(W w);

}  // namespace ev_detail
