// SPDX-License-Identifier: BSD-2-Clause
// t/abi/use_all_cxx.cc - a C++ client of ev++.h's main classes.
//
// t/abi/header_warnings.sh compiles it with g++ and clang++ in every C++
// dialect (C++98 ... C++23) with -Wall -Wextra -Wpedantic -Werror, so that
// the wrapper stays warning-free wherever ev.h is.  It is written in C++98
// on purpose (no nullptr, no lambdas, no local classes as template
// arguments): the oldest dialect must compile the same text.  When linked
// with libev and run it exits 0 on success.
#include <ev++.h>

#include <csignal>
#include <unistd.h>

// a named namespace, not an anonymous one: C++98 accepts only functions
// with external linkage as template arguments (set<on_signal>)
namespace use_all {

int plain_calls;

// a plain function callback: set<function> ()
void on_signal (ev::sig &w, int revents)
{
  (void)revents;
  w.stop ();
  ++plain_calls;
}

// member-function callbacks: set<class, &class::method> (object)
struct handler
{
  int io_calls, async_calls;
  handler () : io_calls (0), async_calls (0) {}

  void on_io (ev::io &w, int revents)
  {
    if (revents & ev::WRITE)
      ++io_calls;
    w.stop ();
  }

  void on_async () { ++async_calls; }  // the no-argument variant
};

// a functor callback: set (&functor); a named type, as C++98 requires
struct stop_loop
{
  int calls;
  stop_loop () : calls (0) {}

  void operator () (ev::timer &w, int revents)
  {
    (void)revents;
    ++calls;
    w.loop.break_loop (ev::ALL);
  }
};

void once_cb (int revents) { (void)revents; ++plain_calls; }

} // namespace use_all

using namespace use_all;

int main ()
{
  int fds[2];
  if (pipe (fds))
    return 1;

  ev::default_loop loop (ev::AUTO);
  ev::dynamic_loop other;  // owned: destroyed with the object
  handler h;
  stop_loop functor;

  ev::io io (loop);
  io.set<handler, &handler::on_io> (&h);
  io.start (fds[1], ev::WRITE);

  ev::sig sig;  // the default loop, implicitly
  sig.set<on_signal> ();
  sig.start (SIGUSR1);

  ev::timer timer (loop);
  timer.set (&functor);
  timer.start (0.05);

  ev::async async (other);
  async.set<handler, &handler::on_async> (&h);
  async.start ();
  async.send ();

  loop.once<once_cb> (-1, 0, 0.);
  loop.feed_signal_event (SIGUSR1);
  loop.run ();
  other.run (ev::NOWAIT);

  if (h.io_calls != 1 || h.async_calls != 1 || functor.calls != 1 || plain_calls != 2
      || !loop.is_default () || other.is_default () || io.is_active () || timer.is_active ()
      || async.async_pending () || ev::now (loop) <= 0. || ev::version_major () != EV_VERSION_MAJOR)
    return 2;

  timer.again ();
  (void)timer.remaining ();
  timer.stop ();
  close (fds[0]);
  close (fds[1]);
  return 0;
}
