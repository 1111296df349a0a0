// SPDX-License-Identifier: BSD-2-Clause
// backends/afd_win32.cc - the AFD backend on Windows (EVBACKEND_NG_AFD): the sockets behind C
// runtime fds polled one request each through the Ancillary Function Driver, the kernel half of
// Winsock, with IOCTL_AFD_POLL on a handle of \Device\Afd tied to an I/O completion port, as wepoll
// and mio do.  Chosen only by its bit: registry.cc keeps it out of libev's answers.
//
// Windows and AFD quirks handled here:
//  (a) The ioctl and \Device\Afd are undocumented; NtCreateFile and NtDeviceIoControlFile are
//      ntdll's, looked up at run time so that the DLL imports nothing new.  Without them init fails
//      and the loop is not made, as for any backend the system lacks.
//  (b) A poll is a one-shot request: it completes once, when one of the events it asks for holds,
//      at once if one holds already.  Level triggering, libev's contract, comes from submitting it
//      again after each completion, before the next wait: a socket that stays readable completes
//      again at once.  Only changed or completed sockets are submitted; idle ones cost nothing.
//  (c) A pending request keeps pointing at its memory (status block, poll info), so each request is
//      an op of its own that never moves: from the free list, or allocated when it is empty, and
//      back on it when its completion is seen.  After a warm-up no iteration allocates.
//  (d) A change of interest while a request is pending: a narrower one (ev_io_stop, read and write
//      to read) leaves the request pending and drops what it reports beyond the interest, then asks
//      again, narrower; a wider one (read to write), or another socket on the fd, cannot wait for
//      it, so a new request is made at once and the old one is cancelled (CancelIoEx) and orphaned:
//      its completion, whenever it comes, only returns the op to the free list.  Nothing waits for
//      a cancellation, which Windows delivers as a completion later, and which Wine 8 may deliver
//      much later, or not find at all (t/win32/ev_io.c).
//  (e) Requests name the socket's base handle (SIO_BASE_HANDLE, or SIO_BSP_HANDLE_POLL, the one a
//      layered provider gives for poll); an fd that has none is not a socket (a file, a pipe): its
//      watchers get EV_ERROR when they start, never an abort or a spin, as on select.
//  (f) A request that ends in its socket's close (AFD_POLL_LOCAL_CLOSE, or a failed request) makes
//      the backend look at the fd again, as select looks at the number each time: the fd may name
//      another socket by now (the number reused after a close, while its watcher was stopped or
//      behind its back; or the closed socket's handle value, which Windows hands out again at
//      once), which is polled at once; an fd that names no socket any more gets EV_ERROR.  A socket
//      closed after ev_io_stop has its request cancelled or its completion ignored: no stale event.
//      What a pending request reports after its fd was set anew is reported: mostly the socket is
//      the same (under Wine 8 a later request is not told of a disconnect, so dropping it would
//      lose an EOF); a closed socket's readiness from just before its close is then one spurious
//      event, which a non-blocking read answers with WSAEWOULDBLOCK.
//  (g) A failed connect is AFD_POLL_CONNECT_FAIL, an abort AFD_POLL_ABORT: both are reported as
//      readable and writable, as POSIX reports a socket in error, so that a write watcher sees the
//      failed connect as on select and getsockopt (SO_ERROR) tells why.
//  (h) The completion carries the op, the context given at submission, and the op its owner.
#include <mswsock.h>
#include <windows.h>
#include <winsock2.h>
#include <winternl.h>

#include <climits>

#include "backends/afd_win32.h"

namespace ev_detail::afd_win32 {

namespace {

// The ioctl and its event bits, as public descriptions of AFD give them.
constexpr ULONG kIoctlAfdPoll = 0x00012024;
constexpr ULONG kPollReceive = 0x0001;
constexpr ULONG kPollSend = 0x0004;
constexpr ULONG kPollDisconnect = 0x0008;
constexpr ULONG kPollAbort = 0x0010;
constexpr ULONG kPollLocalClose = 0x0020;
constexpr ULONG kPollAccept = 0x0080;
constexpr ULONG kPollConnectFail = 0x0100;
constexpr ULONG kReadEvents = kPollReceive | kPollAccept | kPollDisconnect | kPollAbort | kPollConnectFail;
constexpr ULONG kWriteEvents = kPollSend | kPollAbort | kPollConnectFail;

constexpr NTSTATUS kStatusSuccess = 0;
constexpr NTSTATUS kStatusPending = 0x00000103;
constexpr NTSTATUS kStatusCancelled = static_cast<NTSTATUS>(0xC0000120);

struct afd_poll_handle_info {
  HANDLE handle;
  ULONG events;
  NTSTATUS status;
};

struct afd_poll_info {
  LARGE_INTEGER timeout;
  ULONG number_of_handles;
  ULONG exclusive;
  afd_poll_handle_info handles[1];
};

using nt_create_file_fn = NTSTATUS(NTAPI *)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK, PLARGE_INTEGER,
                                            ULONG, ULONG, ULONG, ULONG, PVOID, ULONG);
using nt_device_io_control_file_fn = NTSTATUS(NTAPI *)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID, PIO_STATUS_BLOCK, ULONG,
                                                       PVOID, ULONG, PVOID, ULONG);

struct sock_record;

// One request, see (c); the kernel writes iosb and info while it is pending.
struct poll_op {
  IO_STATUS_BLOCK iosb;
  afd_poll_info info;
  sock_record *owner;   // null once orphaned or completed, see (d)
  poll_op *next;        // in the free list
  poll_op *next_all;    // in the list of every op, for destroy
  SOCKET polled;        // the base handle it names
  unsigned char asked;  // the EV_READ | EV_WRITE it asks for
  bool pending;         // submitted, completion not yet seen
};

// One fd's state, kept for the loop's life.
struct sock_record {
  SOCKET socket;      // the fd's socket when modify last looked
  SOCKET base;        // its base handle, see (e); INVALID_SOCKET for none
  poll_op *op;        // its pending request, or null
  sock_record *next;  // in the update list
  int fd;
  unsigned char want;  // EV_READ | EV_WRITE
  bool queued;         // in the update list
};

// Completions taken per wait; more wait in the port for the next one.
constexpr ULONG kEntries = 256;

struct afd_state {
  HANDLE port;
  HANDLE afd;
  nt_device_io_control_file_fn ioctl;
  sock_record **records;  // by fd
  int capacity;
  int pending;        // requests whose completion was not yet seen
  bool resubmitted;   // a closed socket's fd polled again in this wait, see (f)
  poll_op *free_ops;  // see (c)
  poll_op *all_ops;
  sock_record *updates;  // to submit before the wait, see (b)
  OVERLAPPED_ENTRY entries[kEntries];
};

afd_state *state(ev_loop *loop) { return static_cast<afd_state *>(loop->backend_state); }

// the program's EV_FD_TO_WIN32_HANDLE, as select_win32.cc maps fds
SOCKET socket_of(int fd) { return static_cast<SOCKET>(handle_of_fd(fd)); }

// See (e).
SOCKET base_of(SOCKET s)
{
  if (s == INVALID_SOCKET)
    return INVALID_SOCKET;
  for (DWORD ioctl : {static_cast<DWORD>(SIO_BASE_HANDLE), static_cast<DWORD>(SIO_BSP_HANDLE_POLL)}) {
    SOCKET base = INVALID_SOCKET;
    DWORD bytes = 0;
    if (::WSAIoctl(s, ioctl, nullptr, 0, &base, sizeof base, &bytes, nullptr, nullptr) == 0 && base != INVALID_SOCKET)
      return base;
  }
  return INVALID_SOCKET;
}

void queue(afd_state *st, sock_record *rec)
{
  if (rec->queued)
    return;
  rec->queued = true;
  rec->next = st->updates;
  st->updates = rec;
}

sock_record *record(afd_state *st, int fd)
{
  if (fd >= st->capacity) {
    int c = st->capacity ? st->capacity : 64;
    while (c <= fd)
      c *= 2;
    st->records =
        static_cast<sock_record **>(ev_realloc(st->records, sizeof(sock_record *) * static_cast<std::size_t>(c)));
    for (int i = st->capacity; i < c; ++i)
      st->records[i] = nullptr;
    st->capacity = c;
  }
  sock_record *&rec = st->records[fd];
  if (!rec) {
    rec = static_cast<sock_record *>(ev_realloc(nullptr, sizeof(sock_record)));
    *rec = sock_record{};
    rec->fd = fd;
    rec->socket = rec->base = INVALID_SOCKET;
  }
  return rec;
}

// The watchers of rec's fd get EV_ERROR, see (e) and (f).
void kill(ev_loop *loop, sock_record *rec)
{
  rec->want = 0;
  rec->socket = rec->base = INVALID_SOCKET;
  fd_kill(loop, rec->fd);
}

poll_op *take_op(afd_state *st)
{
  poll_op *op = st->free_ops;
  if (op) {
    st->free_ops = op->next;
    return op;
  }
  op = static_cast<poll_op *>(ev_realloc(nullptr, sizeof(poll_op)));
  *op = poll_op{};
  op->next_all = st->all_ops;
  st->all_ops = op;
  return op;
}

void give_op(afd_state *st, poll_op *op)
{
  op->owner = nullptr;
  op->next = st->free_ops;
  st->free_ops = op;
}

// See (d).
void orphan(afd_state *st, sock_record *rec)
{
  poll_op *op = rec->op;
  rec->op = nullptr;
  op->owner = nullptr;
  // (ERROR_NOT_FOUND: completed already, its completion is queued)
  ::CancelIoEx(st->afd, reinterpret_cast<LPOVERLAPPED>(&op->iosb));
}

void submit(ev_loop *loop, afd_state *st, sock_record *rec)
{
  ULONG events = kPollLocalClose;
  if (rec->want & EV_READ)
    events |= kReadEvents;
  if (rec->want & EV_WRITE)
    events |= kWriteEvents;
  poll_op *op = take_op(st);
  op->info.timeout.QuadPart = LLONG_MAX;
  op->info.number_of_handles = 1;
  op->info.exclusive = FALSE;
  op->info.handles[0].handle = reinterpret_cast<HANDLE>(rec->base);
  op->info.handles[0].events = events;
  op->info.handles[0].status = 0;
  op->iosb.Status = kStatusPending;
  op->iosb.Information = 0;
  NTSTATUS r = st->ioctl(st->afd, nullptr, nullptr, op, &op->iosb, kIoctlAfdPoll, &op->info, sizeof op->info, &op->info,
                         sizeof op->info);
  // done at once or not, the completion comes through the port
  if (r == kStatusPending || r == kStatusSuccess) {
    op->pending = true;
    op->owner = rec;
    op->asked = rec->want;
    op->polled = rec->base;
    rec->op = op;
    ++st->pending;
  } else {
    give_op(st, op);
    kill(loop, rec);  // a closed handle, see (f)
  }
}

// Before the wait: submit what changed or completed, see (b) and (d).
void apply_updates(ev_loop *loop, afd_state *st)
{
  while (sock_record *rec = st->updates) {
    st->updates = rec->next;
    rec->queued = false;
    if (rec->op && ((rec->want & ~rec->op->asked) || rec->base != rec->op->polled))
      orphan(st, rec);
    if (!rec->op && rec->want)
      submit(loop, st, rec);
  }
}

// A request ended in its socket's close (f): look at the fd again and poll the socket it names now
// at once, so that its readiness is reported in this wait, as by a backend that looks at the fd.
void look_again(ev_loop *loop, afd_state *st, sock_record *rec)
{
  rec->socket = socket_of(rec->fd);
  rec->base = base_of(rec->socket);
  if (rec->base == INVALID_SOCKET)
    return kill(loop, rec);
  submit(loop, st, rec);
  st->resubmitted = true;
}

// Whether it reported an event.
bool complete(ev_loop *loop, afd_state *st, poll_op *op)
{
  sock_record *rec = op->owner;
  op->pending = false;
  --st->pending;
  give_op(st, op);
  if (!rec)  // orphaned, see (d)
    return false;
  rec->op = nullptr;
  if (!rec->want)  // stopped, see (f)
    return false;
  int revents = 0;
  if (op->iosb.Status == kStatusSuccess && op->info.number_of_handles >= 1) {
    ULONG events = op->info.handles[0].events;
    if (events & kPollLocalClose) {
      look_again(loop, st, rec);
      return false;
    }
    if (events & (kPollReceive | kPollAccept | kPollDisconnect | kPollAbort | kPollConnectFail))
      revents |= EV_READ;
    if (events & (kPollSend | kPollAbort | kPollConnectFail))
      revents |= EV_WRITE;
  } else if (op->iosb.Status != kStatusCancelled) {
    look_again(loop, st, rec);
    return false;
  }
  queue(st, rec);  // see (b)
  if (!(revents & rec->want))
    return false;
  fd_event(loop, rec->fd, revents);
  return true;
}

// Closing the handle cancels the pending requests; their completions are
// awaited for a while, since the kernel writes into the ops until then.
void drain(afd_state *st)
{
  ::CancelIoEx(st->afd, nullptr);
  ::CloseHandle(st->afd);
  st->afd = nullptr;
  for (int idle = 0; st->pending > 0 && idle < 10;) {
    ULONG n = 0;
    if (!::GetQueuedCompletionStatusEx(st->port, st->entries, kEntries, &n, 10, FALSE) || !n) {
      ++idle;
      continue;
    }
    for (ULONG i = 0; i < n; ++i) {
      static_cast<poll_op *>(static_cast<void *>(st->entries[i].lpOverlapped))->pending = false;
      --st->pending;
    }
  }
}

void destroy(ev_loop *loop)
{
  afd_state *st = state(loop);
  if (!st)
    return;
  if (st->afd)
    drain(st);
  if (st->port)
    ::CloseHandle(st->port);
  // (an op the kernel never finished with is leaked, not freed under it)
  for (poll_op *op = st->all_ops, *next; op; op = next) {
    next = op->next_all;
    if (!op->pending)
      ev_free(op);
  }
  for (int i = 0; i < st->capacity; ++i)
    ev_free(st->records[i]);
  ev_free(st->records);
  backend_state_free(loop->backend_state);
}

// \Device\Afd opened through ntdll (a).  A name under the device is required, any name.
HANDLE open_afd(nt_create_file_fn create)
{
  wchar_t path[] = L"\\Device\\Afd\\libev-ng";
  UNICODE_STRING name;
  name.Buffer = path;
  name.Length = static_cast<USHORT>(sizeof path - sizeof path[0]);
  name.MaximumLength = static_cast<USHORT>(sizeof path);
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, 0, nullptr, nullptr);
  IO_STATUS_BLOCK iosb;
  HANDLE afd = nullptr;
  NTSTATUS r = create(&afd, SYNCHRONIZE, &attributes, &iosb, nullptr, 0, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                      0, nullptr, 0);
  return r == kStatusSuccess ? afd : nullptr;
}

bool init(ev_loop *loop)
{
  win32_start_sockets();
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (!ntdll)
    return false;
  auto create = reinterpret_cast<nt_create_file_fn>(reinterpret_cast<void *>(::GetProcAddress(ntdll, "NtCreateFile")));
  auto ioctl = reinterpret_cast<nt_device_io_control_file_fn>(
      reinterpret_cast<void *>(::GetProcAddress(ntdll, "NtDeviceIoControlFile")));
  if (!create || !ioctl)
    return false;
  afd_state *st = backend_state_new<afd_state>(loop->backend_state);
  st->ioctl = ioctl;
  st->port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  st->afd = st->port ? open_afd(create) : nullptr;
  if (st->afd && ::CreateIoCompletionPort(st->afd, st->port, 0, 0))
    return true;
  destroy(loop);
  return false;
}

}  // namespace

constinit const backend_ops afd_backend = {
    "afd",   EVBACKEND_NG_AFD, 1e-3,    init,    destroy, fork_shares_nothing, modify, poll, false, nullptr, nullptr,
    nullptr, nullptr,          nullptr, nullptr, nullptr};

void modify(ev_loop *loop, int fd, int, int nev)
{
  afd_state *st = state(loop);
  int want = nev & (EV_READ | EV_WRITE);
  if (!want) {
    if (fd < st->capacity && st->records[fd]) {
      st->records[fd]->want = 0;
      queue(st, st->records[fd]);
    }
    return;
  }
  sock_record *rec = record(st, fd);
  SOCKET s = socket_of(fd);
  if (s != rec->socket || rec->base == INVALID_SOCKET || (nev & EV__IOFDSET)) {
    rec->socket = s;
    rec->base = base_of(s);
    if (rec->base == INVALID_SOCKET) {  // see (e)
      queue(st, rec);                   // (a pending request is orphaned)
      kill(loop, rec);
      return;
    }
  }
  rec->want = static_cast<unsigned char>(want);
  queue(st, rec);
}

void poll(ev_loop *loop, ev_tstamp timeout)
{
  afd_state *st = state(loop);
  apply_updates(loop, st);
  DWORD ms = static_cast<DWORD>(timeout_to_ms(timeout));
  ULONG n = 0;
  BOOL ok = hooked_wait(loop, FALSE, [st, ms, &n] {
    return ::GetQueuedCompletionStatusEx(st->port, st->entries, kEntries, &n, ms, FALSE);
  });
  if (!ok) {
    DWORD err = ::GetLastError();
    if (err != WAIT_TIMEOUT && err != WAIT_IO_COMPLETION) {
      errno = EINVAL;
      wait_failed("(libev) GetQueuedCompletionStatusEx", timeout);
    }
    return;
  }
  // A full batch of completions that reported nothing (of requests stopped or orphaned, (d) and
  // (f)) does not end the wait empty-handed: those queued behind it are taken at once, a batch at a
  // time.  Nor do resubmitted requests (f), whose completions are taken once more.
  for (;;) {
    bool reported = false;
    st->resubmitted = false;
    for (ULONG i = 0; i < n; ++i)
      reported |= complete(loop, st, static_cast<poll_op *>(static_cast<void *>(st->entries[i].lpOverlapped)));
    const bool more = st->resubmitted || (!reported && n == kEntries);
    if (!more || !::GetQueuedCompletionStatusEx(st->port, st->entries, kEntries, &n, 0, FALSE))
      return;
  }
}

}  // namespace ev_detail::afd_win32
