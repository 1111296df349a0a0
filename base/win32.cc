// SPDX-License-Identifier: BSD-2-Clause
// base/win32.cc - Windows' side of the core's system calls: the POSIX calls of base/win32.h that
// are not inline (the C runtime's signals, the wake-up pair of sockets), and the lock, the once,
// the thread's id, the thread key and the clocks of base/lock.h, base/once.h, base/thread_id.h,
// base/thread_key.h and base/os_clock.h over Win32's own calls.
//
// It needs nothing of the core's but those headers, which need nothing of it, so no include goes
// back up from base/win32.h to base/api.h.
#include <winsock2.h>
#include <ws2tcpip.h>

#include "base/lock.h"
#include "base/once.h"
#include "base/os_clock.h"
#include "base/thread_id.h"
#include "base/thread_key.h"
#include "base/win32.h"

#include <atomic>
#include <initializer_list>

#ifdef _WIN32

namespace {

constexpr int kSignals = NSIG > 0 ? NSIG : 23;
constinit std::atomic<void (*)(int)> handlers[kSignals];

// The C runtime resets the handler before it calls it: install it again
// first, so that a signal arriving during the handler is not lost.
void trampoline(int signum)
{
  ::signal(signum, trampoline);
  if (signum > 0 && signum < kSignals)
    if (void (*h)(int) = handlers[signum].load())
      h(signum);
}

std::atomic<bool> wsa_started{false};

void wsa_start()
{
  if (wsa_started.exchange(true))
    return;
  WSADATA data;
  WSAStartup(MAKEWORD(2, 2), &data);
}

SOCKET socket_of(int fd) { return static_cast<SOCKET>(ev_detail::handle_of_fd(fd)); }

// ev(3) EV_USE_WSASOCKET: WSASocket, which works better in some environments
// (layered providers), or socket, which works better in others.
#ifndef EV_USE_WSASOCKET
#define EV_USE_WSASOCKET 0
#endif
SOCKET tcp_socket()
{
#if EV_USE_WSASOCKET
  return ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0);
#else
  return ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
#endif
}

}  // namespace

int ev_ng_win32_sigaction(int signum, const struct sigaction *sa, struct sigaction *old)
{
  if (signum <= 0 || signum >= kSignals) {
    errno = EINVAL;
    return -1;
  }
  if (old)
    *old = {};
  if (sa) {
    handlers[signum].store(sa->sa_handler);
    if (::signal(signum, trampoline) == SIG_ERR)
      return -1;
  }
  return 0;
}

// A listening socket on 127.0.0.1 accepts the connection of a second one:
// the pair, without handle inheritance, non-blocking, as C runtime fds.
int pipe(int fds[2])
{
  wsa_start();
  SOCKET lst = tcp_socket(), out = INVALID_SOCKET, in = INVALID_SOCKET;
  sockaddr_in addr = {};
  int len = sizeof addr;
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = lst != INVALID_SOCKET && ::bind(lst, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
            ::listen(lst, 1) == 0 && ::getsockname(lst, reinterpret_cast<sockaddr *>(&addr), &len) == 0 &&
            (out = tcp_socket()) != INVALID_SOCKET &&
            ::connect(out, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
            (in = ::accept(lst, nullptr, nullptr)) != INVALID_SOCKET;
  if (lst != INVALID_SOCKET)
    ::closesocket(lst);
  u_long on = 1;
  int one = 1;
  for (SOCKET s : {in, out})
    ok = ok && ::ioctlsocket(s, FIONBIO, &on) == 0 &&
         ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0) &&
         ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char *>(&one), sizeof one) == 0;
  fds[0] = ok ? EV_WIN32_HANDLE_TO_FD(static_cast<intptr_t>(in)) : -1;
  fds[1] = ok && fds[0] >= 0 ? EV_WIN32_HANDLE_TO_FD(static_cast<intptr_t>(out)) : -1;
  if (fds[1] >= 0)
    return 0;
  if (fds[0] >= 0)
    ev_detail::close_fd(fds[0]);  // closes `in`
  else if (in != INVALID_SOCKET)
    ::closesocket(in);
  if (out != INVALID_SOCKET)
    ::closesocket(out);
  errno = EMFILE;
  return -1;
}

namespace ev_detail {

// errno as the wake-up code tests it: EAGAIN when there is nothing to read or no room, else EIO.
ssize_t wakeup_read(int fd, void *buf, std::size_t len)
{
  int n = ::recv(socket_of(fd), static_cast<char *>(buf), static_cast<int>(len), 0);
  if (n == SOCKET_ERROR)
    errno = WSAGetLastError() == WSAEWOULDBLOCK ? EAGAIN : EIO;
  return n;
}

ssize_t wakeup_write(int fd, const void *buf, std::size_t len)
{
  int n = ::send(socket_of(fd), static_cast<const char *>(buf), static_cast<int>(len), 0);
  if (n == SOCKET_ERROR)
    errno = WSAGetLastError() == WSAEWOULDBLOCK ? EAGAIN : EIO;
  return n;
}

void win32_start_sockets() { wsa_start(); }

namespace {

// errno as POSIX would set it for what Winsock says
int errno_of(int wsa)
{
  switch (wsa) {
  case WSAEWOULDBLOCK: return EAGAIN;
  case WSAEINTR: return EINTR;
  case WSAECONNRESET:
  case WSAENETRESET: return ECONNRESET;
  case WSAECONNABORTED: return ECONNABORTED;
  case WSAESHUTDOWN: return EPIPE;
  case WSAENOTCONN: return ENOTCONN;
  case WSAENOTSOCK: return ENOTSOCK;
  case WSAETIMEDOUT: return ETIMEDOUT;
  case WSAENOBUFS: return ENOBUFS;
  case WSAEMFILE: return EMFILE;
  case WSAEINVAL: return EINVAL;
  case WSAEBADF: return EBADF;
  case WSAEPROTOTYPE: return EPROTOTYPE;
  case WSAEHOSTUNREACH: return EHOSTUNREACH;
  case WSAENETDOWN: return ENETDOWN;
  case WSAENETUNREACH: return ENETUNREACH;
  default: return EIO;
  }
}

int last_error() { return errno_of(WSAGetLastError()); }

template <class R>
R failed_with(int err, R result)
{
  errno = err;
  return result;
}

}  // namespace

int socket_prepare(int fd, int kind)
{
  const intptr_t h = fd < 0 ? -1 : handle_of_fd(fd);
  if (h == -1)
    return EBADF;
  wsa_start();
  const SOCKET s = static_cast<SOCKET>(h);
  int type = 0, len = sizeof type;
  // Any socket answers SO_TYPE: a handle that cannot is none (Wine says WSAEOPNOTSUPP for some files).
  if (::getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char *>(&type), &len) != 0)
    return WSAGetLastError() == WSAEOPNOTSUPP ? ENOTSOCK : last_error();
  if (type != SOCK_STREAM)
    return EPROTOTYPE;
  if (kind == 1) {
    sockaddr_storage peer;
    int plen = sizeof peer;
    if (::getpeername(s, reinterpret_cast<sockaddr *>(&peer), &plen) != 0)
      return last_error();
  } else {
    BOOL listening = FALSE;
    len = sizeof listening;
    if (::getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, reinterpret_cast<char *>(&listening), &len) == 0 && !listening)
      return EINVAL;
  }
  u_long on = 1;
  return ::ioctlsocket(s, FIONBIO, &on) == 0 ? 0 : last_error();
}

ssize_t socket_receive(int fd, void *buf, std::size_t len)
{
  int n = ::recv(socket_of(fd), static_cast<char *>(buf), static_cast<int>(len), 0);
  return n == SOCKET_ERROR ? failed_with<ssize_t>(last_error(), -1) : n;
}

ssize_t socket_send(int fd, const send_piece *pieces, int n)
{
  WSABUF bufs[64];
  if (n > 64)
    n = 64;
  for (int i = 0; i < n; ++i) {
    bufs[i].buf = static_cast<CHAR *>(const_cast<void *>(pieces[i].base));
    // (Winsock's lengths are 32 bits: a longer piece goes in parts)
    bufs[i].len = static_cast<ULONG>(pieces[i].len < 0x40000000u ? pieces[i].len : 0x40000000u);
  }
  DWORD sent = 0;
  if (::WSASend(socket_of(fd), bufs, static_cast<DWORD>(n), &sent, 0, nullptr, nullptr) != 0)
    return failed_with<ssize_t>(last_error(), -1);
  return static_cast<ssize_t>(sent);
}

int socket_shutdown_send(int fd) { return ::shutdown(socket_of(fd), SD_SEND) == 0 ? 0 : failed_with(last_error(), -1); }

// The new connection non-blocking and not inherited, as a C runtime fd.
int socket_accept(int fd)
{
  SOCKET s = ::accept(socket_of(fd), nullptr, nullptr);
  if (s == INVALID_SOCKET)
    return failed_with(last_error(), -1);
  u_long on = 1;
  ::ioctlsocket(s, FIONBIO, &on);
  ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
  const int nfd = EV_WIN32_HANDLE_TO_FD(static_cast<intptr_t>(s));
  if (nfd < 0) {
    ::closesocket(s);
    return failed_with(EMFILE, -1);
  }
  return nfd;
}

int socket_close(int fd) { return close_fd(fd); }

// ---- base/lock.h, base/once.h, base/thread_id.h ----

static_assert(sizeof(SRWLOCK) == sizeof(os_lock::srw) && sizeof(INIT_ONCE) == sizeof(os_once::init_once));
void lock_take(os_lock &l) { ::AcquireSRWLockExclusive(reinterpret_cast<SRWLOCK *>(&l.srw)); }
void lock_give(os_lock &l) { ::ReleaseSRWLockExclusive(reinterpret_cast<SRWLOCK *>(&l.srw)); }

namespace {
BOOL CALLBACK once_trampoline(INIT_ONCE *, void *fn, void **)
{
  (*static_cast<void (**)()>(fn))();
  return TRUE;
}
}  // namespace

void run_once(os_once &once, void (*fn)())
{
  ::InitOnceExecuteOnce(reinterpret_cast<INIT_ONCE *>(&once.init_once), once_trampoline, &fn, nullptr);
}

thread_id thread_self() { return ::GetCurrentThreadId(); }

// ---- base/thread_key.h ----
// An FLS callback gets the thread's value alone, so each key has a callback of its own, which
// calls the key's function until the key is deleted: FlsFree calls the callback for every thread
// that holds a value, where pthread_key_delete calls nothing.

namespace {
constexpr int kKeys = 4;  // the core makes two
constinit std::atomic<void (*)(void *)> key_exit[kKeys];
constinit std::atomic<bool> key_used[kKeys];
template <int I>
void WINAPI key_trampoline(void *value)
{
  if (void (*at_exit)(void *) = key_exit[I].load(std::memory_order_acquire); at_exit && value)
    at_exit(value);
}
constexpr PFLS_CALLBACK_FUNCTION kTrampolines[kKeys] = {key_trampoline<0>, key_trampoline<1>, key_trampoline<2>,
                                                        key_trampoline<3>};
}  // namespace

bool thread_key_make(thread_key &k, void (*at_exit)(void *))
{
  for (int i = 0; i < kKeys; ++i) {
    if (key_used[i].exchange(true))
      continue;
    key_exit[i].store(at_exit, std::memory_order_release);
    const DWORD index = ::FlsAlloc(kTrampolines[i]);
    if (index == FLS_OUT_OF_INDEXES) {
      key_exit[i].store(nullptr);
      key_used[i].store(false);
      return false;
    }
    k = {index, i};
    return true;
  }
  return false;
}

void thread_key_set(thread_key k, void *value) { ::FlsSetValue(k.index, value); }
void *thread_key_get(thread_key k) { return ::FlsGetValue(k.index); }

void thread_key_delete(thread_key k)
{
  key_exit[k.exit_slot].store(nullptr, std::memory_order_release);
  ::FlsFree(k.index);
  key_used[k.exit_slot].store(false);
}

// ---- base/os_clock.h ----

namespace {
// Both are fixed at boot; a race only writes the same value twice.
constinit std::atomic<long long> qpc_frequency{0};
long long ticks_per_second()
{
  long long f = qpc_frequency.load(std::memory_order_relaxed);
  if (!f) {
    LARGE_INTEGER li;
    ::QueryPerformanceFrequency(&li);  // never fails since Windows XP
    qpc_frequency.store(f = li.QuadPart, std::memory_order_relaxed);
  }
  return f;
}
long long ticks()
{
  LARGE_INTEGER li;
  ::QueryPerformanceCounter(&li);
  return li.QuadPart;
}

// The system time to 100 ns where Windows has it (8 and later: GetSystemTimePreciseAsFileTime),
// else to the timer interrupt's 15.6 ms; looked up, so that a program may target Windows 7 and
// declare an older _WIN32_WINNT.
using filetime_fn = void(WINAPI *)(FILETIME *);
constinit std::atomic<filetime_fn> system_time{nullptr};
filetime_fn system_time_reader()
{
  filetime_fn f = system_time.load(std::memory_order_relaxed);
  if (!f) {
    HMODULE kernel32 = ::GetModuleHandleW(L"kernel32.dll");
    FARPROC precise = kernel32 ? ::GetProcAddress(kernel32, "GetSystemTimePreciseAsFileTime") : nullptr;
    f = precise ? reinterpret_cast<filetime_fn>(reinterpret_cast<void (*)()>(precise)) : ::GetSystemTimeAsFileTime;
    system_time.store(f, std::memory_order_relaxed);
  }
  return f;
}
}  // namespace

double realtime_now()
{
  FILETIME ft;
  system_time_reader()(&ft);
  constexpr unsigned long long kUnixEpoch = 116444736000000000ULL;  // 1970 in 100 ns since 1601
  const unsigned long long t =
      ((static_cast<unsigned long long>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime) - kUnixEpoch;
  return static_cast<double>(t / 10000000) + static_cast<double>(t % 10000000) * 1e-7;
}

double monotonic_now()
{
  const long long t = ticks(), f = ticks_per_second();
  return static_cast<double>(t / f) + static_cast<double>(t % f) / static_cast<double>(f);
}

std::uint64_t monotonic_ns()
{
  const auto t = static_cast<std::uint64_t>(ticks()), f = static_cast<std::uint64_t>(ticks_per_second());
  return t / f * 1000000000u + t % f * 1000000000u / f;
}

void sleep_for(double seconds)
{
  constexpr double kLongest = 4e6;  // seconds, below Sleep's INFINITE
  const double ms = (seconds < kLongest ? seconds : kLongest) * 1e3;
  auto whole = static_cast<DWORD>(ms);
  ::Sleep(whole < ms ? whole + 1 : whole);
}

}  // namespace ev_detail

#endif  // _WIN32
