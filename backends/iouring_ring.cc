// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring_ring.cc - one io_uring instance: setup with feature
// probes, mappings, registration, the raw system calls (iouring_ring.h).
#include "backends/iouring_ring.h"

#include "backends/backend.h"
#include "base/env.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ev_detail::iouring_internal {

namespace {

struct feature_name {
  unsigned feature;
  const char *name;
  int major, minor;  // the Linux release that brought it
};
constexpr feature_name kFeatures[] = {
    {kFeatEpollCtl, "epoll-ctl", 5, 6},
    {kFeatExtArg, "ext-arg", 5, 11},
    {kFeatCqeSkip, "cqe-skip", 5, 17},
    {kFeatSubmitAll, "submit-all", 5, 18},
    {kFeatRegisteredRing, "registered-ring", 5, 18},
    {kFeatSingleIssuer, "single-issuer", 6, 0},
    {kFeatDeferTaskrun, "defer-taskrun", 6, 1},
    {kFeatMinWait, "min-wait", 6, 12},
    {kFeatEpollWait, "epoll-wait", 6, 15},
    {kFeatStreams, "streams", 5, 6},
    {kFeatAcceptMultishot, "accept-multishot", 5, 19},
    {kFeatRecvMultishot, "recv-multishot", 6, 0},
};

int sys_setup(unsigned entries, io_uring_params *p)
{
  return static_cast<int>(::syscall(__NR_io_uring_setup, entries, p));
}

int sys_register(int fd, unsigned op, void *arg, unsigned nr)
{
  return static_cast<int>(::syscall(__NR_io_uring_register, fd, op, arg, nr));
}

void *map_ring(int fd, std::size_t size, off_t offset)
{
  void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
  return p == MAP_FAILED ? nullptr : p;
}

void unmap(ring &r)
{
  if (r.sqes)
    ::munmap(r.sqes, r.sqes_size);
  if (r.map)
    ::munmap(r.map, r.map_size);
}

// The requests the kernel has, by IORING_REGISTER_PROBE of Linux 5.6, which a kernel without
// IORING_OP_EPOLL_CTL lacks too: kFeatEpollCtl, kFeatEpollWait, and the streams' features, each
// told by an opcode of its release: IORING_OP_SOCKET came with multishot accept (5.19),
// IORING_OP_SEND_ZC with multishot receive (6.0).
unsigned probed_ops(int fd)
{
  constexpr unsigned kOps = 256;
  alignas(io_uring_probe) unsigned char buf[sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op)] = {};
  auto *probe = reinterpret_cast<io_uring_probe *>(buf);
  if (sys_register(fd, IORING_REGISTER_PROBE, probe, kOps) != 0)
    return 0;
  auto has = [probe](unsigned char op) {
    return probe->ops_len > op && (probe->ops[op].flags & IO_URING_OP_SUPPORTED);
  };
  constexpr unsigned char kOpSocket = 45, kOpSendZc = 47;  // older headers lack them
  return (has(IORING_OP_EPOLL_CTL) ? kFeatEpollCtl : 0u) | (has(kOpEpollWait) ? kFeatEpollWait : 0u) |
         (has(IORING_OP_RECV) ? kFeatStreams : 0u) | (has(kOpSocket) ? kFeatAcceptMultishot : 0u) |
         (has(kOpSendZc) ? kFeatRecvMultishot : 0u);
}

// The process-wide registered-ring indexes (the kernel's IO_RINGFD_REG_MAX
// per thread): a ring keeps its index in every thread, see ring::reg_index.
constexpr int kRegisteredSlots = 16;
constinit std::atomic<unsigned> registered_slots{0};

int take_slot()
{
  unsigned used = registered_slots.load(std::memory_order_relaxed);
  for (;;) {
    unsigned free_bits = ~used & ((1u << kRegisteredSlots) - 1);
    if (!free_bits)
      return -1;
    unsigned bit = free_bits & -free_bits;
    if (registered_slots.compare_exchange_weak(used, used | bit, std::memory_order_acq_rel))
      return __builtin_ctz(bit);
  }
}

void give_slot(int slot) { registered_slots.fetch_and(~(1u << slot), std::memory_order_acq_rel); }

void unregister_here(int fd, int slot)
{
  io_uring_rsrc_update up;
  std::memset(&up, 0, sizeof up);
  up.offset = static_cast<unsigned>(slot);
  sys_register(fd, IORING_UNREGISTER_RING_FDS, &up, 1);
}

}  // namespace

unsigned features_allowed_by_environment()
{
  const char *env = env_get("LIBEV_NG_IOURING");
  unsigned allowed = kFeatAll;
  if (!env)
    return allowed;
  for (const char *p = env; *p;) {
    std::size_t len = std::strcspn(p, ",");
    if (*p == '-') {
      for (const feature_name &f : kFeatures)
        if (std::strlen(f.name) == len - 1 && !std::strncmp(p + 1, f.name, len - 1))
          allowed &= ~f.feature;
    } else if (*p >= '0' && *p <= '9') {
      char *end;
      long major = std::strtol(p, &end, 10);
      long minor = *end == '.' ? std::strtol(end + 1, nullptr, 10) : 0;
      for (const feature_name &f : kFeatures)
        if (f.major > major || (f.major == major && f.minor > minor))
          allowed &= ~f.feature;
    }
    p += len;
    if (*p == ',')
      ++p;
  }
  if (!(allowed & kFeatSingleIssuer))  // the kernel's rule
    allowed &= ~kFeatDeferTaskrun;
  return allowed;
}

bool ring_open(ring &r, unsigned allowed)
{
  r = ring{};
  r.fd = -1;
  r.reg_index = -1;  // with reg_thread 0
  if (!(allowed & kFeatEpollCtl)) {
    errno = ENOSYS;
    return false;
  }

  // Newest first; a kernel refuses flags it does not know (EINVAL), and the
  // next set leaves out the newest of them.
  const unsigned submit_all = allowed & kFeatSubmitAll ? IORING_SETUP_SUBMIT_ALL : 0u;
  const unsigned issuer = submit_all | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED;
  unsigned sets[4];
  unsigned nsets = 0;
  if ((allowed & kFeatDeferTaskrun) && (allowed & kFeatSingleIssuer))
    sets[nsets++] = issuer | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  if (allowed & kFeatSingleIssuer)
    sets[nsets++] = issuer;
  if (submit_all)
    sets[nsets++] = submit_all;
  sets[nsets++] = 0;

  io_uring_params p;
  unsigned flags = 0;
  int fd = -1;
  for (unsigned i = 0; i < nsets; ++i) {
    std::memset(&p, 0, sizeof p);
    p.flags = flags = sets[i];
    fd = sys_setup(kRingEntries, &p);
    if (fd >= 0 || errno != EINVAL)
      break;
  }
  if (fd < 0)
    return false;
  r.fd = fd;
  unsigned have = probed_ops(fd);
  // Both came before IORING_OP_EPOLL_CTL, so a kernel without them is not supported either.
  if (!(p.features & IORING_FEAT_SINGLE_MMAP) || !(p.features & IORING_FEAT_NODROP) || !(have & kFeatEpollCtl)) {
    ::close(fd);
    r.fd = -1;
    errno = ENOSYS;
    return false;
  }
  if (p.features & IORING_FEAT_EXT_ARG)
    have |= kFeatExtArg;
  if (p.features & IORING_FEAT_CQE_SKIP)
    have |= kFeatCqeSkip;
  if (p.features & IORING_FEAT_MIN_TIMEOUT)
    have |= kFeatMinWait;
  if (flags & IORING_SETUP_SUBMIT_ALL)
    have |= kFeatSubmitAll;
  have |= kFeatRegisteredRing;  // tried when the ring is adopted, ring_adopt
  if (flags & IORING_SETUP_SINGLE_ISSUER)
    have |= kFeatSingleIssuer;
  if (flags & IORING_SETUP_DEFER_TASKRUN)
    have |= kFeatDeferTaskrun;
  r.features = have & allowed;
  r.enabled = !(flags & IORING_SETUP_R_DISABLED);

  r.map_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  const std::size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  if (cq_size > r.map_size)
    r.map_size = cq_size;
  r.map = map_ring(fd, r.map_size, IORING_OFF_SQ_RING);
  r.sqes_size = p.sq_entries * sizeof(io_uring_sqe);
  if (r.map)
    r.sqes = static_cast<io_uring_sqe *>(map_ring(fd, r.sqes_size, static_cast<off_t>(IORING_OFF_SQES)));
  if (!r.sqes) {
    int err = errno;
    ring_close(r, false);
    errno = err;
    return false;
  }

  char *m = static_cast<char *>(r.map);
  r.sq_head = reinterpret_cast<unsigned *>(m + p.sq_off.head);
  r.sq_tail = reinterpret_cast<unsigned *>(m + p.sq_off.tail);
  r.sq_flags = reinterpret_cast<unsigned *>(m + p.sq_off.flags);
  r.sq_mask = *reinterpret_cast<unsigned *>(m + p.sq_off.ring_mask);
  r.sq_entries = *reinterpret_cast<unsigned *>(m + p.sq_off.ring_entries);
  r.sq_local_tail = r.sq_submitted = *r.sq_tail;
  r.cq_head = reinterpret_cast<unsigned *>(m + p.cq_off.head);
  r.cq_tail = reinterpret_cast<unsigned *>(m + p.cq_off.tail);
  r.cq_overflow = reinterpret_cast<unsigned *>(m + p.cq_off.overflow);
  r.cqes = reinterpret_cast<io_uring_cqe *>(m + p.cq_off.cqes);
  r.cq_mask = *reinterpret_cast<unsigned *>(m + p.cq_off.ring_mask);
  r.cq_entries = *reinterpret_cast<unsigned *>(m + p.cq_off.ring_entries);
  // The backend writes which sqe each entry of the submission queue names (iouring.h).
  r.sq_array = reinterpret_cast<unsigned *>(m + p.sq_off.array);

  ring_placed(r);

  // A seccomp filter may allow io_uring_setup but refuse io_uring_enter: an enter that submits and
  // waits for nothing tells; a disabled ring's EBADFD means that the call is allowed.
  int res = ring_enter_libc(r.fd, 0, 0, 0, nullptr, 0);
  if (res < 0 && res != -EINTR && res != -EBADFD) {
    ring_close(r, false);
    errno = -res;
    return false;
  }
  return true;
}

void ring_unregister(ring &r)
{
  if (r.reg_index < 0)
    return;
  if (this_thread() == r.reg_thread)
    unregister_here(r.fd, r.reg_index);
  // Another thread's registration holds the closed ring until that thread registers another ring
  // there or exits; nothing is armed in it, since iouring.cc cancels before it closes, see (l).
  give_slot(r.reg_index);
  r.reg_index = -1;
  r.reg_thread = 0;
}

void ring_close(ring &r, bool lost)
{
  if (!lost)
    ring_unregister(r);
  else if (r.reg_index >= 0) {
    give_slot(r.reg_index);
    r.reg_index = -1;
  }
  unmap(r);
  if (r.fd >= 0 && !lost)
    ::close(r.fd);
  r = ring{};
  r.fd = -1;
  r.reg_index = -1;
}

void ring_drop_in_child(ring &r)
{
  // The registrations are the parent's threads'; the child's have none.
  if (r.reg_index >= 0)
    give_slot(r.reg_index);
  unmap(r);
  if (r.fd >= 0)
    ::close(r.fd);
  r = ring{};
  r.fd = -1;
  r.reg_index = -1;
}

int ring_adopt(ring &r)
{
  if (!r.enabled) {
    if (sys_register(r.fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0)
      return errno;
    r.enabled = true;
  }
  if ((r.features & kFeatRegisteredRing) && r.reg_index < 0) {
    int slot = take_slot();
    if (slot < 0)
      return 0;  // more rings than slots: the others go by fd
    io_uring_rsrc_update up;
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::memset(&up, 0, sizeof up);
      up.offset = static_cast<unsigned>(slot);
      up.data = static_cast<std::uint64_t>(r.fd);
      if (sys_register(r.fd, IORING_REGISTER_RING_FDS, &up, 1) == 1) {
        r.reg_index = slot;
        r.reg_thread = this_thread();
        return 0;
      }
      // EBUSY: this thread still holds a closed ring there, see ring_unregister, which goes now.
      if (errno != EBUSY)
        break;
      unregister_here(r.fd, slot);
    }
    give_slot(slot);
    r.features &= ~kFeatRegisteredRing;  // EINVAL: a kernel without it
  }
  return 0;
}

int ring_register(const ring &r, unsigned op, void *arg, unsigned nr)
{
  return sys_register(r.fd, op, arg, nr) < 0 ? errno : 0;
}

int ring_enter_libc(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void *arg,
                    std::size_t argsz)
{
  int res = static_cast<int>(::syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz));
  return res < 0 ? -errno : res;
}

}  // namespace ev_detail::iouring_internal
