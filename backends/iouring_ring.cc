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
    {kFeatSingleMmap, "single-mmap", 5, 4},
    {kFeatNoDrop, "nodrop", 5, 5},
    {kFeatCqSize, "cqsize", 5, 6},
    {kFeatExtArg, "ext-arg", 5, 11},
    {kFeatMultishot, "multishot", 5, 13},
    {kFeatCqeSkip, "cqe-skip", 5, 17},
    {kFeatSubmitAll, "submit-all", 5, 18},
    {kFeatRegisteredRing, "registered-ring", 5, 18},
    {kFeatSingleIssuer, "single-issuer", 6, 0},
    {kFeatDeferTaskrun, "defer-taskrun", 6, 1},
    {kFeatEpollWait, "epoll-wait", 6, 15},
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
  if (r.cq_map && r.cq_map != r.sq_map)
    ::munmap(r.cq_map, r.cq_map_size);
  if (r.sq_map)
    ::munmap(r.sq_map, r.sq_map_size);
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
  // Without ext-arg the wait polls the ring fd, and ppoll is not woken for deferred work.
  if (!(allowed & kFeatExtArg))
    allowed &= ~kFeatDeferTaskrun;
  return allowed;
}

bool ring_open(ring &r, unsigned cq_entries, unsigned allowed)
{
  r = ring{};
  r.fd = -1;
  r.reg_index = -1;  // with reg_thread 0

  unsigned sq_entries = cq_entries / 2 < 128 ? 128 : cq_entries / 2;
  if (sq_entries > 4096)
    sq_entries = 4096;

  // Newest first; a kernel refuses flags it does not know (EINVAL), and the
  // next set leaves out the newest of them.
  const unsigned base = allowed & kFeatCqSize ? IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP : 0u;
  const unsigned submit_all = base | (allowed & kFeatSubmitAll ? IORING_SETUP_SUBMIT_ALL : 0u);
  const unsigned issuer = submit_all | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED;
  unsigned sets[5];
  unsigned nsets = 0;
  if ((allowed & kFeatDeferTaskrun) && (allowed & kFeatSingleIssuer))
    sets[nsets++] = issuer | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  if (allowed & kFeatSingleIssuer)
    sets[nsets++] = issuer;
  if (submit_all != base)
    sets[nsets++] = submit_all;
  sets[nsets++] = base;
  if (base)
    sets[nsets++] = 0;

  io_uring_params p;
  unsigned flags = 0;
  int fd = -1;
  for (unsigned i = 0; i < nsets; ++i) {
    std::memset(&p, 0, sizeof p);
    p.flags = flags = sets[i];
    p.cq_entries = cq_entries;
    // Without CQSIZE the completion queue is twice the submission queue.
    fd = sys_setup(flags & IORING_SETUP_CQSIZE ? sq_entries : cq_entries / 2, &p);
    if (fd >= 0 || errno != EINVAL)
      break;
  }
  if (fd < 0)
    return false;
  r.fd = fd;
  unsigned have = 0;
  if (p.features & IORING_FEAT_SINGLE_MMAP)
    have |= kFeatSingleMmap;
  if (p.features & IORING_FEAT_NODROP)
    have |= kFeatNoDrop;
  if (flags & IORING_SETUP_CQSIZE)
    have |= kFeatCqSize;
  if (p.features & IORING_FEAT_EXT_ARG)
    have |= kFeatExtArg;
  if (p.features & IORING_FEAT_RSRC_TAGS)  // came in 5.13, with multishot polls
    have |= kFeatMultishot;
  if (p.features & IORING_FEAT_CQE_SKIP)
    have |= kFeatCqeSkip;
  if (flags & IORING_SETUP_SUBMIT_ALL)
    have |= kFeatSubmitAll;
  have |= kFeatRegisteredRing;  // tried when the ring is adopted, ring_adopt
  if (allowed & kFeatEpollWait) {
    // The epoll requests are probed by their opcodes: IORING_REGISTER_PROBE, Linux 5.6.
    constexpr unsigned kOps = 256;
    alignas(io_uring_probe) unsigned char buf[sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op)] = {};
    auto *probe = reinterpret_cast<io_uring_probe *>(buf);
    if (sys_register(fd, IORING_REGISTER_PROBE, probe, kOps) == 0 && probe->ops_len > kOpEpollWait &&
        (probe->ops[kOpEpollWait].flags & IO_URING_OP_SUPPORTED) &&
        (probe->ops[IORING_OP_EPOLL_CTL].flags & IO_URING_OP_SUPPORTED))
      have |= kFeatEpollWait;
  }
  if (flags & IORING_SETUP_SINGLE_ISSUER)
    have |= kFeatSingleIssuer;
  if (flags & IORING_SETUP_DEFER_TASKRUN)
    have |= kFeatDeferTaskrun;
  r.features = have & allowed;
  r.enabled = !(flags & IORING_SETUP_R_DISABLED);

  r.sq_map_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  r.cq_map_size = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  if (r.features & kFeatSingleMmap) {
    if (r.cq_map_size > r.sq_map_size)
      r.sq_map_size = r.cq_map_size;
    r.sq_map = map_ring(fd, r.sq_map_size, IORING_OFF_SQ_RING);
    r.cq_map = r.sq_map;
    r.cq_map_size = r.sq_map_size;
  } else {
    r.sq_map = map_ring(fd, r.sq_map_size, IORING_OFF_SQ_RING);
    if (r.sq_map)
      r.cq_map = map_ring(fd, r.cq_map_size, static_cast<off_t>(IORING_OFF_CQ_RING));
  }
  r.sqes_size = p.sq_entries * sizeof(io_uring_sqe);
  if (r.cq_map)
    r.sqes = static_cast<io_uring_sqe *>(map_ring(fd, r.sqes_size, static_cast<off_t>(IORING_OFF_SQES)));
  if (!r.sqes) {
    int err = errno;
    ring_close(r, false);
    errno = err;
    return false;
  }

  char *sq = static_cast<char *>(r.sq_map);
  char *cq = static_cast<char *>(r.cq_map);
  r.sq_head = reinterpret_cast<unsigned *>(sq + p.sq_off.head);
  r.sq_tail = reinterpret_cast<unsigned *>(sq + p.sq_off.tail);
  r.sq_flags = reinterpret_cast<unsigned *>(sq + p.sq_off.flags);
  r.sq_mask = *reinterpret_cast<unsigned *>(sq + p.sq_off.ring_mask);
  r.sq_entries = *reinterpret_cast<unsigned *>(sq + p.sq_off.ring_entries);
  r.sq_local_tail = r.sq_submitted = *r.sq_tail;
  r.cq_head = reinterpret_cast<unsigned *>(cq + p.cq_off.head);
  r.cq_tail = reinterpret_cast<unsigned *>(cq + p.cq_off.tail);
  r.cq_overflow = reinterpret_cast<unsigned *>(cq + p.cq_off.overflow);
  r.cqes = reinterpret_cast<io_uring_cqe *>(cq + p.cq_off.cqes);
  r.cq_mask = *reinterpret_cast<unsigned *>(cq + p.cq_off.ring_mask);
  r.cq_entries = *reinterpret_cast<unsigned *>(cq + p.cq_off.ring_entries);

  // Slot i of the submission array names sqe i: the poll mode fills the sqes in ring order, so the
  // indirection never changes there, while the epoll mode writes it, see iouring_epoll.h.  Every
  // sqe starts as the template of a poll request, see queue_poll in iouring.h.
  r.sq_array = reinterpret_cast<unsigned *>(sq + p.sq_off.array);
  for (unsigned i = 0; i < r.sq_entries; ++i) {
    r.sq_array[i] = i;
    std::memset(&r.sqes[i], 0, sizeof r.sqes[i]);
    r.sqes[i].opcode = IORING_OP_POLL_ADD;
  }

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

int ring_enter_libc(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void *arg,
                    std::size_t argsz)
{
  int res = static_cast<int>(::syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz));
  return res < 0 ? -errno : res;
}

}  // namespace ev_detail::iouring_internal
