// SPDX-License-Identifier: BSD-2-Clause
// fd/stream.h - streams as the engines see them (ev(3) "Streams: the loop does the I/O"): what a
// stream or accept watcher has in the loop (stream_io), the loop's buffer pool and its lists
// (stream_block), and the reports through which an engine hands over what it did.
//
// Two engines do a stream's I/O.  A backend may take a stream over (backend_ops::streams,
// backends/backend.h): it receives into the pool's buffers and sends the queue itself, and reports
// through stream_received, stream_sent and the others below.  Every stream no backend took is the
// readiness engine's (fd/stream.cc): an io watcher on the fd, at the watcher's priority, whose
// callback receives and sends when the backend reports the fd ready, and reports through the same
// calls.  So what the program sees (which events, in which order, the buffers, the errors) is
// decided once, here, for both.
//
// The rules enforced here:
//  - A report never calls the program: it changes the stream and feeds the watcher, and what the
//    program must be told later (a completion, an error) waits for the flush step or for a call
//    the program made.  User code runs only from the flush step (streams_flush, at the end of an
//    invocation pass), from the readiness engine's callback, or from ev_ng_stream_stop.
//  - Every list a callback may change is consistent before the callback runs, and a stream is
//    looked at again after each callback only through its serial, which a stop changes: the
//    program may stop, restart or free its watcher inside any callback.
//  - Nothing reaches the kernel for a stream after its stop or its EV_ERROR.
#pragma once

#include "base/sockets.h"
#include "fd/fd.h"

#include <cstdint>
#include <cstring>

namespace ev_detail {

// The pool's buffers: ev_ng_stream_recv hands over at most one at once.  The pool keeps for reuse
// as many free ones as were out at once in the last second or two, at least kPoolKeep, so that a
// steady load takes none from the allocator (pool_trim), and lends at most max(kPoolFloor, kPoolPerStream a stream)
// for receiving (ev(3) "ev_ng_stream_keep"); copied sends of more than kSendInline bytes copy
// into buffers of the same pool, smaller ones into their queue entry.
inline constexpr std::uint32_t kStreamBufferBytes = 16384;
inline constexpr int kPoolKeep = 32;
inline constexpr int kSendNodesKept = 256;
inline constexpr std::size_t kSendInline = 192;
inline constexpr int kPoolFloor = 1024;
inline constexpr int kPoolPerStream = 64;
// The most bytes a stream queues without a limit of its own: 4 MiB.
inline constexpr std::size_t kDefaultSendLimit = std::size_t{4} << 20;
// Connections an accept watcher holds that the program has not taken; buffers a stream holds that
// the program has not taken, beyond which it stops receiving.
inline constexpr int kAcceptHeld = 16;
inline constexpr int kStreamReceivedHeld = 4;

struct stream_block;

// A buffer of the pool: where it is (state, with a tag that ev_ng_buffer_release checks), its bytes.
struct stream_buffer {
  stream_buffer *next;  // the list it is in: free, received, kept, or a send's
  stream_buffer *prev;  // kept list only, so that a release is O(1)
  stream_block *block;
  std::uint32_t len;    // bytes in data
  std::uint32_t state;  // kBuffer*
  char data[kStreamBufferBytes];
};

enum : std::uint32_t {
  kBufferTag = 0x5eb0f000u,      // all states share it; anything else was never a buffer of ours
  kBufferFree = kBufferTag | 1,  // on the free list
  kBufferRecv = kBufferTag | 2,  // received: queued or handed over; counts against the lending
  kBufferKept = kBufferTag | 3,  // ev_ng_stream_keep: the program's until it releases it
  kBufferSend = kBufferTag | 4,  // a copied send's bytes
};

// One queued send: a copy (in small, or in buf; done is null) or the program's bytes it lends
// (ev_ng_stream_send_ref), whose completion is called once, with what reached the kernel.
struct stream_send {
  stream_send *next;
  const char *data;
  std::size_t len;
  std::size_t off;  // bytes that reached the kernel
  ev_ng_send_done done;
  stream_buffer *buf;
  // set when the send is cancelled or failed: the watcher and the error its completion gets
  ev_ng_stream *owner;
  int err;
  std::uint32_t cap;  // a copy's room at data, which the next copy fills first; 0 for a lent send
  char small[kSendInline];
};

// stream_io::flags
enum : unsigned {
  kStreamReceiving = 1u << 0,   // EV_READ in the events: the engine receives
  kStreamEnd = 1u << 1,         // the end of the stream arrived, after the queued bytes
  kStreamEndTaken = 1u << 2,    // recv returned 0: nothing more to hand over
  kStreamChecked = 1u << 3,     // on the block's check list
  kStreamSending = 1u << 4,     // on the block's send list
  kStreamWriteWait = 1u << 5,   // the socket took less than offered: sent when writable
  kStreamShutQueued = 1u << 6,  // ev_ng_stream_shutdown: after the queue
  kStreamShutDone = 1u << 7,
  kStreamHeld = 1u << 8,         // the queue held bytes since it last drained: EV_WRITE when it does
  kStreamPausedPool = 1u << 9,   // not receiving: the pool lent all it may
  kStreamPausedFull = 1u << 10,  // not receiving: the program has not taken what arrived
  kStreamErrOffered = 1u << 11,  // an error waits; the bytes before it were offered
  kStreamEngine = 1u << 12,      // a backend's engine does the I/O (backend_ops::streams)
};

enum : unsigned char { kKindStream = 1, kKindAccept = 2 };

// What a stream or accept watcher has in the loop while it is active: the floor-1 structure an
// engine works on.  Made at the start, given back to the block at the stop (the block keeps it for
// the next start, since a report may still name it by serial), freed with the loop.
struct stream_io {
  ev_io io;       // the readiness engine's watcher on fd; its callback is stream_ready
  ev_watcher *w;  // the program's watcher: an ev_ng_stream or ev_ng_accept, by kind
  stream_block *block;
  stream_io *next_free;  // the block's free list
  stream_io *next_all;   // every one the block made
  unsigned serial;       // changes at every start and stop: a held pointer checks it
  unsigned flags;        // kStream*
  int fd;
  int err;  // an error the watcher gets once the bytes before it were offered
  int recv_count;
  int accept_err;  // an accept watcher's error to hand over once its connections are taken (EMFILE, ...)
  unsigned char kind;
  unsigned char accepted_first, accepted_count;  // of `accepted`
  // Received, not handed over yet, oldest first; what the last recv handed over.
  stream_buffer *recv_head, *recv_tail;
  stream_buffer *handed;
  // The send queue, oldest first.
  stream_send *send_head, *send_tail;
  // An accept watcher's connections the program has not taken, oldest first: a ring of kAcceptHeld
  // made at its first start and kept with the stream_io, so that a stream has no room for them.
  int *accepted;
  void *engine;  // a backend engine's own per-stream state
};
static_assert(kAcceptHeld <= 255, "accepted_first and accepted_count count them");
// Every connection of a server has one: its size is the streams' memory an idle connection, held
// to 120 bytes beside its watcher, whose size an embedder's EV_COMMON sets.
static_assert(sizeof(void *) != 8 || sizeof(stream_io) <= sizeof(ev_io) + 120, "a stream_io grew");

// A stream_io held across a call that may run the program's code.
struct stream_ref {
  stream_io *s;
  unsigned serial;
  bool live() const { return s->serial == serial; }
};

// The streams that wait for a buffer, oldest first: a queue whose head moves, since a busy pool
// resumes one for every buffer that comes back while thousands may wait.
struct stream_fifo {
  array<stream_ref> refs;
  int head;
  bool any() const { return head < refs.count; }
  void push(stream_ref r)
  {
    if (head && refs.count == refs.capacity) {  // the room the head left, before growing
      std::memmove(refs.data, refs.data + head, sizeof(stream_ref) * static_cast<std::size_t>(refs.count - head));
      refs.count -= head;
      head = 0;
    }
    refs.push(r);
  }
  stream_ref pop()
  {
    const stream_ref r = refs.data[head++];
    if (head == refs.count)
      head = refs.count = 0;
    return r;
  }
  void clear() { head = refs.count = 0; }
  void release()
  {
    refs.release();
    head = 0;
  }
};

// How many free ones a free list keeps (the pool's buffers, the send nodes): as many as were out at
// once in this window of a second and the one before, at least `least`; pool_trim moves the window.
struct free_keep {
  int free_count;
  int out;  // taken and not given back
  int peak, peak_before;
  bool keeps_one_more(int least) const { return free_count < least || free_count < peak || free_count < peak_before; }
  bool surplus(int least) const { return free_count > least && free_count > peak && free_count > peak_before; }
  void taken()
  {
    if (++out > peak)
      peak = out;
  }
};

// The loop's streams: the pool, the lists of the flush step, and every stream_io.
struct stream_block {
  stream_buffer *free;  // free buffers, as buffers_keep says (at least kPoolKeep)
  free_keep buffers_keep;
  free_keep sends_keep;    // free_sends' (at least kSendNodesKept)
  ev_tstamp window_start;  // of both
  int lent;                // buffers out for receiving: queued, handed over or kept
  int streams;             // active streams, the lending's measure
  int watchers;            // active stream and accept watchers: while there are, every pass ends in a flush
  stream_buffer *kept;     // ev_ng_stream_keep's, for ev_loop_destroy
  stream_send *free_sends;
  stream_io *free_ios;
  stream_io *all_ios;
  unsigned serial;
  // The flush step's lists: streams to look at after their callback, streams with sends; and the
  // sends of stopped or failed streams whose completions are still to be called.
  array<stream_ref> check;
  array<stream_ref> checking;
  array<stream_ref> sending;
  stream_fifo paused;  // waiting for a buffer
  // Streams paused while the engine's count said its ring held this many buffers, which the
  // kernel had taken already or not: the flush step resumes as many waiters, oldest first, so
  // that none waits for a buffer to come back when the ring has some.
  int resume_at_flush;
  stream_send *cancelled, *cancelled_tail;
  int flush_depth;
  bool flush_fed;  // a flush step fed the program's watchers since the last pass ran them
};

#if EV_NG_STREAMS
// Is w a stream's readiness watcher (in an fd's list)?  diag/ leaves them out of the program's.
void stream_ready(EV_P_ ev_io *w, int revents);
inline bool is_stream_io(const void *w)
{
  return reinterpret_cast<std::uintptr_t>(ev_cb(static_cast<const ev_io *>(w))) ==
         reinterpret_cast<std::uintptr_t>(&stream_ready);
}

// The block, made at the first start.
stream_block *streams_block(ev_loop *loop);

// An accept watcher's oldest connection not taken, taken; -1 if none.
int accepted_take(stream_io *s);

// The watcher's stream_io: start (false with errno when the allocator had no memory), stop.
stream_io *stream_io_start(ev_loop *loop, ev_watcher *w, unsigned char kind, int fd, int events);
void stream_io_stop(ev_loop *loop, stream_io *s, int err);

// The pool: a buffer for receiving (null when the lending is at its limit or the allocator has
// none) or for a send's copy (null when the allocator has none); a buffer given back.
stream_buffer *pool_take(stream_block *b, bool for_receiving);
void pool_give(ev_loop *loop, stream_block *b, stream_buffer *buf);

// Sends: a node, queued at the end (stream_send_queue marks the stream for the flush step).
stream_send *send_node(stream_block *b);
void send_node_free(ev_loop *loop, stream_block *b, stream_send *n);
// On the flush step's lists once, until it looks at the stream (inline: a message marks twice).
inline void stream_mark_sending(ev_loop *loop, stream_io *s)
{
  if (s->flags & (kStreamSending | kStreamWriteWait))
    return;
  s->flags |= kStreamSending;
  s->block->sending.push(stream_ref{s, s->serial});
  work_set(loop, kWorkStreams, true);
}
inline void stream_mark_check(ev_loop *loop, stream_io *s)
{
  if (s->flags & kStreamChecked)
    return;
  s->flags |= kStreamChecked;
  s->block->check.push(stream_ref{s, s->serial});
  work_set(loop, kWorkStreams, true);
}
inline void stream_send_queue(ev_loop *loop, stream_io *s, stream_send *first, stream_send *last, std::size_t bytes)
{
  if (first) {
    (s->send_tail ? s->send_tail->next : s->send_head) = first;
    s->send_tail = last;
    last->next = nullptr;
  }
  reinterpret_cast<ev_ng_stream *>(s->w)->queued += bytes;
  if (bytes)
    s->flags |= kStreamHeld;
  stream_mark_sending(loop, s);
}

// The program took what arrived (recv) or gave a buffer back: receiving may go on.
void stream_recv_resume(ev_loop *loop, stream_io *s);
// The pool had no buffer for s: s stops receiving until one comes back, longest waiter first, when
// its engine is told to resume (kStreamPausedPool).
void stream_pause_for_pool(ev_loop *loop, stream_io *s);
// A stream resumed for a buffer that came back did not take it (its receive ended without one):
// the next stream that waits for a buffer receives.
void stream_pool_pass_on(ev_loop *loop, stream_block *b);
// Does s ask its engine to receive, or an accept watcher's to accept, now?  Not after an error, nor
// while paused, nor after the end of the stream.
inline bool stream_receives(const stream_io *s)
{
  if (s->err)
    return false;
  if (s->kind == kKindAccept)
    return !(s->flags & kStreamPausedFull);
  return (s->flags & (kStreamReceiving | kStreamEnd | kStreamPausedPool | kStreamPausedFull)) == kStreamReceiving;
}
// What s asks of an engine now: EV_READ to receive (or accept), EV_WRITE to be told when its
// socket takes more; nothing after an error.
inline int stream_interest(const stream_io *s)
{
  const int writes = !s->err && s->kind != kKindAccept && (s->flags & kStreamWriteWait) ? EV_WRITE : 0;
  return (stream_receives(s) ? EV_READ : 0) | writes;
}
// A backend's engine gives s, whose requests it cancelled and waited for, to the readiness engine.
void stream_to_readiness(ev_loop *loop, stream_io *s);

// The reports of an engine (see the top).  `in_pass`: from an invocation pass, which will invoke
// what is fed; else the feed must keep the loop from blocking (feed_error).
void stream_received(ev_loop *loop, stream_io *s, stream_buffer *buf, bool in_pass);
void stream_ended(ev_loop *loop, stream_io *s, bool in_pass);
void stream_failed(ev_loop *loop, stream_io *s, int err, bool in_pass);
void stream_accepted(ev_loop *loop, stream_io *s, int fd, bool in_pass);
// sent bytes reached the kernel: completions are called (the program's code), so the caller holds
// s by a stream_ref; the drained queue's EV_WRITE and the shutdown follow.
void stream_sent(ev_loop *loop, stream_io *s, std::size_t sent, bool in_pass);
// The same from an engine's stop, for requests that completed while it waited: the sends wholly
// sent complete with 0 after the stop, before the cancelled ones; nothing is fed.
void stream_sent_at_stop(ev_loop *loop, stream_io *s, std::size_t sent);
// An accept of s failed with err: the connection's own failure (ECONNABORTED, ...), true, after
// which the next may be taken; else false, and the watcher hears of it (EMFILE and the like from
// ev_ng_accept_take, a bad socket as EV_ERROR), or nothing for EAGAIN.
bool stream_accept_failed(ev_loop *loop, stream_io *s, int err, bool in_pass);
// ev_run returns (kRunGuardStreams): a backend's engine sends what the last flush step queued.
void streams_run_end(ev_loop *loop);

// The loop's streams, in its rare block (loop/loop.h), or null before its first stream.
inline stream_block *streams_of(const ev_loop *loop)
{
  const loop_rare *r = rare_of(loop);
  return r ? r->streams : nullptr;
}

// Call the completions of cancelled sends, in order, until none is left.
void streams_complete_cancelled(ev_loop *loop);

// The flush step (ev(3)'s "at the end of the iteration"): after every invocation pass while the
// loop has stream work (kWorkStreams: active stream watchers, or sends, checks or completions left
// by stopped ones), so that what a pass queued goes to the kernel before the loop blocks, or
// before ev_run returns: sends what is queued, hands over again what the program left, delivers
// the errors that waited, calls what completed.  A loop that never had a stream pays nothing.
void streams_flush(ev_loop *loop);
bool streams_have_work(const ev_loop *loop);
// Sends queued outside the loop's passes, which only a flush sends: an embedding loop looks before
// it blocks (watchers/embed.cc), as it does for the embedded loop's fd changes.
inline bool streams_sends_waiting(const ev_loop *loop)
{
  const stream_block *b = streams_of(loop);
  return b && b->sending.count;
}
// An engine reported from the wait what only the flush step tells the program (an error to deliver,
// completions to call): the wait ends, as for a watcher fed.
inline bool streams_due(const ev_loop *loop)
{
  const stream_block *b = streams_of(loop);
  return b && (b->check.count || b->cancelled);
}
// What the flush step queued after the loop's last pass, or left for its next flush (a drained
// queue's EV_WRITE, bytes handed over again, completions): no kernel event announces it, so an
// embedding loop sweeps the loop for it before blocking (watchers/embed.cc).  Only that: an event
// the program fed the loop itself waits for the loop's next run, as in a loop without streams.
inline bool streams_left_for_next_pass(const ev_loop *loop)
{
  const stream_block *b = streams_of(loop);
  return b && ((b->flush_fed && loop->pending.any()) || streams_due(loop));
}
void streams_loop_destroy(ev_loop *loop);
#else
// A build for size has the API but no engine (watchers/stream.cc): no stream ever has work.
inline bool is_stream_io(const void *) { return false; }
inline void streams_flush(ev_loop *) {}
inline bool streams_have_work(const ev_loop *) { return false; }
inline bool streams_sends_waiting(const ev_loop *) { return false; }
inline bool streams_due(const ev_loop *) { return false; }
inline bool streams_left_for_next_pass(const ev_loop *) { return false; }
inline void streams_loop_destroy(ev_loop *) {}
inline void streams_run_end(ev_loop *) {}
#endif

}  // namespace ev_detail
