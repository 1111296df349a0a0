// SPDX-License-Identifier: BSD-2-Clause
// backends/afd_win32.h - the AFD backend on Windows (EVBACKEND_NG_AFD, opt-in): readiness of the
// sockets behind C runtime fds through IOCTL_AFD_POLL and an I/O completion port, at a cost per
// iteration that grows with the ready and changed sockets only.  Its policy (backend.h) is
// table-only, as select's; the backend and its quirks are in backends/afd_win32.cc.
#pragma once

#include "fd/fd.h"

namespace ev_detail {
namespace afd_win32 {

extern const backend_ops afd_backend;

void modify(ev_loop *loop, int fd, int oev, int nev);
void poll(ev_loop *loop, ev_tstamp timeout);

}  // namespace afd_win32

using afd_policy = table_policy<&afd_win32::afd_backend>;

}  // namespace ev_detail
