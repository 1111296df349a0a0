// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring_ring.h - one io_uring instance as the io_uring backend uses it, by raw system
// calls: made with the newest features that kernel and loop allow, mapped, entered, given up.
//
// The features beyond the first io_uring the backend runs on, that of Linux 5.6, which brought
// IORING_OP_EPOLL_CTL (and before it single-mmap and nodrop, which the backend counts on), with
// the release that brought each.  Each is probed when a ring is made, has a fallback, and can be
// turned off for a process, so that every fallback can be run on a new kernel:
//
//   epoll-ctl        5.6   the interest set changed by IORING_OP_EPOLL_CTL requests: the backend
//                          itself, without which io_uring is not supported (iouring.cc)
//   ext-arg          5.11  the wait takes its timeout: IORING_ENTER_EXT_ARG
//   cqe-skip         5.17  no completion for a successful request: IOSQE_CQE_SKIP_SUCCESS
//   submit-all       5.18  submission goes on past a failing request
//   registered-ring  5.18  io_uring_enter names the ring by an index registered for the thread,
//                          so the kernel looks up no fd: IORING_REGISTER_RING_FDS
//   single-issuer    6.0   one thread submits; the ring is made disabled, IORING_SETUP_R_DISABLED
//                          of 5.10, and the polling thread enables it
//   defer-taskrun    6.1   completions are posted when the loop waits, not by interrupting it;
//                          with IORING_SETUP_TASKRUN_FLAG, 5.19
//   min-wait         6.12  the wait returns once a time passed with what came, short of the count
//                          it waits for: IORING_FEAT_MIN_TIMEOUT, the io collect interval (iouring.cc (w))
//   epoll-wait       6.15  the wait is an IORING_OP_EPOLL_WAIT request in the ring
//   streams          5.6   streams' I/O as requests, IORING_OP_RECV, SEND, SENDMSG and ACCEPT:
//                          io_uring's own stream engine (iouring_stream.cc), from ext-arg on
//   accept-multishot 5.19  one accept request for every connection: IORING_ACCEPT_MULTISHOT
//   recv-multishot   6.0   one receive request for every arrival, into a ring of provided buffers
//                          (IORING_RECV_MULTISHOT, IORING_REGISTER_PBUF_RING of 5.19)
//
// LIBEV_NG_IOURING in the environment turns them off, an aid for testing, not an interface, read
// where every loop's io_uring backend starts: items separated by commas, "X.Y" to use only what
// Linux X.Y offered, "-NAME" to leave out one feature of the list above, e.g. LIBEV_NG_IOURING=6.1
// or LIBEV_NG_IOURING=-defer-taskrun,-registered-ring.  Below 5.6, or without epoll-ctl, the
// backend is not supported.
#pragma once

#include "base/api.h"

#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

// Newer than the oldest headers that configure accepts, those of Linux 5.19.
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

namespace ev_detail::iouring_internal {

enum : unsigned {
  kFeatEpollCtl = 1u << 0,
  kFeatExtArg = 1u << 1,
  kFeatCqeSkip = 1u << 2,
  kFeatSubmitAll = 1u << 3,
  kFeatRegisteredRing = 1u << 4,
  kFeatSingleIssuer = 1u << 5,
  kFeatDeferTaskrun = 1u << 6,
  kFeatEpollWait = 1u << 7,
  kFeatStreams = 1u << 8,
  kFeatAcceptMultishot = 1u << 9,
  kFeatRecvMultishot = 1u << 10,
  kFeatMinWait = 1u << 11,
  kFeatAll = (1u << 12) - 1,
};

#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)
#endif

// io_uring_getevents_arg with the field that Linux 6.12 made of its pad, which older headers lack.
struct wait_argument {
  std::uint64_t sigmask;
  std::uint32_t sigmask_sz;
  std::uint32_t min_wait_usec;  // min-wait: return once this passed if a completion came
  std::uint64_t ts;
};
static_assert(sizeof(wait_argument) == sizeof(io_uring_getevents_arg), "the kernel's layout");

inline constexpr unsigned char kOpEpollWait = 59;  // IORING_OP_EPOLL_WAIT: older headers lack it

// The features that LIBEV_NG_IOURING, above, allows.
unsigned features_allowed_by_environment();

struct ring {
  int fd;             // -1: none
  unsigned features;  // kFeat* this ring has
  void *map;          // both rings, one mapping (IORING_FEAT_SINGLE_MMAP, 5.4)
  std::size_t map_size;
  io_uring_sqe *sqes;
  std::size_t sqes_size;

  unsigned *sq_head, *sq_tail, *sq_flags;
  unsigned *sq_array;  // the sqe each entry of the submission queue names
  unsigned sq_mask, sq_entries;
  unsigned sq_local_tail;  // our copy of *sq_tail, which only we write
  unsigned sq_submitted;   // sq_local_tail when the kernel last took every sqe

  unsigned *cq_head, *cq_tail, *cq_overflow;
  io_uring_cqe *cqes;
  unsigned cq_mask, cq_entries;

  // The wait's timeout and the ext-arg argument pointing at it; only a changed timeout is written.
  __kernel_timespec wait_ts;
  wait_argument wait_arg;
  ev_tstamp wait_timeout;  // what wait_ts holds
  unsigned wait_batch;     // completions a poll's wait waits for: 1, or the CQ's size while it collects

  bool enabled;  // submissions allowed: made so, or enabled by its single issuer
  // registered-ring: the index by which io_uring_enter names the ring in reg_thread, or -1 with
  // reg_thread 0, which no thread is.  Each ring has a process-wide slot, so that its index is the
  // same in every thread and no thread ever has another ring under it.
  int reg_index;
  std::uintptr_t reg_thread;
};

// A ring of kRingEntries submissions and twice as many completions, using what of `allowed` the
// kernel has.  On failure, ENOSYS for a kernel without IORING_OP_EPOLL_CTL or not allowed it, it
// returns false with errno set and leaves nothing behind: r.fd is -1.
constexpr unsigned kRingEntries = 128;
bool ring_open(ring &r, unsigned allowed);
// Unmap the ring and close its fd unless lost, the number not ours any more; r.fd is -1 then.
void ring_close(ring &r, bool lost);
// From fork(3)'s child handler, so async-signal-safe: the child lets go of its copy of the parent's
// ring, which would keep the ring alive, and every file the parent's requests hold.
void ring_drop_in_child(ring &r);
// The submitting thread makes the ring its own: single-issuer's ring is enabled, registered-ring's
// registered for this thread.  Returns 0 or the errno of a refused enabling.
int ring_adopt(ring &r);
// Forget the registered index, which the kernel refused: EBADF, EINVAL.
void ring_unregister(ring &r);
// Register op's arg with the ring (the system call sys_register makes): 0 or the errno.
int ring_register(const ring &r, unsigned op, void *arg, unsigned nr);

inline unsigned load_acquire(const unsigned *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void store_release(unsigned *p, unsigned v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

// The calling thread as ring::reg_thread names it: its thread pointer, unique among live threads
// and what pthread_self gives on glibc, read without a call where the architecture allows.
inline std::uintptr_t this_thread()
{
#if defined(__x86_64__) && defined(__linux__)
  std::uintptr_t tp;
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  return tp;
#elif defined(__aarch64__) && defined(__linux__)
  return reinterpret_cast<std::uintptr_t>(__builtin_thread_pointer());
#else
  return static_cast<std::uintptr_t>(pthread_self());
#endif
}

// io_uring_enter through libc's syscall(): the ring's setup and rare
// paths (a test hooks syscall() there).  Returns the result or -errno.
int ring_enter_libc(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void *arg,
                    std::size_t argsz);

// io_uring_enter, by the registered index where this thread registered the ring.  The system call
// is made inline where the architecture allows, because a call of libc's generic syscall() costs
// more than the wait's own bookkeeping.  Returns the result or -errno, leaving errno untouched.
inline int ring_enter(const ring &r, unsigned to_submit, unsigned min_complete, unsigned flags, const void *arg,
                      std::size_t argsz)
{
  const bool registered = this_thread() == r.reg_thread;
  const long fd = registered ? r.reg_index : r.fd;
  flags |= registered ? IORING_ENTER_REGISTERED_RING : 0u;
#if defined(__x86_64__) && defined(__linux__)
  long ret;
  register long r10 __asm__("r10") = static_cast<long>(flags);
  register long r8 __asm__("r8") = reinterpret_cast<long>(arg);
  register long r9 __asm__("r9") = static_cast<long>(argsz);
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"(static_cast<long>(__NR_io_uring_enter)), "D"(fd), "S"(static_cast<long>(to_submit)),
                     "d"(static_cast<long>(min_complete)), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return static_cast<int>(ret);
#elif defined(__aarch64__) && defined(__linux__)
  register long x8 __asm__("x8") = __NR_io_uring_enter;
  register long x0 __asm__("x0") = fd;
  register long x1 __asm__("x1") = static_cast<long>(to_submit);
  register long x2 __asm__("x2") = static_cast<long>(min_complete);
  register long x3 __asm__("x3") = static_cast<long>(flags);
  register long x4 __asm__("x4") = reinterpret_cast<long>(arg);
  register long x5 __asm__("x5") = static_cast<long>(argsz);
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return static_cast<int>(x0);
#else
  return ring_enter_libc(static_cast<int>(fd), to_submit, min_complete, flags, arg, argsz);
#endif
}

// The ring at its place for good: the wait's argument points into it.
inline void ring_placed(ring &r)
{
  // Through uintptr_t, because a 32-bit pointer cast to 64 bits directly is
  // sign-extended, and the kernel refuses the address with EFAULT.
  r.wait_arg.ts = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&r.wait_ts));
  r.wait_ts.tv_sec = r.wait_ts.tv_nsec = 0;
  r.wait_timeout = 0.;
  r.wait_arg.min_wait_usec = 0;
  r.wait_batch = 1;
}

// ring_enter through libc's syscall(), for the rare paths.
inline int ring_enter_slow(const ring &r, unsigned to_submit, unsigned min_complete, unsigned flags, const void *arg,
                           std::size_t argsz)
{
  int fd = r.fd;
  if (this_thread() == r.reg_thread) {
    fd = r.reg_index;
    flags |= IORING_ENTER_REGISTERED_RING;
  }
  return ring_enter_libc(fd, to_submit, min_complete, flags, arg, argsz);
}

// An sqe zeroed for a request: four stores where SSE2 has them, since -Os makes memset's 64 bytes
// a rep stos of sixteen words.
inline void sqe_zero(io_uring_sqe *sqe)
{
#ifdef __SSE2__
  static_assert(sizeof(io_uring_sqe) == 4 * sizeof(__m128i), "the kernel's 64 bytes");
  auto *p = reinterpret_cast<__m128i *>(sqe);
  const __m128i zero = _mm_setzero_si128();
  _mm_storeu_si128(p, zero);
  _mm_storeu_si128(p + 1, zero);
  _mm_storeu_si128(p + 2, zero);
  _mm_storeu_si128(p + 3, zero);
#else
  std::memset(sqe, 0, sizeof *sqe);
#endif
}

// The timeout as nanoseconds, rounded up so that a wait never ends early: below 1e6 s the product
// is exact to 0.07 ns, and the poll waits less than 1.6e6 s, see clock.h.  At most 2e18 ns, 63
// years; 0 for 0, negative times and NaN.  SSE2 clamps without a branch, like timeout_to_ms.
inline long long timeout_to_ns(ev_tstamp timeout)
{
  double ns = timeout * 1e9 + 0.999999;
#ifdef __SSE2__
  __m128d v = _mm_max_sd(_mm_set_sd(ns), _mm_setzero_pd());
  return _mm_cvttsd_si64(_mm_min_sd(v, _mm_set_sd(2e18)));
#else
  ns = ns > 0. ? ns : 0.;
  return static_cast<long long>(ns < 2e18 ? ns : 2e18);
#endif
}

// Submit n sqes, then wait with ext-arg until the queue holds min_complete
// completions or `timeout` seconds passed; a timeout of 0 does not wait.
inline int ring_wait(ring &r, unsigned n, unsigned min_complete, ev_tstamp timeout)
{
  // Inline: a loop with timers waits for another time in every iteration.

  if (timeout != r.wait_timeout) {
    r.wait_timeout = timeout;
    const auto ns = static_cast<unsigned long long>(timeout_to_ns(timeout));
    r.wait_ts.tv_sec = static_cast<long long>(ns / 1000000000u);
    r.wait_ts.tv_nsec = static_cast<long long>(ns % 1000000000u);
  }
  return ring_enter(r, n, min_complete, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &r.wait_arg, sizeof r.wait_arg);
}

}  // namespace ev_detail::iouring_internal
