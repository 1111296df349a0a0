// SPDX-License-Identifier: BSD-2-Clause
// t/ev_ng_stream_cxx.cc - ev(3) "Streams: the loop does the I/O" from C++: the ev++.h wrappers
// ev::ng_stream and ev::ng_accept (set and start with the fd, recv, keep and release, send,
// send_ref, shutdown, the restart that set makes, the stop in the destructor), and a C++
// exception or a longjmp out of a stream's callback (ev(3) "Leaving the callback by longjmp or
// an exception"): the bytes not taken come in the next iteration, the queue stays as the callback
// left it and is sent.  On every backend.  libev-ng only, so apart from t/cxx_api.cc, which also
// builds against the real libev.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h" // EV_NG_SMALL
#include "ev++.h"
#include "harness.h"

static_assert (std::is_base_of<ev_ng_stream, ev::ng_stream>::value, "ng_stream is an ev_ng_stream");
static_assert (std::is_base_of<ev_ng_accept, ev::ng_accept>::value, "ng_accept is an ev_ng_accept");
static_assert (!std::is_copy_constructible<ev::ng_stream>::value, "ng_stream is not copyable");
static_assert (!std::is_convertible<struct ev_loop *, ev::ng_stream>::value, "ng_stream (loop) is explicit");

namespace {

void
pair (int sv[2])
{
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

ssize_t
read_some (int fd, void *buf, size_t n)
{
  return recv (fd, buf, n, MSG_DONTWAIT);
}

// An echo with a method callback: what arrives is sent back, one byte borrowed, the rest copied.
struct echo
{
  ev::ng_stream w;
  std::string got;
  int calls = 0, done_calls = 0;
  void *kept = nullptr;
  static echo *self;
  explicit echo (struct ev_loop *l) : w (l)
  {
    w.set<echo, &echo::on_event> (this);
    self = this;
  }
  static void
  done (struct ev_loop *, ev_ng_stream *, const void *data, size_t sent, int err)
  {
    assert_int_equal (err, 0);
    assert_int_equal (sent, 1);
    assert_memory_equal (data, "<", 1);
    ++self->done_calls;
  }
  void
  on_event (ev::ng_stream &s, int revents)
  {
    ++calls;
    assert_true (revents & EV_READ);
    const char *p;
    int n;
    while ((n = s.recv (p)) > 0)
      {
        got.append (p, static_cast<size_t> (n));
        assert_int_equal (s.send_ref ("<", 1, done), 0);
        assert_int_equal (s.send (p, static_cast<size_t> (n)), 0);
        if (!kept)
          kept = s.keep ();
      }
  }
};
echo *echo::self;

void
ev_ng_stream_cxx__ng_stream_wraps_recv_send_keep_and_shutdown (void **state)
{
  struct ev_loop *loop = static_cast<struct ev_loop *> (*state);
  int sv[2];
  char buf[32];
  pair (sv);
  {
    echo e (loop);
    assert_false (e.w.is_active ());
    e.w.start (sv[0]); // EV_READ by default
    assert_true (e.w.is_active ());
    assert_int_equal (e.w.events, EV_READ);
    assert_int_equal (write (sv[1], "abc", 3), 3);
    ev_run (loop, EVRUN_ONCE);
    assert_int_equal (e.calls, 1);
    assert_string_equal (e.got.c_str (), "abc");
    assert_int_equal (e.done_calls, 1);
    assert_int_equal (read_some (sv[1], buf, sizeof buf), 4);
    assert_memory_equal (buf, "<abc", 4);
    // the kept buffer still holds "abc" after the callback
    assert_non_null (e.kept);
    bool found = false;
    for (size_t off = 0; off < 128 && !found; ++off)
      found = std::memcmp (static_cast<char *> (e.kept) + off, "abc", 3) == 0;
    assert_true (found);
    e.w.release (e.kept);
    // shutdown after the queue: the peer reads the end
    assert_int_equal (e.w.shutdown (), 0);
    ev_run (loop, EVRUN_NOWAIT);
    assert_int_equal (read_some (sv[1], buf, sizeof buf), 0);
    errno = 0;
    assert_int_equal (e.w.send ("x", 1), -1);
    assert_int_equal (errno, EPIPE);
    // set restarts an active watcher: a new queue, sends allowed again
    e.w.set (sv[0], EV_READ | EV_WRITE);
    assert_true (e.w.is_active ());
    assert_int_equal (e.w.events, EV_READ | EV_WRITE);
    assert_int_equal (e.w.send ("y", 1), 0);
  } // the destructor stops it, which cancels nothing more: "y" was not sent yet
  ev_run (loop, EVRUN_NOWAIT);
  assert_true (read_some (sv[1], buf, sizeof buf) <= 0);
  close (sv[0]);
  close (sv[1]);
}

int accepted_fd = -1;

void
on_connection (ev::ng_accept &w, int revents)
{
  assert_int_equal (revents, EV_READ);
  int fd = w.take ();
  if (fd >= 0)
    accepted_fd = fd;
}

void
ev_ng_stream_cxx__ng_accept_hands_over_connections (void **state)
{
  struct ev_loop *loop = static_cast<struct ev_loop *> (*state);
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int l = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::memset (&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  assert_int_equal (bind (l, reinterpret_cast<struct sockaddr *> (&a), sizeof a), 0);
  assert_int_equal (listen (l, 4), 0);
  assert_int_equal (getsockname (l, reinterpret_cast<struct sockaddr *> (&a), &len), 0);
  {
    ev::ng_accept w (loop);
    w.set<on_connection> ();
    w.start (l);
    assert_true (w.is_active ());
    int c = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal (connect (c, reinterpret_cast<struct sockaddr *> (&a), sizeof a), 0);
    accepted_fd = -1;
    double give_up = harness_monotonic () + harness_slack (5.);
    while (accepted_fd < 0 && harness_monotonic () < give_up)
      ev_run (loop, EVRUN_ONCE);
    assert_true (accepted_fd >= 0);
    errno = 0;
    assert_int_equal (w.take (), -1); // outside the callback
    assert_int_equal (errno, EAGAIN);
    close (accepted_fd);
    close (c);
  }
  close (l);
}

// ---- leaving a stream's callback -----------------------------------------------------------------

enum class escape_by { exception, longjmp_ };
escape_by mode;
std::jmp_buf escape_point;
int escapes_left, calls;
size_t taken;

void
escaping_cb (struct ev_loop *loop, ev_ng_stream *w, int)
{
  const char *p;
  ++calls;
  int n = ev_ng_stream_recv (loop, w, &p);
  if (n > 0)
    taken += static_cast<size_t> (n);
  ev_ng_stream_send (loop, w, "s", 1);
  if (escapes_left && --escapes_left >= 0)
    {
      if (mode == escape_by::exception)
        throw std::runtime_error ("stream");
      std::longjmp (escape_point, 1);
    }
}

template <typename F>
bool
escaped (F f)
{
  if (mode == escape_by::exception)
    {
      try
        {
          f ();
        }
      catch (const std::runtime_error &e)
        {
          assert_string_equal (e.what (), "stream");
          return true;
        }
      return false;
    }
  if (setjmp (escape_point))
    return true;
  f ();
  return false;
}

void
leave_a_stream_callback (struct ev_loop *loop)
{
  int sv[2];
  static char data[40 * 1024];
  char buf[64];
  pair (sv);
  calls = 0;
  taken = 0;
  escapes_left = 1;
  ev_ng_stream w;
  ev_ng_stream_init (&w, escaping_cb, sv[0], EV_READ);
  ev_ng_stream_start (loop, &w);
  std::memset (data, 'd', sizeof data);
  assert_int_equal (write (sv[1], data, sizeof data), static_cast<ssize_t> (sizeof data));
  ev_sleep (0.01);
  assert_true (escaped ([loop] { ev_run (loop, 0); }));
  assert_int_equal (calls, 1);
  assert_true (taken > 0 && taken < sizeof data);
  assert_true (ev_is_active (&w));
  // the rest comes in the next iterations, and what the callbacks queued goes out
  double give_up = harness_monotonic () + harness_slack (10.);
  while (taken < sizeof data && harness_monotonic () < give_up)
    assert_false (escaped ([loop] { ev_run (loop, EVRUN_ONCE); }));
  assert_int_equal (taken, sizeof data);
  ssize_t n = read_some (sv[1], buf, sizeof buf);
  assert_int_equal (n, calls);
  ev_ng_stream_stop (loop, &w);
  close (sv[0]);
  close (sv[1]);
}

void
ev_ng_stream_cxx__exception_out_of_a_stream_callback (void **state)
{
  mode = escape_by::exception;
  leave_a_stream_callback (static_cast<struct ev_loop *> (*state));
}

void
ev_ng_stream_cxx__longjmp_out_of_a_stream_callback (void **state)
{
  mode = escape_by::longjmp_;
  leave_a_stream_callback (static_cast<struct ev_loop *> (*state));
}

} // namespace

int
main ()
{
#ifdef EV_NG_SMALL
  std::puts ("SKIP: a library built for size (configure --enable-small) has no streams' I/O");
  return 77;
#endif
  const struct CMUnitTest tests[] = {
    loop_test (ev_ng_stream_cxx__ng_stream_wraps_recv_send_keep_and_shutdown),
    loop_test (ev_ng_stream_cxx__ng_accept_hands_over_connections),
    loop_test (ev_ng_stream_cxx__exception_out_of_a_stream_callback),
    loop_test (ev_ng_stream_cxx__longjmp_out_of_a_stream_callback),
  };
  return HARNESS_RUN ("ev_ng_stream_cxx", tests);
}
