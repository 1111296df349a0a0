// SPDX-License-Identifier: BSD-2-Clause
// t/cxx_exceptions.cc - ev(3) "C++ SUPPORT" (exceptions) and ev_run's "mostly exception-safe":
// a C++ exception and a longjmp out of a watcher callback, through ev_run, under each backend.
// After the escape the loop is usable, ev_depth stays incremented (doc/semantics.md §4),
// the callback that escaped is no longer pending, and the rest of the interrupted pass stays
// queued and runs at the start of the next ev_run.  DESIGN.md ("Commit before callback") is
// why this works with a -fno-exceptions core: unwind tables, and all loop state committed
// before a callback.
#include <csetjmp>
#include <cstring>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "harness.h"

namespace {

enum class escape_by { exception, longjmp_ };

escape_by mode;
const char *escaper;   // name of the watcher whose callback escapes (nullptr: none)
std::jmp_buf escape_point;
std::string caught;    // what() of the exception, or "longjmp"
std::string thrown;    // the name visit() escaped from last

// Every callback of this file: trace the name, then escape if it is the chosen one.
void
visit (const char *name)
{
  trace_add ("%s", name);
  if (escaper && std::strcmp (name, escaper) == 0)
    {
      escaper = nullptr; // escape once
      thrown = name;
      if (mode == escape_by::exception)
        throw std::runtime_error (name);
      std::longjmp (escape_point, 1);
    }
}

void
idle_cb (struct ev_loop *, ev_idle *w, int)
{
  visit (static_cast<const char *> (w->data));
}

void
timer_cb (struct ev_loop *, ev_timer *w, int)
{
  visit (static_cast<const char *> (w->data));
}

void
io_cb (struct ev_loop *, ev_io *w, int)
{
  visit (static_cast<const char *> (w->data));
}

// Runs `f` (which enters the library) and reports whether a callback escaped from it.
// setjmp must be called in a frame that is still live at the longjmp: this one is.
template <typename F>
bool
escaped (F f)
{
  caught.clear ();
  if (mode == escape_by::exception)
    {
      try
        {
          f ();
        }
      catch (const std::runtime_error &e)
        {
          caught = e.what ();
          // the very exception the callback threw, not something of the library's
          assert_string_equal (caught.c_str (), thrown.c_str ());
          return true;
        }
      return false;
    }
  if (setjmp (escape_point) == 0)
    {
      f ();
      return false;
    }
  caught = "longjmp";
  return true;
}

void
init_idle (ev_idle *w, const char *name)
{
  ev_idle_init (w, idle_cb);
  w->data = const_cast<char *> (name);
}

void
init_timer (ev_timer *w, const char *name, ev_tstamp after, ev_tstamp repeat)
{
  ev_timer_init (w, timer_cb, after, repeat);
  w->data = const_cast<char *> (name);
}

// After an escape: the loop still works (a timer fires, ev_run returns normally).
void
expect_loop_usable (struct ev_loop *loop)
{
  ev_timer t;
  init_timer (&t, "after", 0.005, 0.);
  ev_timer_start (loop, &t);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("after");
  ev_verify (loop);
}

// ---- scenarios (each runs with an exception and with longjmp) --------------------------

void
fed_watchers (struct ev_loop *loop)
{
  ev_idle a, b, c;
  init_idle (&a, "A");
  init_idle (&b, "B");
  init_idle (&c, "C");
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_CUSTOM);
  ev_feed_event (loop, &c, EV_CUSTOM);
  escaper = "B";
  assert_true (escaped ([&] { ev_run (loop, 0); }));
  expect_trace ("C,B");
  // ev_depth is not decremented by an abnormal exit
  assert_int_equal (ev_depth (loop), 1);
  assert_false (ev_is_pending (&b));
  assert_false (ev_is_pending (&c));
  assert_true (ev_is_pending (&a));
  assert_true (ev_pending_count (loop) >= 1);
  // the rest of the pass runs first thing in the next ev_run
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("A");
  // a normal run increments and decrements: still 1
  assert_int_equal (ev_depth (loop), 1);
  expect_loop_usable (loop);
  assert_int_equal (ev_depth (loop), 1);
}

void
expired_timers (struct ev_loop *loop)
{
  ev_timer t0, t1, t2;
  init_timer (&t0, "T0", 0.001, 0.);
  init_timer (&t1, "T1", 0.002, 60.); // repeating: stays in the heap across the escape
  init_timer (&t2, "T2", 0.003, 0.);
  ev_timer_start (loop, &t0);
  ev_timer_start (loop, &t1);
  ev_timer_start (loop, &t2);
  ev_sleep (0.01); // all three expire in one iteration
  escaper = "T1";
  assert_true (escaped ([&] { ev_run (loop, 0); }));
  expect_trace ("T0,T1");
  assert_int_equal (ev_depth (loop), 1);
  assert_true (ev_is_active (&t1));
  assert_false (ev_is_pending (&t1));
  assert_true (ev_is_pending (&t2));
  ev_verify (loop);
  ev_timer_stop (loop, &t1);
  assert_int_equal (ev_run (loop, 0), 0);
  expect_trace ("T2");
  expect_loop_usable (loop);
}

void
io_watchers (struct ev_loop *loop)
{
  int p[2];
  ev_io x, y;
  assert_int_equal (pipe (p), 0);
  assert_int_equal (write (p[1], "x", 1), 1);
  ev_io_init (&x, io_cb, p[0], EV_READ);
  x.data = const_cast<char *> ("X");
  ev_io_init (&y, io_cb, p[0], EV_READ);
  y.data = const_cast<char *> ("Y");
  ev_io_start (loop, &x);
  ev_io_start (loop, &y);
  escaper = "X";
  assert_true (escaped ([&] { ev_run (loop, EVRUN_NOWAIT); }));
  expect_trace ("X");
  assert_int_equal (ev_depth (loop), 1);
  assert_true (ev_is_pending (&y));
  // Y first (left over), then a fresh poll reports the still-readable pipe to both
  ev_run (loop, EVRUN_NOWAIT);
  expect_trace ("Y,X,Y");
  ev_io_stop (loop, &x);
  ev_io_stop (loop, &y);
  close (p[0]);
  close (p[1]);
  expect_loop_usable (loop);
}

void
direct_invoke_pending (struct ev_loop *loop)
{
  ev_idle a, b, c;
  init_idle (&a, "A");
  init_idle (&b, "B");
  init_idle (&c, "C");
  ev_feed_event (loop, &a, EV_CUSTOM);
  ev_feed_event (loop, &b, EV_CUSTOM);
  ev_feed_event (loop, &c, EV_CUSTOM);
  escaper = "B";
  assert_true (escaped ([&] { ev_invoke_pending (loop); }));
  expect_trace ("C,B");
  assert_int_equal (ev_depth (loop), 0); // not inside ev_run
  assert_true (ev_is_pending (&a));
  ev_invoke_pending (loop);
  expect_trace ("A");
  // ev_invoke: the callback's escape goes straight through
  escaper = "A";
  assert_true (escaped ([&] { ev_invoke (loop, &a, EV_CUSTOM); }));
  expect_trace ("A");
  assert_false (ev_is_pending (&a));
  expect_loop_usable (loop);
}

ev_timer nest_inner;
int depth_after_inner_escape;
bool inner_escaped;

void
breaking_inner_cb (struct ev_loop *loop, ev_timer *, int)
{
  ev_break (loop, EVBREAK_ONE);
  visit ("inner");
}

void
nesting_outer_cb (struct ev_loop *loop, ev_timer *, int)
{
  trace_add ("outer");
  ev_timer_init (&nest_inner, breaking_inner_cb, 0., 0.);
  ev_timer_start (loop, &nest_inner);
  escaper = "inner";
  inner_escaped = escaped ([&] { ev_run (loop, 0); });
  depth_after_inner_escape = static_cast<int> (ev_depth (loop));
}

void
nested_run (struct ev_loop *loop)
{
  ev_timer outer, guard;
  ev_timer_init (&outer, nesting_outer_cb, 0., 0.);
  init_timer (&guard, "guard", 30., 0.);
  ev_timer_start (loop, &outer);
  ev_timer_start (loop, &guard);
  double start = harness_monotonic ();
  // The inner run is left by the escape: its depth increment stays, and its EVBREAK_ONE is
  // not cleared, so the outer run also stops after this pass (guard still active).
  assert_int_equal (ev_run (loop, 0), 1);
  assert_true (harness_monotonic () - start < 10.);
  assert_true (inner_escaped);
  expect_trace ("outer,inner");
  assert_int_equal (depth_after_inner_escape, 2);
  assert_int_equal (ev_depth (loop), 1);
  ev_timer_stop (loop, &guard);
  expect_loop_usable (loop);
}

// ---- tests ------------------------------------------------------------------------------

#define BOTH_WAYS(scenario)                                                         \
  void cxx_exceptions__exception_##scenario (void **state)                         \
  {                                                                                 \
    mode = escape_by::exception;                                                    \
    scenario (static_cast<struct ev_loop *> (*state));                              \
  }                                                                                 \
  void cxx_exceptions__longjmp_##scenario (void **state)                           \
  {                                                                                 \
    mode = escape_by::longjmp_;                                                     \
    scenario (static_cast<struct ev_loop *> (*state));                              \
  }

BOTH_WAYS (fed_watchers)
BOTH_WAYS (expired_timers)
BOTH_WAYS (io_watchers)
BOTH_WAYS (direct_invoke_pending)
BOTH_WAYS (nested_run)

} // namespace

int
main ()
{
  const struct CMUnitTest tests[] = {
    loop_test (cxx_exceptions__exception_fed_watchers),
    loop_test (cxx_exceptions__longjmp_fed_watchers),
    loop_test (cxx_exceptions__exception_expired_timers),
    loop_test (cxx_exceptions__longjmp_expired_timers),
    loop_test (cxx_exceptions__exception_io_watchers),
    loop_test (cxx_exceptions__longjmp_io_watchers),
    loop_test (cxx_exceptions__exception_direct_invoke_pending),
    loop_test (cxx_exceptions__longjmp_direct_invoke_pending),
    loop_test (cxx_exceptions__exception_nested_run),
    loop_test (cxx_exceptions__longjmp_nested_run),
  };
  return HARNESS_RUN ("cxx_exceptions", tests);
}
