// SPDX-License-Identifier: BSD-2-Clause
// fd/stream.cc - streams in the loop (fd/stream.h): the pool, the send nodes, the reports every
// engine makes, the readiness engine, and the flush step.
#include "fd/stream.h"

#include <climits>
#include <cstring>
#include <utility>

#if EV_NG_STREAMS
namespace ev_detail {
namespace {

// Where a report comes from, which says what it may do: from the wait, nothing but change the
// stream and feed, for the invocation that follows; from an invocation pass, also call the
// program, and what it feeds is invoked in the same pass; from the flush step, call the program,
// but feed so that the loop does not block (feed_error), since the pass is over; from an engine's
// stop, nothing but change the stream, whose watcher is stopped.
enum report_from { kFromWait, kFromPass, kFromFlush, kFromStop };

// The readiness engine receives at most this many buffers a report, and holds at most as many
// that the program has not taken, so that one busy stream neither starves the others nor the pool.
constexpr int kReceivesPerReport = 4;
constexpr int kReceivedHeld = kStreamReceivedHeld;
// Accepts a report may skip for connections that failed before they were taken (ECONNABORTED...).
constexpr int kAcceptSkips = 64;
// Pieces of one sendmsg: POSIX guarantees 16, Linux takes 1024.
#ifdef IOV_MAX
constexpr int kSendPieces = IOV_MAX < 64 ? IOV_MAX : 64;
#else
constexpr int kSendPieces = 16;
#endif

static_assert(offsetof(stream_io, io) == 0, "a stream_io is found from its io watcher");
inline stream_io *owner_of(ev_io *io) { return reinterpret_cast<stream_io *>(io); }
inline ev_ng_stream *stream_of(stream_io *s) { return reinterpret_cast<ev_ng_stream *>(s->w); }
inline ev_ng_accept *accept_of(stream_io *s) { return reinterpret_cast<ev_ng_accept *>(s->w); }

inline int lend_limit(const stream_block *b)
{
  const long long per_stream = static_cast<long long>(kPoolPerStream) * b->streams;
  return per_stream > kPoolFloor ? static_cast<int>(per_stream < INT_MAX ? per_stream : INT_MAX) : kPoolFloor;
}

void feed_watcher(ev_loop *loop, stream_io *s, int revents, report_from from)
{
  if (from == kFromFlush) {
    s->block->flush_fed = true;
    feed_error(loop, s->w, revents);
  } else {
    loop->pending.feed_more(s->w, revents);
  }
}

}  // namespace

namespace {

inline int interest(const stream_io *s) { return stream_interest(s); }

// Tell the fd layer what the readiness watcher asks for now; the next fd changes apply it.
void update_interest(ev_loop *loop, stream_io *s)
{
  const int events = interest(s);
  if ((s->flags & kStreamEngine) || !s->io.active || s->io.events == events)
    return;
  s->io.events = events;
  loop->fds.reserve_change();
  loop->fds.change_with_room(s->fd, kReifyQueued);
}

// Receiving goes on after a pause (flag): the readiness watcher asks for EV_READ again, or the
// backend's engine is told.
void resume_receiving(ev_loop *loop, stream_io *s, unsigned flag)
{
  s->flags &= ~flag;
  if (s->flags & kStreamEngine)
    loop->backend->streams->resume(loop, s);
  else
    update_interest(loop, s);
}

// A buffer came back: the stream that waited longest for one receives again.
void resume_one_paused(ev_loop *loop, stream_block *b)
{
  while (b->paused.any()) {
    const stream_ref r = b->paused.pop();
    if (r.live() && (r.s->flags & kStreamPausedPool))
      return resume_receiving(loop, r.s, kStreamPausedPool);
  }
}

void give_received(ev_loop *loop, stream_io *s)
{
  while (stream_buffer *buf = s->recv_head) {
    s->recv_head = buf->next;
    pool_give(loop, s->block, buf);
  }
  s->recv_tail = nullptr;
  s->recv_count = 0;
  if (stream_buffer *buf = s->handed) {
    s->handed = nullptr;
    pool_give(loop, s->block, buf);
  }
}

void completions_append(ev_loop *loop, stream_block *b, stream_send *first, stream_send *last)
{
  last->next = nullptr;
  if (b->cancelled_tail)
    b->cancelled_tail->next = first;
  else
    b->cancelled = first;
  b->cancelled_tail = last;
  work_set(loop, kWorkStreams, true);
}

// The queue of a stream that ends: the copies go back to the pool, the program's sends wait for
// their completions with `err` (streams_complete_cancelled), in their order.
void cancel_sends(ev_loop *loop, stream_io *s, int err)
{
  stream_block *b = s->block;
  stream_send *first = nullptr, *last = nullptr;
  while (stream_send *q = s->send_head) {
    s->send_head = q->next;
    if (!q->done) {
      send_node_free(loop, b, q);
      continue;
    }
    q->owner = stream_of(s);
    q->err = err;
    q->next = nullptr;
    (last ? last->next : first) = q;
    last = q;
  }
  s->send_tail = nullptr;
  if (first)
    completions_append(loop, b, first, last);
}

// The program's watcher ends with EV_ERROR and err: stopped first, its sends cancelled with err,
// then told; the completions follow, where the program may be called.
void fail_now(ev_loop *loop, stream_io *s, int err, report_from from)
{
  ev_watcher *const w = s->w;
  ev_ng_stream *const stream = s->kind == kKindStream ? stream_of(s) : nullptr;
  if (stream) {
    stream->err = err;
    stream->ev_ng_state = nullptr;
  } else {
    accept_of(s)->err = err;
    accept_of(s)->ev_ng_state = nullptr;
  }
  stream_io_stop(loop, s, err);
  if (stream)
    stream->queued = 0;  // after the stop: an engine's send that completes meanwhile counts
  stop_watcher(loop, w);
  if (from == kFromPass) {
    feed(loop, w, EV_ERROR);
  } else {
    streams_of(loop)->flush_fed = true;
    feed_error(loop, w, EV_ERROR);
  }
  streams_complete_cancelled(loop);
}

// An error waits until the bytes that arrived before it were offered to the callback: until the
// watcher's pending EV_READ was invoked, or, with bytes not offered yet, one EV_READ more.  From
// the wait the program may not be called: the flush step delivers it.
void fail(ev_loop *loop, stream_io *s, int err, report_from from)
{
  if (!s->err)
    s->err = err;
  update_interest(loop, s);
  if (from == kFromWait)
    return stream_mark_check(loop, s);
  if (s->w->pending || (s->recv_head && !(s->flags & kStreamErrOffered))) {
    if (!s->w->pending)
      feed_watcher(loop, s, EV_READ, from);
    s->flags |= kStreamErrOffered;
    return stream_mark_check(loop, s);
  }
  fail_now(loop, s, s->err, from);
}

void sent(ev_loop *loop, stream_io *s, std::size_t bytes, report_from from);
bool sent_lone_copy(ev_loop *loop, stream_io *s, std::size_t bytes, report_from from);

// Bytes, or the end of the stream, that the program has not taken.
inline bool leftovers(const stream_io *s)
{
  return s->recv_head || (s->flags & (kStreamEnd | kStreamEndTaken)) == kStreamEnd;
}

// The drained queue: no more waiting for writability, the shutdown that waited, EV_WRITE.
void drained(ev_loop *loop, stream_io *s, report_from from)
{
  if (s->flags & kStreamWriteWait) {
    s->flags &= ~kStreamWriteWait;
    update_interest(loop, s);
  }
  if ((s->flags & (kStreamShutQueued | kStreamShutDone)) == kStreamShutQueued) {
    s->flags |= kStreamShutDone;
    socket_shutdown_send(s->fd);  // a peer already gone tells the receiving side
  }
  if ((s->flags & kStreamHeld) && (stream_of(s)->events & EV_WRITE)) {
    s->flags &= ~kStreamHeld;
    feed_watcher(loop, s, EV_WRITE, from);
  }
  // the bytes the callback left while the queue was full come with it (check)
  if (leftovers(s) && (stream_of(s)->events & EV_WRITE)) {
    feed_watcher(loop, s, EV_READ, from);
    stream_mark_check(loop, s);
  }
}

// The readiness engine's sends: what the socket takes of the queue, in pieces of one sendmsg.
void send_queue(ev_loop *loop, stream_io *s, report_from from)
{
  if (s->flags & kStreamEngine)
    return loop->backend->streams->send(loop, s);
  if (s->err)
    return;
  while (s->send_head) {
    send_piece pieces[kSendPieces];
    std::size_t offered = 0;
    int n = 0;
    for (stream_send *q = s->send_head; q && n < kSendPieces; q = q->next) {
      pieces[n++] = send_piece{q->data + q->off, q->len - q->off};
      offered += q->len - q->off;
    }
    ssize_t took = socket_send(s->fd, pieces, n);
    if (took < 0) {
      if (errno == EINTR)
        continue;
      if (socket_error_is_final(errno))
        return fail(loop, s, errno, from);
      break;
    }
    const stream_ref ref{s, s->serial};
    sent(loop, s, static_cast<std::size_t>(took), from);
    if (!ref.live())
      return;
    if (static_cast<std::size_t>(took) < offered)
      break;
  }
  if (s->send_head && !(s->flags & kStreamWriteWait)) {
    s->flags |= kStreamWriteWait;
    update_interest(loop, s);
  }
}

// The readiness engine's receives, when the fd is readable.
void receive(ev_loop *loop, stream_io *s)
{
  stream_block *b = s->block;
  for (int i = 0; i < kReceivesPerReport; ++i) {
    if (!stream_receives(s))
      return;
    if (s->recv_count >= kReceivedHeld) {
      s->flags |= kStreamPausedFull;
      return update_interest(loop, s);
    }
    stream_buffer *buf = pool_take(b, true);
    if (!buf)
      return stream_pause_for_pool(loop, s);
    ssize_t got = socket_receive(s->fd, buf->data, kStreamBufferBytes);
    if (got > 0) {
      buf->len = static_cast<std::uint32_t>(got);
      stream_received(loop, s, buf, true);
      if (static_cast<std::size_t>(got) < kStreamBufferBytes)
        return;
      continue;
    }
    const int err = errno;
    pool_give(loop, b, buf);
    if (got == 0)
      return stream_ended(loop, s, true);
    if (err == EINTR) {
      --i;
      continue;
    }
    if (socket_error_is_final(err))
      return fail(loop, s, err, kFromPass);
    return;
  }
}

// The readiness engine's accepts, when the listening fd is readable.
void accept_ready(ev_loop *loop, stream_io *s)
{
  for (int skips = 0; s->accepted_count < kAcceptHeld && !s->err;) {
    int fd = socket_accept(s->fd);
    if (fd >= 0) {
      stream_accepted(loop, s, fd, true);
      continue;
    }
    if (!stream_accept_failed(loop, s, errno, true) || ++skips > kAcceptSkips)
      return;
  }
  if (s->accepted_count >= kAcceptHeld && !(s->flags & kStreamPausedFull)) {
    s->flags |= kStreamPausedFull;
    update_interest(loop, s);
  }
}

// The readiness engine's sends from the flush step, or the backend's, once a pass; an empty queue
// was drained, which a shutdown queued after the last send waits for.
void send_from_flush(ev_loop *loop, stream_io *s)
{
  if (!s->send_head)
    drained(loop, s, kFromFlush);
  else if (s->flags & kStreamEngine)
    loop->backend->streams->send(loop, s);
  else if (!(s->flags & kStreamWriteWait))
    send_queue(loop, s, kFromFlush);
}

// A stream after its callback, from the flush step: what it did not take is handed over again,
// the errors that waited come, receiving goes on.
void check(ev_loop *loop, stream_io *s)
{
  if (s->w->pending) {
    // not invoked yet: an invoke-pending callback of the program keeps it for later
    return stream_mark_check(loop, s);
  }
  if (s->err)
    return fail(loop, s, s->err, kFromFlush);
  if (s->kind == kKindAccept) {
    if (s->accepted_count || s->accept_err) {
      feed_watcher(loop, s, EV_READ, kFromFlush);
      stream_mark_check(loop, s);
    }
    if ((s->flags & kStreamPausedFull) && s->accepted_count < kAcceptHeld)
      resume_receiving(loop, s, kStreamPausedFull);
    return;
  }
  if (stream_buffer *buf = s->handed) {
    s->handed = nullptr;
    pool_give(loop, s->block, buf);
  }
  // What the callback did not take comes again at once, or, for a watcher told when its queue
  // drains, with that EV_WRITE while the queue holds bytes: a callback that stops taking when it
  // cannot send more (ENOBUFS) pauses receiving that way, without the loop spinning.
  const bool waits_for_drain = (stream_of(s)->events & EV_WRITE) && s->send_head;
  if (leftovers(s) && !waits_for_drain) {
    feed_watcher(loop, s, EV_READ, kFromFlush);
    stream_mark_check(loop, s);
  }
  if ((s->flags & kStreamPausedFull) && s->recv_count < kReceivedHeld)
    resume_receiving(loop, s, kStreamPausedFull);
}

}  // namespace

// ---- the pool and the nodes ----------------------------------------------------------------

stream_buffer *pool_take(stream_block *b, bool for_receiving)
{
  if (for_receiving && b->lent >= lend_limit(b))
    return nullptr;
  stream_buffer *buf = b->free;
  if (buf) {
    b->free = buf->next;
    --b->buffers_keep.free_count;
  } else {
    buf = static_cast<stream_buffer *>(ev_try_realloc(nullptr, sizeof(stream_buffer)));
    if (!buf)
      return nullptr;
    buf->block = b;
  }
  buf->next = buf->prev = nullptr;
  buf->len = 0;
  buf->state = for_receiving ? kBufferRecv : kBufferSend;
  b->lent += for_receiving;
  b->buffers_keep.taken();
  return buf;
}

// Back to the free list while it holds fewer than were out at once lately, else to the
// allocator.  A stream that waits for a buffer can have one now if the lending fell below its
// limit, or if the free list has one within it: the one that waited longest receives again.
void pool_give(ev_loop *loop, stream_block *b, stream_buffer *buf)
{
  const bool was_lent = buf->state == kBufferRecv || buf->state == kBufferKept;
  // A backend's engine that receives into buffers of its own takes it back, lent still: no round
  // through the allocator, and a stream that waited for a buffer gets one there.
  const stream_ops *engine = loop->backend->streams;
  if (was_lent && engine && engine->take(loop, buf)) {
    buf->state = kBufferRecv;
    if (b->paused.any())
      resume_one_paused(loop, b);
    return;
  }
  b->lent -= was_lent;
  --b->buffers_keep.out;
  const bool listed = b->buffers_keep.keeps_one_more(kPoolKeep);
  if (listed) {
    buf->state = kBufferFree;
    buf->next = b->free;
    b->free = buf;
    ++b->buffers_keep.free_count;
  } else {
    buf->state = 0;
    ev_free(buf);
  }
  if (b->paused.any() && (was_lent || (listed && b->lent < lend_limit(b))))
    resume_one_paused(loop, b);
}

namespace {

// A free list's surplus beyond what k keeps, a few at a time, back to the allocator.
template <class T>
void trim_list(T *&list, free_keep &k, int least)
{
  for (int freed = 0; freed < 16 && list && k.surplus(least); ++freed) {
    T *x = list;
    list = x->next;
    --k.free_count;
    ev_free(x);
  }
}

// Once a flush step: a window ends after a second, and the free buffers and send nodes beyond what
// the pool keeps go back to the allocator, a few at a time.
void pool_trim(ev_loop *loop, stream_block *b)
{
  if (loop->mn_now - b->window_start >= 1.) {
    b->window_start = loop->mn_now;
    for (free_keep *k : {&b->buffers_keep, &b->sends_keep}) {
      k->peak_before = k->peak;
      k->peak = k->out;
    }
  }
  trim_list(b->free, b->buffers_keep, kPoolKeep);
  trim_list(b->free_sends, b->sends_keep, kSendNodesKept);
}

}  // namespace

stream_send *send_node(stream_block *b)
{
  stream_send *q = b->free_sends;
  if (q) {
    b->free_sends = q->next;
    --b->sends_keep.free_count;
  } else if (!(q = static_cast<stream_send *>(ev_try_realloc(nullptr, sizeof(stream_send))))) {
    return nullptr;
  }
  b->sends_keep.taken();
  // all but small, which only a copy's bytes use
  q->next = nullptr;
  q->data = nullptr;
  q->len = q->off = 0;
  q->done = nullptr;
  q->buf = nullptr;
  q->owner = nullptr;
  q->err = 0;
  q->cap = 0;
  return q;
}

void send_node_free(ev_loop *loop, stream_block *b, stream_send *q)
{
  if (stream_buffer *buf = q->buf)
    pool_give(loop, b, buf);
  --b->sends_keep.out;
  if (b->sends_keep.keeps_one_more(kSendNodesKept)) {
    q->next = b->free_sends;
    b->free_sends = q;
    ++b->sends_keep.free_count;
  } else {
    ev_free(q);
  }
}

// ---- the reports -------------------------------------------------------------------------------

void stream_received(ev_loop *loop, stream_io *s, stream_buffer *buf, bool in_pass)
{
  buf->next = nullptr;
  (s->recv_tail ? s->recv_tail->next : s->recv_head) = buf;
  s->recv_tail = buf;
  ++s->recv_count;
  feed_watcher(loop, s, EV_READ, in_pass ? kFromPass : kFromWait);
  stream_mark_check(loop, s);
}

void stream_ended(ev_loop *loop, stream_io *s, bool in_pass)
{
  s->flags |= kStreamEnd;
  update_interest(loop, s);
  feed_watcher(loop, s, EV_READ, in_pass ? kFromPass : kFromWait);
  stream_mark_check(loop, s);
}

int accepted_take(stream_io *s)
{
  if (!s->accepted_count)
    return -1;
  const int fd = s->accepted[s->accepted_first];
  s->accepted_first = static_cast<unsigned char>((s->accepted_first + 1) % kAcceptHeld);
  --s->accepted_count;
  return fd;
}

namespace {
void accepted_push(stream_io *s, int fd) { s->accepted[(s->accepted_first + s->accepted_count++) % kAcceptHeld] = fd; }

void accepted_close_all(stream_io *s)
{
  for (int fd; (fd = accepted_take(s)) >= 0;)
    socket_close(fd);
}
}  // namespace

void stream_accepted(ev_loop *loop, stream_io *s, int fd, bool in_pass)
{
  accepted_push(s, fd);
  feed_watcher(loop, s, EV_READ, in_pass ? kFromPass : kFromWait);
  stream_mark_check(loop, s);
}

void stream_failed(ev_loop *loop, stream_io *s, int err, bool in_pass)
{
  fail(loop, s, err, in_pass ? kFromPass : kFromWait);
}

void stream_sent(ev_loop *loop, stream_io *s, std::size_t bytes, bool in_pass)
{
  const report_from from = in_pass ? kFromPass : kFromWait;
  if (!sent_lone_copy(loop, s, bytes, from))
    sent(loop, s, bytes, from);
}

void stream_sent_at_stop(ev_loop *loop, stream_io *s, std::size_t bytes) { sent(loop, s, bytes, kFromStop); }

void stream_to_readiness(ev_loop *loop, stream_io *s)
{
  s->flags &= ~kStreamEngine;
  s->engine = nullptr;
  update_interest(loop, s);
  if (s->send_head)
    stream_mark_sending(loop, s);
}

void stream_pool_pass_on(ev_loop *loop, stream_block *b)
{
  if (b->paused.any())
    resume_one_paused(loop, b);
}

void stream_pause_for_pool(ev_loop *loop, stream_io *s)
{
  stream_block *b = s->block;
  s->flags |= kStreamPausedPool;
  b->paused.push(stream_ref{s, s->serial});
  update_interest(loop, s);
}

bool stream_accept_failed(ev_loop *loop, stream_io *s, int err, bool in_pass)
{
  const report_from from = in_pass ? kFromPass : kFromWait;
  switch (err) {
  case EAGAIN:
#if EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK:
#endif
    return false;
  case EMFILE:
  case ENFILE:
  case ENOBUFS:
  case ENOMEM:
    // no descriptor or memory for it now: the connection waits in the kernel's backlog, and the
    // program hears of it from ev_ng_accept_take
    s->accept_err = err;
    feed_watcher(loop, s, EV_READ, from);
    stream_mark_check(loop, s);
    return false;
  case EBADF:
  case ENOTSOCK:
  case EINVAL:
  case EFAULT: fail(loop, s, err, from); return false;
  default:
    // a connection that failed before it was taken (ECONNABORTED, EPROTO, Linux's network errors
    // of the new socket): the next one
    return true;
  }
}

namespace {

// sent bytes of s's queue reached the kernel: what is whole is done, the copies go back to the
// pool, and the program's sends complete (from a pass or the flush step, now).
void sent(ev_loop *loop, stream_io *s, std::size_t bytes, report_from from)
{
  if (sent_lone_copy(loop, s, bytes, from))
    return;
  std::size_t sent = bytes;
  stream_block *b = s->block;
  stream_of(s)->queued -= bytes;
  stream_send *done_first = nullptr, *done_last = nullptr;
  while (stream_send *q = s->send_head) {
    const std::size_t take = std::min(sent, q->len - q->off);
    q->off += take;
    sent -= take;
    if (q->off < q->len)
      break;
    s->send_head = q->next;
    if (!q->done) {
      send_node_free(loop, b, q);
      continue;
    }
    q->owner = stream_of(s);
    q->err = 0;
    q->next = nullptr;
    (done_last ? done_last->next : done_first) = q;
    done_last = q;
  }
  if (!s->send_head) {
    s->send_tail = nullptr;
    if (from != kFromStop)
      drained(loop, s, from);
  }
  if (done_first) {
    completions_append(loop, b, done_first, done_last);
    if (from == kFromPass || from == kFromFlush)
      streams_complete_cancelled(loop);
  }
}

// The common case, before sent's walk of the queue: the whole of a lone copy.
inline bool sent_lone_copy(ev_loop *loop, stream_io *s, std::size_t bytes, report_from from)
{
  stream_send *q = s->send_head;
  if (!q || q->next || q->done || bytes != q->len - q->off)
    return false;
  stream_of(s)->queued -= bytes;
  s->send_head = s->send_tail = nullptr;
  send_node_free(loop, s->block, q);
  if (from != kFromStop)
    drained(loop, s, from);
  return true;
}

}  // namespace

void streams_complete_cancelled(ev_loop *loop)
{
  stream_block *b = streams_of(loop);
  // each is taken off the list before its call, so that a completion that leaves by longjmp or an
  // exception leaves the rest to the next flush step
  while (stream_send *q = b->cancelled) {
    b->cancelled = q->next;
    if (!b->cancelled)
      b->cancelled_tail = nullptr;
    ev_ng_send_done done = q->done;
    ev_ng_stream *owner = q->owner;
    const char *data = q->data;
    const std::size_t sent = q->err ? q->off : q->len;
    const int err = q->err;
    send_node_free(loop, b, q);
    done(EV_A_ owner, data, sent, err);
  }
  work_set(loop, kWorkStreams, streams_have_work(loop));
}

// ---- start, stop, the readiness watcher's callback -----------------------------------------

stream_block *streams_block(ev_loop *loop)
{
  loop_rare *r = rare_get(loop);
  if (!r->streams) {
    auto *b = static_cast<stream_block *>(ev_realloc(nullptr, sizeof(stream_block)));
    *b = stream_block{};
    r->streams = b;
  }
  return r->streams;
}

stream_io *stream_io_start(ev_loop *loop, ev_watcher *w, unsigned char kind, int fd, int events)
{
  stream_block *b = streams_block(loop);
  stream_io *s = b->free_ios;
  if (s) {
    b->free_ios = s->next_free;
  } else {
    s = static_cast<stream_io *>(ev_realloc(nullptr, sizeof(stream_io)));
    *s = stream_io{};
    s->next_all = b->all_ios;
    b->all_ios = s;
  }
  stream_io *const all = s->next_all;
  int *const accepted = s->accepted;
  *s = stream_io{};
  s->next_all = all;
  s->accepted = accepted;
  if (kind == kKindAccept && !s->accepted)
    s->accepted = static_cast<int *>(ev_realloc(nullptr, sizeof(int) * kAcceptHeld));
  s->w = w;
  s->block = b;
  s->serial = ++b->serial;
  s->fd = fd;
  s->kind = kind;
  if (kind == kKindAccept || (events & EV_READ))
    s->flags = kStreamReceiving;
  if (kind == kKindStream)
    ++b->streams;
  ++b->watchers;
  work_set(loop, kWorkStreams, true);

  // Not a connected (or listening) stream socket: EV_ERROR from the first iteration.
  if (const int err = socket_prepare(fd, kind == kKindStream ? 1 : 2)) {
    s->err = err;
    stream_mark_check(loop, s);
    return s;
  }
  // A stream a backend's engine takes keeps its readiness watcher too, asking for no events, so
  // that the closed-fd sweep and fd_kill find its fd as any other (stream_io_killed).  ev_run ends
  // by handing the engine's requests to the kernel (kRunGuardStreams), since a flush step only
  // queues them for the wait that follows.
  const stream_ops *engine = loop->backend->streams;
  const bool taken = engine && engine->start(loop, s);
  if (taken) {
    s->flags |= kStreamEngine;
    if (!(loop->run_guard & kRunGuardStreams)) {
      loop->run_guard |= kRunGuardStreams;
      run_entry_update(loop);
    }
  }
  ev_io_init(&s->io, stream_ready, fd, taken ? 0 : interest(s));
  ev_set_priority(&s->io, ev_priority(w));
  internal_io_start(loop, &s->io);
  return s;
}

void stream_io_stop(ev_loop *loop, stream_io *s, int err)
{
  stream_block *b = s->block;
  if (s->flags & kStreamEngine)
    loop->backend->streams->stop(loop, s);
  internal_io_stop(loop, &s->io);
  s->serial = ++b->serial;  // every list's entry for it is void from now on
  if (s->kind == kKindStream)
    --b->streams;
  --b->watchers;
  accepted_close_all(s);
  cancel_sends(loop, s, err);
  s->flags = 0;
  s->w = nullptr;
  s->next_free = b->free_ios;
  b->free_ios = s;
  give_received(loop, s);  // last, since a buffer given back may resume another stream
  work_set(loop, kWorkStreams, streams_have_work(loop));
}

void stream_recv_resume(ev_loop *loop, stream_io *s)
{
  const int held = s->kind == kKindAccept ? kAcceptHeld : kReceivedHeld;
  if ((s->flags & kStreamPausedFull) && (s->kind == kKindAccept ? s->accepted_count : s->recv_count) < held)
    resume_receiving(loop, s, kStreamPausedFull);
}

// The readiness engine: the fd is ready for what the stream asked, or fd_kill found it closed.
void stream_ready(EV_P_ ev_io *io, int revents)
{
  stream_io *s = owner_of(io);
  if (revents & EV_ERROR)
    return fail(loop, s, EBADF, kFromPass);
  if (s->kind == kKindAccept)
    return accept_ready(loop, s);
  const stream_ref ref{s, s->serial};
  if (revents & EV_WRITE) {
    send_queue(loop, s, kFromPass);
    if (!ref.live())
      return;
  }
  if (revents & EV_READ)
    receive(loop, s);
}

// fd_kill (fd/fd.h): a stream's readiness watcher on a closed fd stops at once, and the stream
// gets EV_ERROR with EBADF from its callback; from now on nothing reaches the number.
bool stream_io_killed(ev_loop *loop, WL w)
{
  if (!is_stream_io(w))
    return false;
  auto *io = reinterpret_cast<ev_io *>(w);
  stream_io *s = owner_of(io);
  internal_io_stop(loop, io);
  if (!s->err)
    s->err = EBADF;
  feed_error(loop, as_w(io), EV_ERROR);
  return true;
}

bool stream_io_swept(WL w) { return is_stream_io(w); }

// ---- the flush step ----------------------------------------------------------------------------

namespace {

bool block_has_work(const stream_block *b)
{
  return b->watchers || b->check.count || b->checking.count || b->sending.count || b->cancelled;
}

}  // namespace

bool streams_have_work(const ev_loop *loop)
{
  const stream_block *b = streams_of(loop);
  return b && block_has_work(b);
}

void streams_flush(ev_loop *loop)
{
  stream_block *b = streams_of(loop);
  // the pass before this flush invoked what the last one fed, unless the program's own
  // invoke_pending left it
  if (!loop->pending.any())
    b->flush_fed = false;
  // What a check marks again goes to the next flush, so each is looked at once here.  A flush
  // inside a callback of this one continues with the same list.
  if (!b->checking.count)
    std::swap(b->check, b->checking);
  while (b->checking.count) {
    const stream_ref r = b->checking.data[--b->checking.count];
    if (!r.live())
      continue;
    r.s->flags &= ~kStreamChecked;
    check(loop, r.s);
  }
  // Sends until none is left: a completion may queue more.
  while (b->sending.count) {
    const stream_ref r = b->sending.data[--b->sending.count];
    if (!r.live())
      continue;
    r.s->flags &= ~kStreamSending;
    if (!r.s->err)
      send_from_flush(loop, r.s);
  }
  if (b->cancelled)  // the work flag is set once, below
    streams_complete_cancelled(loop);
  for (; b->resume_at_flush > 0 && b->paused.any(); --b->resume_at_flush)
    resume_one_paused(loop, b);
  b->resume_at_flush = 0;
  pool_trim(loop, b);
  work_set(loop, kWorkStreams, block_has_work(b));
}

void streams_run_end(ev_loop *loop) { loop->backend->streams->run_end(loop); }

void streams_loop_destroy(ev_loop *loop)
{
  stream_block *b = streams_of(loop);
  if (!b)
    return;
  // A backend's engine lets go of every buffer and byte of the program it lent the kernel.
  if (const stream_ops *engine = loop->backend->streams)
    engine->stop(loop, nullptr);
  b->paused.clear();  // nothing resumes now
  while (stream_io *s = b->all_ios) {
    b->all_ios = s->next_all;
    if (s->w) {
      // still active: its sends are dropped without completions, which the loop cannot call now
      while (stream_send *q = s->send_head) {
        s->send_head = q->next;
        send_node_free(loop, b, q);
      }
      accepted_close_all(s);
      give_received(loop, s);
    }
    ev_free(s->accepted);
    ev_free(s);
  }
  while (stream_send *q = b->cancelled) {
    b->cancelled = q->next;
    send_node_free(loop, b, q);
  }
  while (stream_buffer *buf = b->kept) {
    b->kept = buf->next;
    ev_free(buf);
  }
  while (stream_buffer *buf = b->free) {
    b->free = buf->next;
    ev_free(buf);
  }
  while (stream_send *q = b->free_sends) {
    b->free_sends = q->next;
    ev_free(q);
  }
  b->check.release();
  b->checking.release();
  b->sending.release();
  b->paused.release();
  ev_free(b);
  rare_of(loop)->streams = nullptr;
}

}  // namespace ev_detail
#endif  // EV_NG_STREAMS
