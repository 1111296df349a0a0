// SPDX-License-Identifier: BSD-2-Clause
// diag/walk.h - what ev_walk and ev_dump (diag/walk.cc) ask of the
// watcher modules that keep watchers where the loop object cannot see them,
// or that use watchers of their own inside the program's watchers.
#pragma once

#include "loop/loop.h"

namespace ev_detail {

// Calls visit(ctx, w) for each active watcher of the loop that the module
// keeps in process-wide state: signal watchers (watchers/signal.cc), child
// watchers (watchers/child.cc, the default loop only).
using walk_visit = void (*)(void *ctx, W w);
void signals_visit(ev_loop *loop, walk_visit visit, void *ctx);
void children_visit(ev_loop *loop, walk_visit visit, void *ctx);

// The program's watcher that an internal watcher belongs to, or null: the
// io, prepare and fork watchers inside an ev_embed (watchers/embed.cc), the
// timer inside an ev_stat (watchers/stat.cc).  ev_once's watchers
// (watchers/once.cc) belong to no watcher of the program.
W embed_owner(W w);
W stat_owner(W w);
bool once_member(W w);

}  // namespace ev_detail
