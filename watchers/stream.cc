// SPDX-License-Identifier: BSD-2-Clause
// watchers/stream.cc - ev_ng_stream and ev_ng_accept, after ev(3)'s "Streams: the loop does the
// I/O": the program's calls.  What the loop does with a stream (the engines, the pool, the flush
// step) is fd/stream.h's.
#include "fd/stream.h"

#include <cerrno>
#include <cstring>

using namespace ev_detail;

#if EV_NG_STREAMS
namespace {

inline stream_io *state_of(ev_ng_stream *w) { return static_cast<stream_io *>(w->ev_ng_state); }
inline stream_io *state_of(ev_ng_accept *w) { return static_cast<stream_io *>(w->ev_ng_state); }

int fail_with(int err)
{
  errno = err;
  return -1;
}

// The checks every send makes: the watcher is active, not shut down, and the bytes fit its limit.
int send_refused(ev_ng_stream *w, std::size_t len)
{
  stream_io *s = state_of(w);
  if (!w->active || !s)
    return ENOTCONN;
  if (s->flags & kStreamShutQueued)
    return EPIPE;
  const std::size_t limit = w->limit ? w->limit : kDefaultSendLimit;
  if (w->queued > limit || len > limit - w->queued)
    return ENOBUFS;
  return 0;
}

}  // namespace

extern "C" {

void ev_ng_stream_start(EV_P_ ev_ng_stream *w) noexcept
{
  if (w->active)
    return;
  if (w->events & ~(EV_READ | EV_WRITE))
    usage_error("ev_ng_stream_start", "events", static_cast<long long>(w->events),
                "libev: ev_ng_stream_start called with events other than EV_READ and EV_WRITE");
  start_watcher(loop, as_w(w), 1);
  w->err = 0;
  w->queued = 0;
  w->ev_ng_state = stream_io_start(loop, as_w(w), kKindStream, w->fd, w->events);
}

// Not noexcept: the completions of the cancelled sends run before it returns, and may throw.
void ev_ng_stream_stop(EV_P_ ev_ng_stream *w)
{
  if (!stop_begin(loop, as_w(w), "ev_ng_stream_stop"))
    return;
  stream_io *s = state_of(w);
  w->ev_ng_state = nullptr;
  stop_watcher(loop, as_w(w));
  if (s)
    stream_io_stop(loop, s, ECANCELED);  // (an engine's send that completes meanwhile counts)
  w->queued = 0;
  if (s)
    streams_complete_cancelled(loop);
}

int ev_ng_stream_recv(EV_P_ ev_ng_stream *w, const char **data) noexcept
{
  stream_io *s = state_of(w);
  if (!w->active || !s)
    return fail_with(EAGAIN);
  if (s->flags & kStreamEndTaken)
    return 0;
  // Before its callback ran, the watcher's bytes are not the program's yet.
  if (w->pending)
    return fail_with(EAGAIN);
  if (stream_buffer *old = s->handed) {
    s->handed = nullptr;
    pool_give(loop, s->block, old);
  }
  if (stream_buffer *buf = s->recv_head) {
    s->recv_head = buf->next;
    if (!s->recv_head)
      s->recv_tail = nullptr;
    --s->recv_count;
    s->handed = buf;
    stream_mark_check(loop, s);  // the flush step takes the buffer back, unless it is kept
    if (s->flags & kStreamPausedFull)
      stream_recv_resume(loop, s);
    *data = buf->data;
    return static_cast<int>(buf->len);
  }
  if (s->flags & kStreamEnd) {
    s->flags |= kStreamEndTaken;
    return 0;
  }
  return fail_with(EAGAIN);
}

void *ev_ng_stream_keep(EV_UNUSED_P_ ev_ng_stream *w) noexcept
{
  stream_io *s = state_of(w);
  if (!w->active || !s || !s->handed)
    return nullptr;
  stream_buffer *buf = s->handed;
  s->handed = nullptr;
  stream_block *b = s->block;
  buf->state = kBufferKept;
  buf->prev = nullptr;
  buf->next = b->kept;
  if (b->kept)
    b->kept->prev = buf;
  b->kept = buf;
  return buf;
}

void ev_ng_buffer_release(EV_P_ void *buffer) noexcept
{
  if (!buffer)
    return;
  auto *buf = static_cast<stream_buffer *>(buffer);
  stream_block *b = streams_of(loop);
  if (!b || buf->state != kBufferKept || buf->block != b)
    usage_error("ev_ng_buffer_release", "buffer", static_cast<const void *>(buffer),
                "libev: ev_ng_buffer_release called with a pointer that ev_ng_stream_keep did not return for "
                "this loop, or that was released already");
  (buf->prev ? buf->prev->next : b->kept) = buf->next;
  if (buf->next)
    buf->next->prev = buf->prev;
  pool_give(loop, b, buf);
}

int ev_ng_stream_send(EV_P_ ev_ng_stream *w, const void *data, std::size_t len) noexcept
{
  if (const int err = send_refused(w, len))
    return fail_with(err);
  if (!len)
    return 0;
  stream_io *s = state_of(w);
  stream_block *b = s->block;
  const char *from = static_cast<const char *>(data);

  // The room left in the last copy, then new entries (a small rest in the entry itself, more in
  // buffers of the pool): all of them are had before anything is queued, so that ENOMEM queues
  // nothing.
  stream_send *tail = s->send_tail;
  const std::size_t room = tail && tail->cap ? tail->cap - tail->len : 0;
  // The common case first, a protocol's message: a small copy into a new entry of its own.
  if (!room && len <= kSendInline) {
    stream_send *q = send_node(b);
    if (!q)
      return fail_with(ENOMEM);
    q->data = q->small;
    q->cap = kSendInline;
    q->len = len;
    std::memcpy(q->small, data, len);
    stream_send_queue(loop, s, q, q, len);
    return 0;
  }
  const std::size_t first = len < room ? len : room;
  stream_send *head = nullptr, *last = nullptr;
  for (std::size_t rest = len - first; rest;) {
    stream_send *q = send_node(b);
    if (q && rest > kSendInline) {
      if (stream_buffer *buf = pool_take(b, false)) {
        q->buf = buf;
        q->data = buf->data;
        q->cap = kStreamBufferBytes;
      } else {
        send_node_free(loop, b, q);
        q = nullptr;
      }
    } else if (q) {
      q->data = q->small;
      q->cap = kSendInline;
    }
    if (!q) {
      while (stream_send *n = head) {
        head = n->next;
        send_node_free(loop, b, n);
      }
      return fail_with(ENOMEM);
    }
    q->len = rest < q->cap ? rest : q->cap;
    rest -= q->len;
    (last ? last->next : head) = q;
    last = q;
  }
  if (first) {
    std::memcpy(const_cast<char *>(tail->data) + tail->len, from, first);
    tail->len += first;
  }
  std::size_t at = first;
  for (stream_send *q = head; q; q = q->next) {
    std::memcpy(const_cast<char *>(q->data), from + at, q->len);
    at += q->len;
  }
  stream_send_queue(loop, s, head, last, len);
  return 0;
}

int ev_ng_stream_send_ref(EV_P_ ev_ng_stream *w, const void *data, std::size_t len, ev_ng_send_done done) noexcept
{
  if (const int err = send_refused(w, len))
    return fail_with(err);
  stream_io *s = state_of(w);
  stream_send *q = send_node(s->block);
  if (!q)
    return fail_with(ENOMEM);
  q->data = static_cast<const char *>(data);
  q->len = len;
  q->done = done;
  stream_send_queue(loop, s, q, q, len);
  return 0;
}

int ev_ng_stream_shutdown(EV_P_ ev_ng_stream *w) noexcept
{
  stream_io *s = state_of(w);
  if (!w->active || !s)
    return fail_with(ENOTCONN);
  if (!(s->flags & kStreamShutQueued)) {
    s->flags |= kStreamShutQueued;
    stream_send_queue(loop, s, nullptr, nullptr, 0);
  }
  return 0;
}

void ev_ng_accept_start(EV_P_ ev_ng_accept *w) noexcept
{
  if (w->active)
    return;
  start_watcher(loop, as_w(w), 1);
  w->err = 0;
  w->ev_ng_state = stream_io_start(loop, as_w(w), kKindAccept, w->fd, EV_READ);
}

void ev_ng_accept_stop(EV_P_ ev_ng_accept *w) noexcept
{
  if (!stop_begin(loop, as_w(w), "ev_ng_accept_stop"))
    return;
  stream_io *s = state_of(w);
  w->ev_ng_state = nullptr;
  stop_watcher(loop, as_w(w));
  if (s)
    stream_io_stop(loop, s, ECANCELED);
}

int ev_ng_accept_take(EV_P_ ev_ng_accept *w) noexcept
{
  stream_io *s = state_of(w);
  if (!w->active || !s || w->pending)
    return fail_with(EAGAIN);
  const int fd = accepted_take(s);
  if (fd >= 0) {
    stream_recv_resume(loop, s);
    return fd;
  }
  if (const int err = s->accept_err) {
    s->accept_err = 0;
    return fail_with(err);
  }
  return fail_with(EAGAIN);
}

}  // extern "C"
#else
// A build for size keeps the API without the engine (ev(3) LIBEV-NG EXTENSIONS): a watcher
// started gets EV_ERROR with ENOSYS and stays inactive, as an ev_io on an fd that cannot be open
// does, and nothing else succeeds.
namespace {

int not_here(int err)
{
  errno = err;
  return -1;
}

}  // namespace

extern "C" {

void ev_ng_stream_start(EV_P_ ev_ng_stream *w) noexcept
{
  w->err = ENOSYS;
  feed_error(loop, as_w(w), EV_ERROR);
}
void ev_ng_stream_stop(EV_P_ ev_ng_stream *w) { stop_begin(loop, as_w(w), "ev_ng_stream_stop"); }
int ev_ng_stream_recv(EV_UNUSED_P_ ev_ng_stream *, const char **) noexcept { return not_here(EAGAIN); }
void *ev_ng_stream_keep(EV_UNUSED_P_ ev_ng_stream *) noexcept { return nullptr; }
void ev_ng_buffer_release(EV_UNUSED_P_ void *) noexcept {}
int ev_ng_stream_send(EV_UNUSED_P_ ev_ng_stream *, const void *, std::size_t) noexcept { return not_here(ENOTCONN); }
int ev_ng_stream_send_ref(EV_UNUSED_P_ ev_ng_stream *, const void *, std::size_t, ev_ng_send_done) noexcept
{
  return not_here(ENOTCONN);
}
int ev_ng_stream_shutdown(EV_UNUSED_P_ ev_ng_stream *) noexcept { return not_here(ENOTCONN); }
void ev_ng_accept_start(EV_P_ ev_ng_accept *w) noexcept
{
  w->err = ENOSYS;
  feed_error(loop, as_w(w), EV_ERROR);
}
void ev_ng_accept_stop(EV_P_ ev_ng_accept *w) noexcept { stop_begin(loop, as_w(w), "ev_ng_accept_stop"); }
int ev_ng_accept_take(EV_UNUSED_P_ ev_ng_accept *) noexcept { return not_here(EAGAIN); }

}  // extern "C"
#endif  // EV_NG_STREAMS
