// SPDX-License-Identifier: BSD-2-Clause
// backends/iouring_stream.cc - io_uring's own stream engine (stream_ops, backends/backend.h): a
// stream's bytes arrive by receive requests and leave by send requests that the flush step queues
// and the io_uring_enter that waits submits, so that a busy server makes one system call an
// iteration for all its connections.  What the program sees is decided by fd/stream.h's reports,
// as for the readiness engine.  Compiled for size.
//
// Kernel quirks handled here (the backend's are (a)-(n) of iouring.cc and iouring_life.cc):
//  (o) Receiving.  Where the kernel has multishot receive (6.0) and rings of provided buffers
//      (5.19), one IORING_OP_RECV with IORING_RECV_MULTISHOT serves every arrival, each in a buffer
//      of the pool that the kernel takes from the loop's buffer ring and names by its id.  The ring
//      holds up to 16 buffers and one a stream (kBufRingEntries at most), lent by the pool, and a
//      buffer that comes back goes into it again (stream_ops::take).  An empty ring ends the
//      receive with ENOBUFS, the bytes waiting in the socket: the stream waits for a buffer
//      (stream_pause_for_pool) and receives again when one comes back, one waiter a buffer, oldest
//      first; re-armed at once, every stream the ring ran dry for would end so again, thousands
//      of receives for nothing at a busy server.  Buffers the ring gains from the pool instead (a
//      receive or a start that found it empty fills it) are the waiters' too: the flush step
//      resumes as many, or streams would wait beside a full ring for returns that never come, as
//      when the program keeps what it got.  The kernel may have taken buffers whose completions
//      are not reaped yet, so the loop's count of the ring's buffers is no proof that it has one:
//      a waiter paused while the count says so is followed by the flush step's resuming as many
//      waiters as the count says, oldest first, so that none waits for a return that may not come,
//      and at most a ring's worth go again an iteration.  A stream resumed so may end without
//      taking one, when only its end waited: its receive passes the ring's buffers on to the next
//      that waits.  Elsewhere a single-shot receive holds one buffer of the pool.
//  (p) A stream holding kStreamReceivedHeld buffers the program has not taken, or an accept watcher
//      kAcceptHeld connections, stops receiving: its multishot request is cancelled, and sent again
//      once the program took them.  What arrived before the cancel counts: connections beyond
//      kAcceptHeld wait in the record (held) until there is room.  An accept may complete while
//      its watcher stops (an idle connection closed, so the program's EMFILE is over): that
//      connection, and the held ones, the program never saw, so they are parked for the next
//      accept watcher on the socket (ev_ng_accept_start again after a pause) rather than closed,
//      as long as that socket is open: once the program closed it, the closed-fd sweep or the
//      next accept watcher's start closes them, as the kernel resets a closed socket's backlog.
//  (q) Sending: one request at a time a stream, IORING_OP_SEND for one piece of the queue,
//      IORING_OP_SENDMSG for several (its header and pieces kept with the sqe, send_vec), without
//      MSG_WAITALL: a stream socket may take part, and the next request sends the rest, in order.
//  (r) Accepting: IORING_OP_ACCEPT, multishot from 5.19, the connections non-blocking and closed on
//      exec as ev_ng_accept_take promises.
//  (s) A request in flight holds its file: a descriptor closed behind the loop's back is found by
//      the closed-fd sweep (the stream's readiness watcher stays linked, asking for no events), and
//      the stop that follows cancels the requests, which lets the file go.
//  (t) Stopping cancels the requests in flight and waits for them, a second at most, so that the
//      kernel neither writes into a buffer nor reads a borrowed send after the stop returns; what
//      they did meanwhile counts (bytes sent).  A record whose requests outlive the wait is kept
//      until they complete.  A request still queued, which the kernel has not taken, is made a
//      no-op instead: a stop lets go no more of the queue than a send in flight.  A stop never
//      makes another watcher pending: its wait handles the completions of the streams that stop,
//      and sets aside the rest, the wait's readiness, another stream's bytes, a failure, which the
//      next poll handles first, in order, without blocking if they queued callbacks.
//  (u) A thread that exits cancels its requests (ECANCELED), and a ring given up takes them with it
//      (iouring_life.cc's drain waits for their cancellation): they go again, from where they
//      stood, on the ring that takes this thread's.  A forked child's new ring has none of the
//      parent's requests, which write into the parent's memory: the child sends its own.
//  (v) The wait must end for a completion: the ring's wait of Linux 6.15 does.  Before, the ring
//      waits too once the loop has streams (ext-arg's timeout, 5.11), its EPOLL_WAIT replaced by a
//      poll of the set that epoll_wait harvests without waiting when it fires, see iouring.cc (d),
//      and backend_fd is the ring's from then on.  Without ext-arg, and in an embedded loop, whose
//      wait is the embedding loop's, streams are the readiness engine's.
#include "backends/iouring.h"
#include "fd/stream.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#if EV_NG_HAVE_MEMCHECK
#include <valgrind/memcheck.h>
#endif

// Newer than the oldest headers that configure accepts, those of Linux 5.19.
#ifndef IORING_RECV_MULTISHOT
#define IORING_RECV_MULTISHOT (1U << 1)
#endif

#if EV_NG_STREAMS
namespace ev_detail::iouring_internal {

constexpr unsigned kBufRingEntries = 1024;  // the most buffers the kernel holds: 16 MiB
constexpr unsigned kBufRingFloor = 16;      // buffers the ring holds beyond one a stream
constexpr int kSendPieces = 8;              // of the queue in one SENDMSG

enum : unsigned char { kReqRecv = 1, kReqSend = 2 };  // a request's kind, and its bit in busy

// What the engine has of one stream or accept watcher.
struct ring_stream {
  stream_io *s;  // null: free, or kept for requests that outlived a stop's wait, see (t)
  ring_stream *next_free;
  stream_buffer *buf;  // the single-shot receive's, lent to the kernel
  unsigned index;      // in user_data
  unsigned char kind;  // s->kind
  unsigned char busy;  // kReq* in flight
  unsigned char cancelling;
  bool stopping;
  array<int> held;  // connections accepted beyond kAcceptHeld, see (p)
};

// A SENDMSG's header and pieces, see (q): the kernel copies them when it takes the sqe
// (IORING_FEAT_SUBMIT_STABLE, Linux 5.5), so they belong to the sqe until the enter that submits
// it rather than to the stream for the whole send: one for each sqe the stream requests take.
struct send_vec {
  struct msghdr msg;
  struct iovec iov[kSendPieces];
};

// A connection the kernel accepted while its watcher stopped, see (p): kept for the next watcher on
// that listening socket (its descriptor and inode).
struct parked_conn {
  int listener;
  ino_t ino;
  int fd;
};

struct ring_streams {
  array<ring_stream *> records;  // by index
  array<parked_conn> parked;
  ring_stream *free;
  int taken;          // records with a stream
  unsigned next_sqe;  // of the sqes between the EPOLL_CTLs' and kSpare, see iouring.h
  bool draining;      // the ring is being given up: nothing is sent, see (u)
  bool closed;        // ev_loop_destroy: no buffer is taken
  bool multishot;     // receives are multishot into the buffer ring, registered with this ring
  void *ring_memory;
  // The buffer ring, page-aligned in ring_memory: the kernel's ring of io_uring_buf entries, whose
  // first one's resv is the tail.  (Not the header's struct of the ring: with some releases' headers
  // its entries are at offset 8 in C++, where the empty struct before them has a size.)
  io_uring_buf *br;
  unsigned short br_tail;
  unsigned br_count;  // buffers in it
  int free_ids;
  stream_buffer *by_id[kBufRingEntries];
  unsigned short free_id[kBufRingEntries];
  send_vec vecs[kRingEntries / 2];  // by sqe, from the first after the EPOLL_CTLs'
};

namespace {

inline ring_stream *record_of(const stream_io *s) { return static_cast<ring_stream *>(s->engine); }

constexpr std::uint64_t request_tag(const ring_stream *rs, unsigned kind)
{
  return std::uint64_t{1} << 61 | std::uint64_t{kind} << 32 | rs->index;
}

// The engine runs where the wait ends for its completions, see (v).
bool engine_runs(const iouring_state *st)
{
  constexpr unsigned kNeeds = kFeatStreams | kFeatExtArg;
  return (st->r.features & kNeeds) == kNeeds && !st->embedded;
}

// What a report outside the poll fed must not wait for the next event: the loop does not block.
void reported_outside_wait(ev_loop *loop)
{
  if (loop->pending.any())
    work_set(loop, kWorkError, true);
}

// The loop waits in the ring from now on, see (v), so backend_fd is the ring's, as where the ring's
// wait is the kernel's (iouring_life.cc, ring_opened): the fd that the loop's thread waits on,
// which ev-watchdog compares with the thread's system call to tell a wait from a callback.  Nobody
// polls it: an embedded loop never waits in the ring, see iouring_life.cc (l).  It would not do
// for that with defer-taskrun, since a completion there is task work that wakes no poller.
void wait_in_ring(ev_loop *loop, iouring_state *st)
{
  st->ring_wait = st->wait_polls = true;
  wait_template(st);
  update_wait_room(st);
  set_backend_fd(loop, st->r.fd);
}

// Submit what is queued, outside the poll; false if the ring took nothing, which is replaced.
bool engine_submit(ev_loop *loop, iouring_state *st)
{
  const int err = submit(loop, st);
  reported_outside_wait(loop);
  if (err && !st->foreign && err != EBUSY && err != EAGAIN)
    ring_broken(loop, st, err);
  return !err;
}

// A zeroed sqe for a stream's request, queued; null without a ring.  The stream requests take the
// sqes between the EPOLL_CTLs' and kSpare in turn, from the first again once everything went.
io_uring_sqe *stream_sqe(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  ring_streams *e = st->streams;
  if (!r.sqes)
    return nullptr;
  const unsigned first = st->other_mask + 1;
  if (r.sq_local_tail == r.sq_submitted || e->next_sqe < first)
    e->next_sqe = first;
  if (e->next_sqe >= r.sq_mask - kSpare) {
    if (!engine_submit(loop, st))
      return nullptr;
    e->next_sqe = first;
  }
  const unsigned i = e->next_sqe++;
  io_uring_sqe *sqe = &r.sqes[i];
  sqe_zero(sqe);
  r.sq_array[r.sq_local_tail++ & r.sq_mask] = i;
  return sqe;
}

// ---- the buffer ring, see (o) --------------------------------------------------------------------

unsigned ring_target(const ring_streams *e)
{
  const unsigned want = kBufRingFloor + static_cast<unsigned>(e->taken);
  return want < kBufRingEntries ? want : kBufRingEntries;
}

void ring_publish(ring_streams *e) { __atomic_store_n(&e->br[0].resv, e->br_tail, __ATOMIC_RELEASE); }

void ring_put(ring_streams *e, unsigned short id)
{
  io_uring_buf &slot = e->br[e->br_tail++ & (kBufRingEntries - 1)];
  slot.addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(e->by_id[id]->data));
  slot.len = kStreamBufferBytes;
  slot.bid = id;
}

void ring_add(ring_streams *e, stream_buffer *buf)
{
  const unsigned short id = e->free_id[--e->free_ids];
  e->by_id[id] = buf;
  ring_put(e, id);
  ring_publish(e);
  ++e->br_count;
}

stream_buffer *ring_take(ring_streams *e, unsigned id)
{
  stream_buffer *buf = id < kBufRingEntries ? e->by_id[id] : nullptr;
  if (buf) {
    e->by_id[id] = nullptr;
    e->free_id[e->free_ids++] = static_cast<unsigned short>(id);
    --e->br_count;
  }
  return buf;
}

// A buffer of the pool for the kernel to write.  Valgrind's memcheck does not see the kernel write:
// with its client requests the engine marks what a receive wrote (kernel_wrote), else a new buffer
// is zeroed, as iouring_set.cc's events are, which makes all its pages count in the process's
// memory.
stream_buffer *kernel_buffer(stream_block *b)
{
#if EV_NG_HAVE_MEMCHECK
  return pool_take(b, true);
#else
  const bool fresh = !b->free;
  stream_buffer *buf = pool_take(b, true);
  if (buf && fresh)
    std::memset(buf->data, 0, sizeof buf->data);
  return buf;
#endif
}

inline void kernel_wrote(const stream_buffer *buf, int bytes)
{
#if EV_NG_HAVE_MEMCHECK
  VALGRIND_MAKE_MEM_DEFINED(buf->data, static_cast<std::size_t>(bytes));
#else
  (void)buf;
  (void)bytes;
#endif
}

// Fill the ring up to its target from the pool; false if it stays empty.  The streams that wait
// for a buffer take what it gained, see (o): the flush step resumes as many.
bool ring_fill(ring_streams *e, stream_block *b)
{
  const unsigned before = e->br_count;
  while (e->br_count < ring_target(e))
    if (stream_buffer *buf = kernel_buffer(b))
      ring_add(e, buf);
    else
      break;
  if (e->br_count > before && b->paused.any() && b->resume_at_flush < static_cast<int>(e->br_count))
    b->resume_at_flush = static_cast<int>(e->br_count);
  return e->br_count;
}

// The ring registered with a new ring (io_uring's), holding every buffer the engine held.
bool ring_register_buffers(iouring_state *st, ring_streams *e)
{
  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof reg);
  reg.ring_addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(e->br));
  reg.ring_entries = kBufRingEntries;
  if (ring_register(st->r, IORING_REGISTER_PBUF_RING, &reg, 1))
    return false;
  e->br_tail = 0;
  for (unsigned id = 0; id < kBufRingEntries; ++id)
    if (e->by_id[id])
      ring_put(e, static_cast<unsigned short>(id));
  ring_publish(e);
  return true;
}

// The engine, at its first stream: its buffer ring where the kernel has multishot receives.
ring_streams *engine_of(iouring_state *st)
{
  if (ring_streams *e = st->streams)
    return e;
  auto *e = static_cast<ring_streams *>(ev_realloc(nullptr, sizeof(ring_streams)));
  std::memset(static_cast<void *>(e), 0, sizeof *e);
  st->streams = e;
  if (st->r.features & kFeatRecvMultishot) {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    e->ring_memory = ev_realloc(nullptr, kBufRingEntries * sizeof(io_uring_buf) + page);
    e->br =
        reinterpret_cast<io_uring_buf *>((reinterpret_cast<std::uintptr_t>(e->ring_memory) + page - 1) & ~(page - 1));
    std::memset(static_cast<void *>(e->br), 0, kBufRingEntries * sizeof(io_uring_buf));
    for (unsigned id = 0; id < kBufRingEntries; ++id)
      e->free_id[id] = static_cast<unsigned short>(kBufRingEntries - 1 - id);
    e->free_ids = kBufRingEntries;
    e->multishot = ring_register_buffers(st, e);
  }
  return e;
}

// ---- requests ------------------------------------------------------------------------------------

void cancel(ev_loop *loop, iouring_state *st, ring_stream *rs, unsigned kind)
{
  if (io_uring_sqe *sqe = stream_sqe(loop, st)) {
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = request_tag(rs, kind);
    sqe->user_data = kInternal;
    sqe->flags = st->r.features & kFeatCqeSkip ? IOSQE_CQE_SKIP_SUCCESS : 0;
    rs->cancelling |= static_cast<unsigned char>(kind);
  }
}

// The receive (or accept) request, with its buffer; none where the pool has no buffer, see (o).
void arm(ev_loop *loop, iouring_state *st, ring_stream *rs)
{
  ring_streams *e = st->streams;
  stream_io *s = rs->s;
  stream_buffer *buf = nullptr;
  if (s->kind == kKindStream &&
      (e->multishot ? !e->br_count && !ring_fill(e, s->block) : !(buf = kernel_buffer(s->block))))
    return stream_pause_for_pool(loop, s);
  io_uring_sqe *sqe = stream_sqe(loop, st);
  if (!sqe) {
    if (buf)
      pool_give(loop, s->block, buf);
    return;  // the new ring sends it, see (u)
  }
  sqe->fd = s->fd;
  sqe->user_data = request_tag(rs, kReqRecv);
  if (s->kind == kKindAccept) {
    sqe->opcode = IORING_OP_ACCEPT;
    sqe->accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    sqe->ioprio = st->r.features & kFeatAcceptMultishot ? IORING_ACCEPT_MULTISHOT : 0;
  } else if (buf) {
    sqe->opcode = IORING_OP_RECV;
    sqe->addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(buf->data));
    sqe->len = kStreamBufferBytes;
    rs->buf = buf;
  } else {
    sqe->opcode = IORING_OP_RECV;
    sqe->ioprio = IORING_RECV_MULTISHOT;
    sqe->flags = IOSQE_BUFFER_SELECT;  // group 0
  }
  rs->busy |= kReqRecv;
}

// What the stream asks of the kernel now: a receive while it receives and none is in flight, the
// cancel of the one in flight when it no longer does, see (p).
void want(ev_loop *loop, iouring_state *st, ring_stream *rs)
{
  if (!rs->s || rs->stopping || st->streams->draining)
    return;
  const bool receive = stream_receives(rs->s);
  if (!(rs->busy & kReqRecv)) {
    if (receive)
      arm(loop, st, rs);
  } else if (!receive && !(rs->cancelling & kReqRecv))
    cancel(loop, st, rs, kReqRecv);
}

// The next send request, for what the queue holds, see (q).
void send_more(ev_loop *loop, iouring_state *st, ring_stream *rs)
{
  stream_io *s = rs->s;
  if (!s || s->err || rs->stopping || st->streams->draining || (rs->busy & kReqSend) || !s->send_head)
    return;
  io_uring_sqe *sqe = stream_sqe(loop, st);
  if (!sqe)
    return;
  sqe->fd = s->fd;
  sqe->msg_flags = MSG_NOSIGNAL;
  sqe->user_data = request_tag(rs, kReqSend);
  const stream_send *q = s->send_head;
  if (!q->next) {
    sqe->opcode = IORING_OP_SEND;
    sqe->addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(q->data + q->off));
    sqe->len = static_cast<unsigned>(q->len - q->off);
  } else {
    send_vec &v = st->streams->vecs[static_cast<unsigned>(sqe - st->r.sqes) - (st->other_mask + 1)];
    int n = 0;
    for (; q && n < kSendPieces; q = q->next)
      v.iov[n++] = iovec{const_cast<char *>(q->data + q->off), q->len - q->off};
    std::memset(&v.msg, 0, sizeof v.msg);
    v.msg.msg_iov = v.iov;
    v.msg.msg_iovlen = static_cast<decltype(v.msg.msg_iovlen)>(n);
    sqe->opcode = IORING_OP_SENDMSG;
    sqe->addr = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&v.msg));
    sqe->len = 1;
  }
  rs->busy |= kReqSend;
}

// ---- completions ---------------------------------------------------------------------------------

void received(ev_loop *loop, iouring_state *st, ring_stream *rs, stream_buffer *buf, int res)
{
  ring_streams *e = st->streams;
  stream_io *s = rs->s;
  if (res > 0 && buf) {
    kernel_wrote(buf, res);
    buf->len = static_cast<std::uint32_t>(res);
    stream_received(loop, s, buf, false);
    if (s->recv_count >= kStreamReceivedHeld)
      s->flags |= kStreamPausedFull;
  } else {
    if (buf)
      pool_give(loop, s->block, buf);
    if (res == 0) {
      // A send's error before it took the socket's (a reset): the end is the error's, not news.
      if (!s->err)
        stream_ended(loop, s, false);
    } else if (res == -ENOBUFS && e->multishot) {
      // The kernel found the ring empty: the stream waits for a buffer that comes back, unless the
      // pool lends the ring more now.  A count above 0 may name buffers the kernel took for
      // completions not reaped yet: then the flush step resumes as many waiters, see (o).
      if (e->br_count) {
        stream_pause_for_pool(loop, s);
        s->block->resume_at_flush = static_cast<int>(e->br_count);
      } else if (!ring_fill(e, s->block)) {
        stream_pause_for_pool(loop, s);
      }
    } else if (res < 0 && res != -ECANCELED && res != -EINTR && res != -EAGAIN)
      stream_failed(loop, s, -res, false);
  }
  // a multishot receive that goes on for a stream that still receives needs nothing new
  if (!(rs->busy & kReqRecv) || !stream_receives(s))
    want(loop, st, rs);
}

void accepted(ev_loop *loop, iouring_state *st, ring_stream *rs, int res)
{
  stream_io *s = rs->s;
  if (res >= 0) {
    if (s->accepted_count < kAcceptHeld && !rs->held.count)
      stream_accepted(loop, s, res, false);
    else
      rs->held.push(res);
    if (s->accepted_count >= kAcceptHeld)
      s->flags |= kStreamPausedFull;
  } else if (res != -ECANCELED && res != -EINTR)
    stream_accept_failed(loop, s, -res, false);
  want(loop, st, rs);
}

void sent(ev_loop *loop, iouring_state *st, ring_stream *rs, int res)
{
  if (res >= 0)
    stream_sent(loop, rs->s, static_cast<std::size_t>(res), false);
  else if (res != -ECANCELED && res != -EINTR && res != -EAGAIN)
    return stream_failed(loop, rs->s, -res, false);
  if (rs->s && rs->s->send_head)  // what the socket did not take, or was queued meanwhile
    send_more(loop, st, rs);
}

// A buffer whose stream is gone: back to the pool, or to the allocator once the pool is gone too.
void buffer_back(ev_loop *loop, stream_buffer *buf)
{
  if (stream_block *b = streams_of(loop))
    pool_give(loop, b, buf);
  else
    ev_free(buf);
}

void record_free(ring_streams *e, ring_stream *rs)
{
  rs->s = nullptr;
  rs->next_free = e->free;
  e->free = rs;
}

// A connection accepted for rs that the program will not take from it: kept for the next accept
// watcher on the same socket, see (p), or closed once the loop is going away.
void park(ring_streams *e, const ring_stream *rs, int fd)
{
  struct stat sb;
  if (rs->s && !e->closed && ::fstat(rs->s->fd, &sb) == 0)
    e->parked.push(parked_conn{rs->s->fd, sb.st_ino, fd});
  else
    socket_close(fd);
}

// Parked connections whose listening socket is gone, closed or its number given to another file,
// are closed, as the kernel resets those that wait in a closed socket's backlog.
void park_sweep(ring_streams *e)
{
  int kept = 0;
  for (int i = 0; i < e->parked.count; ++i) {
    const parked_conn c = e->parked.data[i];
    struct stat sb;
    if (::fstat(c.listener, &sb) == 0 && sb.st_ino == c.ino)
      e->parked.data[kept++] = c;
    else
      socket_close(c.fd);
  }
  e->parked.count = kept;
}

// The connections parked for the listening socket of rs go to it, as accepted beyond its room.
void unpark(ring_streams *e, ring_stream *rs)
{
  park_sweep(e);
  struct stat sb;
  if (::fstat(rs->s->fd, &sb) != 0)
    return;
  int kept = 0;
  for (int i = 0; i < e->parked.count; ++i) {
    const parked_conn c = e->parked.data[i];
    if (c.listener == rs->s->fd && c.ino == sb.st_ino)
      rs->held.push(c.fd);
    else
      e->parked.data[kept++] = c;
  }
  e->parked.count = kept;
}

// A completion of a stream that is stopping, see (t), or gone: nothing is reported but the bytes
// sent, and what came is given back.
void completed_quietly(ev_loop *loop, ring_streams *e, ring_stream *rs, unsigned kind, int res, stream_buffer *buf)
{
  if (buf)
    buffer_back(loop, buf);
  if (rs->kind == kKindAccept && kind == kReqRecv && res >= 0)
    park(e, rs, res);
  else if (kind == kReqSend && res > 0 && rs->s)
    stream_sent_at_stop(loop, rs->s, static_cast<std::size_t>(res));
  if (!rs->s && !rs->busy)
    record_free(e, rs);
}

// The requests of the records that stop which are still queued, not taken by the kernel: no-ops
// now, see (t), their single-shot buffer the loop's again.  The kernel takes nothing between enters.
void withdraw_queued(ev_loop *loop, iouring_state *st)
{
  ring &r = st->r;
  ring_streams *e = st->streams;
  if (!r.sqes)
    return;
  for (unsigned t = load_acquire(r.sq_head); t != r.sq_local_tail; ++t) {
    io_uring_sqe &sqe = r.sqes[r.sq_array[t & r.sq_mask]];
    const auto index = static_cast<std::uint32_t>(sqe.user_data);
    if (!is_stream_tag(sqe.user_data) || index >= static_cast<std::uint32_t>(e->records.count))
      continue;
    ring_stream *rs = e->records.data[index];
    if (!rs->stopping)
      continue;
    const auto kind = static_cast<unsigned char>(sqe.user_data >> 32 & (kReqRecv | kReqSend));
    if (kind == kReqRecv && rs->buf) {
      buffer_back(loop, rs->buf);
      rs->buf = nullptr;
    }
    rs->busy &= static_cast<unsigned char>(~kind);
    rs->cancelling &= static_cast<unsigned char>(~kind);
    std::memset(&sqe, 0, sizeof sqe);
    sqe.opcode = IORING_OP_NOP;
    sqe.user_data = kInternal;
    sqe.flags = r.features & kFeatCqeSkip ? IOSQE_CQE_SKIP_SUCCESS : 0;
  }
}

// Is a request of rs (or of every record) in flight?
bool busy(const ring_streams *e, const ring_stream *only)
{
  if (only)
    return only->busy;
  for (int i = 0; i < e->records.count; ++i)
    if (e->records.data[i]->busy)
      return true;
  return false;
}

// Cancel what rs (or every record) has in flight, see (t), unless the kernel holds it for another
// process or ring: then it is not ours to wait for, and the single-shot buffer is the loop's again.
void cancel_all(ev_loop *loop, iouring_state *st, ring_stream *only, bool ours)
{
  ring_streams *e = st->streams;
  for (int i = 0; i < e->records.count; ++i) {
    ring_stream *rs = e->records.data[i];
    if (only && rs != only)
      continue;
    if (!ours) {
      const bool kept = !rs->s && rs->busy;
      rs->busy = rs->cancelling = 0;
      if (stream_buffer *buf = rs->buf) {
        rs->buf = nullptr;
        buffer_back(loop, buf);
      }
      if (kept)
        record_free(e, rs);
      continue;
    }
    for (unsigned kind = kReqRecv; kind <= kReqSend; kind <<= 1)
      if ((rs->busy & ~rs->cancelling) & kind)
        cancel(loop, st, rs, kind);
  }
}

// stream_ops: the engine's part of ev_ng_stream and ev_ng_accept, fd/stream.h ------------------

void engine_resume(ev_loop *loop, stream_io *s);

bool engine_start(ev_loop *loop, stream_io *s)
{
  iouring_state *st = state(loop);
  if (!engine_runs(st) || !st->r.sqes || (st->streams && st->streams->closed))
    return false;
  ring_streams *e = engine_of(st);
  ring_stream *rs = e->free;
  if (rs) {
    e->free = rs->next_free;
  } else {
    rs = static_cast<ring_stream *>(ev_realloc(nullptr, sizeof(ring_stream)));
    std::memset(static_cast<void *>(rs), 0, sizeof *rs);
    rs->index = static_cast<unsigned>(e->records.count);
    e->records.push(rs);
  }
  rs->s = s;
  rs->kind = s->kind;
  rs->stopping = false;
  s->engine = rs;
  ++e->taken;
  if (!st->ring_wait)
    wait_in_ring(loop, st);
  if (s->kind == kKindAccept && e->parked.count)
    unpark(e, rs);
  engine_resume(loop, s);  // hands over what was parked, and sends the first request
  return true;
}

void engine_send(ev_loop *loop, stream_io *s) { send_more(loop, state(loop), record_of(s)); }

void engine_resume(ev_loop *loop, stream_io *s)
{
  iouring_state *st = state(loop);
  ring_stream *rs = record_of(s);
  if (rs->held.count) {
    int moved = 0;
    while (moved < rs->held.count && s->accepted_count < kAcceptHeld)
      stream_accepted(loop, s, rs->held.data[moved++], false);
    rs->held.count -= moved;
    std::memmove(rs->held.data, rs->held.data + moved, sizeof(int) * static_cast<std::size_t>(rs->held.count));
    if (rs->held.count)
      s->flags |= kStreamPausedFull;
    reported_outside_wait(loop);
  }
  want(loop, st, rs);
}

void engine_stop(ev_loop *loop, stream_io *s)
{
  iouring_state *st = state(loop);
  ring_streams *e = st->streams;
  if (!e)
    return;
  ring_stream *only = s ? record_of(s) : nullptr;
  e->closed |= !s;
  for (int i = 0; i < e->records.count; ++i)
    if (e->records.data[i]->s && (!only || e->records.data[i] == only))
      e->records.data[i]->stopping = true;
  ring &r = st->r;
  const bool ours = r.sqes && r.fd >= 0 && !st->lost && !st->foreign && st->owner == ::getpid();
  st->stop_wait = true;  // before anything is submitted, which may reap
  if (ours)
    withdraw_queued(loop, st);
  cancel_all(loop, st, only, ours);
  if (ours && busy(e, only) && engine_submit(loop, st)) {
    const ev_tstamp deadline = monotonic_now() + 1.;
    for (reap(loop, st); busy(e, only); reap(loop, st)) {
      const ev_tstamp left = deadline - monotonic_now();
      if (left <= 0.)
        break;
      const int res = ring_wait(r, 0, 1, left < 0.1 ? left : 0.1);
      if (res < 0 && res != -ETIME && res != -EINTR)
        break;
    }
    reported_outside_wait(loop);
  }
  st->stop_wait = false;
  for (int i = 0; i < e->records.count; ++i) {
    ring_stream *rs = e->records.data[i];
    if (!rs->s || !rs->stopping)
      continue;
    for (int j = 0; j < rs->held.count; ++j)
      park(e, rs, rs->held.data[j]);
    rs->held.count = 0;
    rs->s->engine = nullptr;
    rs->s = nullptr;
    rs->stopping = false;
    --e->taken;
    if (!rs->busy)
      record_free(e, rs);
  }
}

// The closed-fd sweep's step: the parked connections of a listening socket closed since, see (p).
void engine_sweep(ev_loop *loop)
{
  ring_streams *e = state(loop)->streams;
  if (e && e->parked.count)
    park_sweep(e);
}

bool engine_take(ev_loop *loop, stream_buffer *buf)
{
  ring_streams *e = state(loop)->streams;
  if (!e || e->closed || !e->multishot || e->br_count >= ring_target(e))
    return false;
  ring_add(e, buf);
  return true;
}

// What the last flush step queued goes now, and what completed at once (a send the socket took)
// is reported, so that `queued` says what the kernel has not taken, as with the readiness engine:
// the streams' completions at the head of the queue, the rest left for the poll, in order.  The
// completions of the sends it took are called, and what they queue is sent, before ev_run returns,
// as the readiness engine's flush step does: a few rounds, the rest left for the next ev_run.
void engine_run_end(ev_loop *loop)
{
  constexpr int kRounds = 4;
  iouring_state *st = state(loop);
  ring &r = st->r;
  for (int round = 0; round < kRounds; ++round) {
    if (!r.sqes || (r.sq_local_tail != r.sq_submitted && !engine_submit(loop, st)))
      break;
    // What a stop set aside is older than the queue, see (t): its streams' part first, if it leads.
    set_aside_cqe c;
    while (set_aside_pop(st, c, is_stream_tag))
      stream_completion(loop, st, c.user_data, c.res, c.flags);
    if (st->set_aside.count && st->set_aside_head == st->set_aside.count)
      drop_set_aside(st);
    while (!st->set_aside.count && cq_pop(r, c, is_stream_tag))
      stream_completion(loop, st, c.user_data, c.res, c.flags);
    const stream_block *b = streams_of(loop);
    if (!b || !(b->cancelled || b->sending.count))
      break;
    streams_flush(loop);
  }
  reported_outside_wait(loop);  // what arrived is invoked by the next ev_run without waiting
}

}  // namespace

const stream_ops iouring_stream_ops = {engine_start, engine_send,    engine_resume, engine_stop,
                                       engine_take,  engine_run_end, engine_sweep};

void stream_completion(ev_loop *loop, iouring_state *st, std::uint64_t user_data, int res, unsigned flags)
{
  ring_streams *e = st->streams;
  const auto index = static_cast<std::uint32_t>(user_data);
  const auto kind = static_cast<unsigned>(user_data >> 32) & (kReqRecv | kReqSend);
  if (!e || index >= static_cast<std::uint32_t>(e->records.count))
    return;
  ring_stream *rs = e->records.data[index];
  stream_buffer *buf = flags & IORING_CQE_F_BUFFER ? ring_take(e, flags >> IORING_CQE_BUFFER_SHIFT) : nullptr;
  if (!(flags & IORING_CQE_F_MORE)) {
    if (kind == kReqRecv && rs->buf) {
      buf = rs->buf;
      rs->buf = nullptr;
    }
    rs->busy &= static_cast<unsigned char>(~kind);
    rs->cancelling &= static_cast<unsigned char>(~kind);
  }
  // A receive that ended without a buffer (the end, an error, a cancel) leaves the ring's buffers
  // to the streams that wait for one, see (o): one of them was resumed for them.
  if (kind == kReqRecv && !buf && !(flags & IORING_CQE_F_MORE) && res != -ENOBUFS && e->multishot && e->br_count)
    if (stream_block *b = streams_of(loop))
      stream_pool_pass_on(loop, b);
  if (!rs->s || rs->stopping)
    return completed_quietly(loop, e, rs, kind, res, buf);
  if (kind == kReqSend)
    return sent(loop, st, rs, res);
  if (rs->kind == kKindAccept)
    return accepted(loop, st, rs, res);
  received(loop, st, rs, buf, res);
}

bool stream_completion_quiet(const iouring_state *st, std::uint64_t user_data)
{
  const ring_streams *e = st->streams;
  const auto index = static_cast<std::uint32_t>(user_data);
  if (!e || index >= static_cast<std::uint32_t>(e->records.count))
    return true;
  const ring_stream *rs = e->records.data[index];
  return !rs->s || rs->stopping;
}

void streams_drain_begin(iouring_state *st)
{
  if (st->streams)
    st->streams->draining = true;
}

void streams_cancel_all(ev_loop *loop, iouring_state *st)
{
  if (st->streams)
    cancel_all(loop, st, nullptr, true);
}

bool streams_busy(const iouring_state *st) { return st->streams && busy(st->streams, nullptr); }

void streams_new_ring(ev_loop *loop, iouring_state *st)
{
  ring_streams *e = st->streams;
  if (!e)
    return;
  e->draining = false;
  e->next_sqe = 0;
  cancel_all(loop, st, nullptr, false);  // what the old ring held went with it
  if (e->br) {
    e->multishot = !e->closed && ring_register_buffers(st, e);
    if (!e->multishot)
      for (unsigned id = 0; id < kBufRingEntries; ++id)
        if (stream_buffer *buf = ring_take(e, id))
          buffer_back(loop, buf);
  }
  const bool runs = engine_runs(st);
  if (runs && e->taken && !st->ring_wait)
    wait_in_ring(loop, st);
  for (int i = 0; i < e->records.count; ++i) {
    ring_stream *rs = e->records.data[i];
    if (!rs->s)
      continue;
    if (!runs) {
      stream_to_readiness(loop, rs->s);
      for (int j = 0; j < rs->held.count; ++j)
        if (rs->s->accepted_count < kAcceptHeld)
          stream_accepted(loop, rs->s, rs->held.data[j], false);
        else
          socket_close(rs->held.data[j]);
      rs->held.count = 0;
      --e->taken;
      record_free(e, rs);
      continue;
    }
    want(loop, st, rs);
    send_more(loop, st, rs);
  }
}

void streams_release(iouring_state *st)
{
  ring_streams *e = st->streams;
  if (!e)
    return;
  for (unsigned id = 0; id < kBufRingEntries; ++id)
    ev_free(e->by_id[id]);
  for (int i = 0; i < e->records.count; ++i) {
    ev_free(e->records.data[i]->buf);
    e->records.data[i]->held.release();
    ev_free(e->records.data[i]);
  }
  e->records.release();
  for (int i = 0; i < e->parked.count; ++i)
    socket_close(e->parked.data[i].fd);
  e->parked.release();
  ev_free(e->ring_memory);
  ev_free(e);
  st->streams = nullptr;
}

}  // namespace ev_detail::iouring_internal
#endif  // EV_NG_STREAMS
