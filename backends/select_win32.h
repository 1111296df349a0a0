// SPDX-License-Identifier: BSD-2-Clause
// backends/select_win32.h - the select backend on Windows (EVBACKEND_SELECT): Winsock's select over
// the sockets behind C runtime fds, as libev's EV_SELECT_IS_WINSOCKET, with sets of any size.  Its
// policy (backend.h); the backend and its quirks are in backends/select_win32.cc.
#pragma once

#include "fd/fd.h"

namespace ev_detail {
namespace select_win32 {

extern const backend_ops select_backend;

void modify(ev_loop *loop, int fd, int oev, int nev);
void poll(ev_loop *loop, ev_tstamp timeout);

}  // namespace select_win32

using select_policy = table_policy<&select_win32::select_backend>;

}  // namespace ev_detail
