// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring.h - the io_uring backend's policy for the loop's
// iteration (backend.h).  Its modify and poll drive the rings, whose
// helpers stay with them in backends/iouring.cc: the iteration calls them
// directly, not through the table.
#pragma once

#include "fd/fd.h"

namespace ev_detail {

extern const backend_ops iouring_backend;

namespace iouring_internal {
void modify(ev_loop *loop, int fd, int oev, int nev);
template <bool kHooks>
void poll(ev_loop *loop, ev_tstamp timeout);
extern template void poll<false>(ev_loop *loop, ev_tstamp timeout);
extern template void poll<true>(ev_loop *loop, ev_tstamp timeout);
}  // namespace iouring_internal

using iouring_policy = backend_policy<&iouring_backend, iouring_internal::modify, iouring_internal::poll<false>,
                                      iouring_internal::poll<true>>;

}  // namespace ev_detail
