/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ev++.h - the C++ wrapper of libev-ng (namespace ev), header-only.
 *
 * Written from scratch from the "C++ SUPPORT" section of ev(3) and the
 * recorded API facts of libev 4.33's wrapper; it is source compatible with
 * it.  Everything here is inline, so whatever it throws (ev::bad_loop) is
 * thrown by code compiled into the user's program, never by libev.so.
 *
 * What it adds to the C API:
 *   - ev::loop_ref, a copyable handle of a struct ev_loop *, with the loop
 *     functions as methods; ev::default_loop and ev::dynamic_loop create the
 *     loop and throw ev::bad_loop when that fails (dynamic_loop also destroys
 *     it again);
 *   - one class per watcher type (ev::io, ev::timer, ..., ev::sig for
 *     ev_signal).  Each derives from its C struct, so it can be handed to any
 *     ev_* function, and adds only the loop it belongs to.  Callbacks are
 *     plain functions, methods or functors, reached through generated
 *     "thunks" that have the C callback signature.
 *
 * Compatibility notes (libev 4.33 behaviour kept on purpose, see
 * doc/semantics.md §22):
 *   - ev::embed::start (loop) rebinds the wrapper to LOOP (like set (loop))
 *     and embeds whatever "other" already holds; set_embed () is the setter
 *     of the embedded loop;
 *   - loop_ref == struct ev_loop * is ambiguous (the implicit conversions
 *     both ways are part of the API), compare two loop_refs instead;
 *   - the reconfiguring set (args...) methods stop and restart an active
 *     watcher (which also drops a pending event); set () without arguments
 *     and the callback setters leave the watcher alone;
 *   - the constructor runs ev_init only: "data" stays uninitialised until a
 *     callback setter stores something there.
 *
 * Where libev 4.33's wrapper is defective, the documented API works here
 * (extensions: a program that compiled with libev 4.33's wrapper compiles and
 * behaves the same):
 *   - w () / w (revents) invokes the watcher's callback (libev declares the
 *     operator but its body does not compile);
 *   - w.set (&functor) accepts any class object callable as
 *     (watcher &, int), e.g. a const operator () or a lambda, and only
 *     class pointers select it (libev's unconstrained template captured
 *     ev::stat::set (char *path), which then failed to compile);
 *   - loop.once (fd, events, timeout, &functor) is constrained the same way.
 *
 * Dialects: C++98 ... C++23, warning-free with -Wall -Wextra -Wpedantic
 * (t/abi/header_warnings.sh compiles t/abi/use_all_cxx.cc in each).  The
 * libev manual's C++ API asks for nothing newer than C++98, so the few
 * C++11 spellings used here go through helpers that fall back to their
 * C++98 equivalents: EV_NOEXCEPT (ev.h's documented macro: noexcept, or
 * nothing before C++11, as libev's) for noexcept, and the private EVPP_*
 * macros below for nullptr, override, "= delete", std::enable_if/
 * std::is_class and the exception specification of an override of
 * std::exception::what ().
 * From C++11 on they expand to exactly the C++11 declarations.
 */
#ifndef EVPP_H_
#define EVPP_H_

#ifndef __cplusplus
# error "ev++.h is C++ (C++98 or later); use ev.h from C"
#endif

/* EV_H: another name for ev.h, for programs that embed and rename it (ev(3),
 * "PREPROCESSOR SYMBOLS/MACROS") */
#ifdef EV_H
# include EV_H
#else
# include "ev.h"
#endif

#if __cplusplus >= 201103L
# include <type_traits>
#endif

/* ev::bad_loop derives from std::exception unless this is set to 0 */
#ifndef EV_USE_STDEXCEPT
# define EV_USE_STDEXCEPT 1
#endif

#if EV_USE_STDEXCEPT
# include <exception>
#endif

/* C++11 spellings and their C++98 fallbacks, #undef'd at the end of this
 * header like the loop helpers below:
 *   EVPP_NULLPTR         nullptr, or 0 (a null pointer constant in C++98)
 *   EVPP_OVERRIDE        override, or nothing
 *   EVPP_NOTHROW         noexcept, or throw (): std::exception::what () is
 *                        declared throw () in C++98, and an override may not
 *                        be looser
 *   EVPP_CLASS_ONLY(K)   "void if K is a class", see its definition below
 *   EVPP_NO_COPY(cls)    deleted copy constructor and assignment; before
 *                        C++11 they are declared private and never defined
 *                        (the classic idiom: a copy fails to compile, or to
 *                        link from inside the class).  Use it only where
 *                        "public:" may follow. */
#if __cplusplus >= 201103L
# define EVPP_NULLPTR  nullptr
# define EVPP_OVERRIDE override
# define EVPP_NOTHROW  noexcept
# define EVPP_NO_COPY(cls)                                                    \
  cls (const cls &) = delete;                                                 \
  cls &operator = (const cls &) = delete;
#else
# define EVPP_NULLPTR  0
# define EVPP_OVERRIDE
# define EVPP_NOTHROW  throw ()
# define EVPP_NO_COPY(cls)                                                    \
private:                                                                      \
  cls (const cls &);                                                          \
  cls &operator = (const cls &);                                              \
public:
#endif

/* How the wrapper passes the loop to the C functions.  These helpers are
 * #undef'd at the end of this header, so they never reach the user:
 *   EVPP_THUNK_LOOP_   the (unused) loop parameter of a C watcher callback
 *   EVPP_REF_LOOP(_)   inside loop_ref: its own raw pointer
 *   EVPP_W_LOOP(_)     inside a watcher: the loop it is bound to */
#if EV_MULTIPLICITY
# define EVPP_THUNK_LOOP_ struct ev_loop *,
# define EVPP_REF_LOOP    raw_loop
# define EVPP_REF_LOOP_   raw_loop,
# define EVPP_W_LOOP      this->loop.raw_loop
# define EVPP_W_LOOP_     this->loop.raw_loop,
#else
# define EVPP_THUNK_LOOP_
# define EVPP_REF_LOOP
# define EVPP_REF_LOOP_
# define EVPP_W_LOOP
# define EVPP_W_LOOP_
#endif

namespace ev {

typedef ev_tstamp tstamp;

/* the event bits, as ev.h's EV_* (TIMEOUT is the libev 3 name of TIMER) */
enum {
  UNDEF    = EV_UNDEF,
  NONE     = EV_NONE,
  READ     = EV_READ,
  WRITE    = EV_WRITE,
  TIMEOUT  = EV_TIMER,
  TIMER    = EV_TIMER,
  PERIODIC = EV_PERIODIC,
  SIGNAL   = EV_SIGNAL,
  CHILD    = EV_CHILD,
  STAT     = EV_STAT,
  IDLE     = EV_IDLE,
  CHECK    = EV_CHECK,
  PREPARE  = EV_PREPARE,
  FORK     = EV_FORK,
  ASYNC    = EV_ASYNC,
  EMBED    = EV_EMBED,
  ERROR    = EV_ERROR
};

/* loop creation flags and backends, one (unsigned) enum so that they can be
 * or-ed together without mixing enumeration types */
enum {
  AUTO      = EVFLAG_AUTO,
  NOENV     = EVFLAG_NOENV,
  FORKCHECK = EVFLAG_FORKCHECK,

  SELECT    = EVBACKEND_SELECT,
  POLL      = EVBACKEND_POLL,
  EPOLL     = EVBACKEND_EPOLL,
  KQUEUE    = EVBACKEND_KQUEUE,
  DEVPOLL   = EVBACKEND_DEVPOLL,
  PORT      = EVBACKEND_PORT
};

/* run flags (NONBLOCK and ONESHOT are the libev 3 names) */
enum {
  NONBLOCK = EVRUN_NOWAIT,
  ONESHOT  = EVRUN_ONCE,
  NOWAIT   = EVRUN_NOWAIT,
  ONCE     = EVRUN_ONCE
};

/* how far loop_ref::break_loop breaks */
enum how_t {
  ONE = EVBREAK_ONE,
  ALL = EVBREAK_ALL
};

/* thrown when a loop cannot be created: none of the requested backends works
 * (often because LIBEV_FLAGS in the environment asks for an impossible one) */
struct bad_loop
#if EV_USE_STDEXCEPT
  : std::exception
#endif
{
#if EV_USE_STDEXCEPT
  const char *what () const EVPP_NOTHROW EVPP_OVERRIDE
#else
  const char *what () const EVPP_NOTHROW
#endif
  {
    return "ev::bad_loop: the event loop could not be created, no requested backend is usable "
           "(check the flags and the LIBEV_FLAGS environment variable)";
  }
};

/* EVPP_CLASS_ONLY(K): the return type "void, if K is a class type" (and a
 * substitution failure otherwise), the SFINAE constraint that lets only
 * class pointers select the functor callback setters.  C++11 spells it with
 * std::enable_if and std::is_class; C++98 has neither, so detail::class_only
 * builds the same from "int K::*", a valid type only for classes (and
 * unions, which cannot have a useful operator () for a watcher anyway). */
#if __cplusplus >= 201103L
# define EVPP_CLASS_ONLY(K) typename std::enable_if<std::is_class<K>::value>::type
#else
# define EVPP_CLASS_ONLY(K) typename detail::class_only<K>::type

namespace detail {

template<class K>
struct is_class_
{
  template<class U> static char test (int U::*);
  template<class U> static char (&test (...))[2];
  static const bool value = sizeof (test<K> (0)) == 1;
};

template<bool is_class> struct class_only_ { };
template<> struct class_only_<true> { typedef void type; };

template<class K>
struct class_only : class_only_<is_class_<K>::value>
{
};

} /* namespace detail */
#endif

/*==========================================================================*/
/* loops                                                                    */
/*==========================================================================*/

/* a non-owning, copyable handle of a loop */
struct loop_ref
{
#if EV_MULTIPLICITY
  /* implicit on purpose: every struct ev_loop * is usable as a loop_ref */
  loop_ref (struct ev_loop *l) EV_NOEXCEPT
  : raw_loop (l)
  {
  }

  bool operator == (const loop_ref &other) const EV_NOEXCEPT { return raw_loop == other.raw_loop; }
  bool operator != (const loop_ref &other) const EV_NOEXCEPT { return raw_loop != other.raw_loop; }

  /* and every loop_ref as a struct ev_loop * (for the C functions); with
   * the constructor above this makes "ref == raw pointer" ambiguous, as in
   * libev 4.33 */
  operator struct ev_loop * () const EV_NOEXCEPT { return raw_loop; }
#else
  loop_ref () EV_NOEXCEPT {}

  bool operator == (const loop_ref &) const EV_NOEXCEPT { return true; }
  bool operator != (const loop_ref &) const EV_NOEXCEPT { return false; }
#endif

  bool is_default () const EV_NOEXCEPT { return ev_is_default_loop (EVPP_REF_LOOP) != 0; }

  /* may throw whatever a watcher callback throws */
  void run (int flags = 0) { ev_run (EVPP_REF_LOOP_ flags); }
  void loop (int flags = 0) { run (flags); } /* libev 3 name */

  void break_loop (how_t how = ONE) EV_NOEXCEPT { ev_break (EVPP_REF_LOOP_ how); }
  void unloop (how_t how = ONE) EV_NOEXCEPT { break_loop (how); } /* libev 3 name */

  /* ev_loop_fork: call in the child after fork () */
  void post_fork () EV_NOEXCEPT { ev_loop_fork (EVPP_REF_LOOP); }

  unsigned int backend () const EV_NOEXCEPT { return ev_backend (EVPP_REF_LOOP); }
  tstamp now () const EV_NOEXCEPT { return ev_now (EVPP_REF_LOOP); }

  void ref () EV_NOEXCEPT { ev_ref (EVPP_REF_LOOP); }
  void unref () EV_NOEXCEPT { ev_unref (EVPP_REF_LOOP); }

  unsigned int iteration () const EV_NOEXCEPT { return ev_iteration (EVPP_REF_LOOP); }
  unsigned int depth () const EV_NOEXCEPT { return ev_depth (EVPP_REF_LOOP); }

  void set_io_collect_interval (tstamp interval) EV_NOEXCEPT
  {
    ev_set_io_collect_interval (EVPP_REF_LOOP_ interval);
  }

  void set_timeout_collect_interval (tstamp interval) EV_NOEXCEPT
  {
    ev_set_timeout_collect_interval (EVPP_REF_LOOP_ interval);
  }

  /* ev_once in its five C++ flavours; the callback gets the revents */

  /* a C-style function with its argument */
  void once (int fd, int events, tstamp timeout, void (*cb)(int, void *), void *arg = EVPP_NULLPTR) EV_NOEXCEPT
  {
    ev_once (EVPP_REF_LOOP_ fd, events, timeout, cb, arg);
  }

  /* a method (int revents) of OBJECT */
  template<class K, void (K::*method)(int)>
  void once (int fd, int events, tstamp timeout, K *object) EV_NOEXCEPT
  {
    once (fd, events, timeout, method_thunk<K, method>, object);
  }

  /* a functor: (*object) (revents) */
  template<class K>
  EVPP_CLASS_ONLY (K)
  once (int fd, int events, tstamp timeout, K *object) EV_NOEXCEPT
  {
    once (fd, events, timeout, functor_thunk<K>, object);
  }

  /* a method without arguments of OBJECT */
  template<class K, void (K::*method)()>
  void once (int fd, int events, tstamp timeout, K *object) EV_NOEXCEPT
  {
    once (fd, events, timeout, method_noargs_thunk<K, method>, object);
  }

  /* a plain function (int revents) */
  template<void (*cb)(int)>
  void once (int fd, int events, tstamp timeout) EV_NOEXCEPT
  {
    once (fd, events, timeout, simpler_func_thunk<cb>);
  }

  /* a plain function without arguments */
  template<void (*cb)()>
  void once (int fd, int events, tstamp timeout) EV_NOEXCEPT
  {
    once (fd, events, timeout, simplest_func_thunk<cb>);
  }

  void feed_fd_event (int fd, int revents) EV_NOEXCEPT { ev_feed_fd_event (EVPP_REF_LOOP_ fd, revents); }
#if EV_SIGNAL_ENABLE
  void feed_signal_event (int signum) EV_NOEXCEPT { ev_feed_signal_event (EVPP_REF_LOOP_ signum); }
#endif

#if EV_MULTIPLICITY
  struct ev_loop *raw_loop; /* the loop itself (public, as in libev) */
#endif

private:
  /* the ev_once callbacks: not noexcept, a user callback may throw through
   * ev_run */
  template<class K, void (K::*method)(int)>
  static void method_thunk (int revents, void *arg)
  {
    (static_cast<K *> (arg)->*method) (revents);
  }

  template<class K>
  static void functor_thunk (int revents, void *arg)
  {
    (*static_cast<K *> (arg)) (revents);
  }

  template<class K, void (K::*method)()>
  static void method_noargs_thunk (int, void *arg)
  {
    (static_cast<K *> (arg)->*method) ();
  }

  template<void (*cb)(int)>
  static void simpler_func_thunk (int revents, void *)
  {
    cb (revents);
  }

  template<void (*cb)()>
  static void simplest_func_thunk (int, void *)
  {
    cb ();
  }
};

/* the default loop (the only one that handles ev::child); the object is a
 * handle, the loop outlives it */
struct default_loop : loop_ref
{
  default_loop (unsigned int flags = AUTO)
#if EV_MULTIPLICITY
  : loop_ref (ev_default_loop (flags))
  {
    if (!raw_loop)
      throw bad_loop ();
  }
#else
  {
    if (!ev_default_loop (flags))
      throw bad_loop ();
  }
#endif

  EVPP_NO_COPY (default_loop)
};

#if EV_MULTIPLICITY
/* a new loop, owned by this object: destroyed with it */
struct dynamic_loop : loop_ref
{
  dynamic_loop (unsigned int flags = AUTO)
  : loop_ref (ev_loop_new (flags))
  {
    if (!raw_loop)
      throw bad_loop ();
  }

  /* ev_loop_destroy runs pending watchers: a callback that throws here ends
   * in std::terminate, as with libev */
  ~dynamic_loop ()
  {
    ev_loop_destroy (raw_loop);
    raw_loop = EVPP_NULLPTR;
  }

  EVPP_NO_COPY (dynamic_loop)
};
#endif

/*==========================================================================*/
/* global functions                                                         */
/*==========================================================================*/

#if EV_MULTIPLICITY
inline tstamp now (struct ev_loop *l) EV_NOEXCEPT { return ev_now (l); }
#else
inline tstamp now () EV_NOEXCEPT { return ev_now (); }
#endif

inline void delay (tstamp interval) EV_NOEXCEPT { ev_sleep (interval); }

inline int version_major () EV_NOEXCEPT { return ev_version_major (); }
inline int version_minor () EV_NOEXCEPT { return ev_version_minor (); }

inline unsigned int supported_backends () EV_NOEXCEPT { return ev_supported_backends (); }
inline unsigned int recommended_backends () EV_NOEXCEPT { return ev_recommended_backends (); }
inline unsigned int embeddable_backends () EV_NOEXCEPT { return ev_embeddable_backends (); }

/* The callbacks are noexcept function pointers, as in ev.h.  Before C++17, -Wall warns
 * that the mangled names of these two will change in C++17; for inline functions that is
 * harmless (every translation unit has its own copy), so the warning is silenced here. */
#if __cplusplus < 201703L
# if defined __clang__
#  pragma clang diagnostic push
#  pragma clang diagnostic ignored "-Wc++17-compat-mangling"
# elif defined __GNUC__
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Wnoexcept-type"
# endif
#endif
inline void set_allocator (void *(*cb)(void *ptr, long size) EV_NOEXCEPT) EV_NOEXCEPT { ev_set_allocator (cb); }
inline void set_syserr_cb (void (*cb)(const char *msg) EV_NOEXCEPT) EV_NOEXCEPT { ev_set_syserr_cb (cb); }
#if __cplusplus < 201703L
# if defined __clang__
#  pragma clang diagnostic pop
# elif defined __GNUC__
#  pragma GCC diagnostic pop
# endif
#endif

/* the default loop, created on first use */
inline loop_ref get_default_loop () EV_NOEXCEPT
{
#if EV_MULTIPLICITY
  return ev_default_loop (0);
#else
  ev_default_loop (0);
  return loop_ref ();
#endif
}

/*==========================================================================*/
/* watchers                                                                 */
/*==========================================================================*/

/* start/stop per C watcher type, so that base can start, stop and destroy
 * any watcher without knowing its wrapper class */
namespace detail {

#if EV_MULTIPLICITY
# define EVPP_START_STOP(type)                                                                             \
  inline void start_ (struct ev_loop *l, ev_##type *w) EV_NOEXCEPT { ev_##type##_start (l, w); }           \
  inline void stop_ (struct ev_loop *l, ev_##type *w) EV_NOEXCEPT { ev_##type##_stop (l, w); }
#else
# define EVPP_START_STOP(type)                                                                              \
  inline void start_ (ev_##type *w) EV_NOEXCEPT { ev_##type##_start (w); }                                  \
  inline void stop_ (ev_##type *w) EV_NOEXCEPT { ev_##type##_stop (w); }
#endif

EVPP_START_STOP (io)
EVPP_START_STOP (timer)
#if EV_PERIODIC_ENABLE
EVPP_START_STOP (periodic)
#endif
#if EV_SIGNAL_ENABLE
EVPP_START_STOP (signal)
#endif
#if EV_CHILD_ENABLE
EVPP_START_STOP (child)
#endif
#if EV_STAT_ENABLE
EVPP_START_STOP (stat)
#endif
#if EV_IDLE_ENABLE
EVPP_START_STOP (idle)
#endif
#if EV_PREPARE_ENABLE
EVPP_START_STOP (prepare)
#endif
#if EV_CHECK_ENABLE
EVPP_START_STOP (check)
#endif
#if EV_EMBED_ENABLE
EVPP_START_STOP (embed)
#endif
#if EV_FORK_ENABLE
EVPP_START_STOP (fork)
#endif
#if EV_ASYNC_ENABLE
EVPP_START_STOP (async)
#endif
#ifdef EV_NG_FEATURE_STREAM
/* (a completion that throws from the stop a destructor makes ends in std::terminate) */
EVPP_START_STOP (ng_stream)
EVPP_START_STOP (ng_accept)
#endif

#undef EVPP_START_STOP

} /* namespace detail */

/* what every wrapper has: CWATCHER is the C struct it derives from, WATCHER
 * the wrapper class itself (the callbacks receive a WATCHER &) */
template<class cwatcher, class watcher>
struct base : cwatcher
{
#if EV_MULTIPLICITY
  loop_ref loop; /* the loop this watcher is started in */

  explicit base (struct ev_loop *l) EV_NOEXCEPT
  : loop (l)
  {
    cwatcher *self = this;
    ev_init (self, EVPP_NULLPTR);
  }

  /* rebind to another loop; only while the watcher is stopped (and not
   * pending) */
  void set (struct ev_loop *l) EV_NOEXCEPT { loop = l; }
#else
  base () EV_NOEXCEPT
  {
    cwatcher *self = this;
    ev_init (self, EVPP_NULLPTR);
  }
#endif

  /* an active watcher must never be freed: stop it (this also drops an
   * event that is still pending) */
  ~base () { stop (); }

  EVPP_NO_COPY (base)

  void start () EV_NOEXCEPT { detail::start_ (EVPP_W_LOOP_ c_watcher ()); }
  void stop () EV_NOEXCEPT { detail::stop_ (EVPP_W_LOOP_ c_watcher ()); }

  bool is_active () const EV_NOEXCEPT { return ev_is_active (c_watcher ()) != 0; }
  bool is_pending () const EV_NOEXCEPT { return ev_is_pending (c_watcher ()) != 0; }

  void feed_event (int revents) EV_NOEXCEPT { ev_feed_event (EVPP_W_LOOP_ c_watcher (), revents); }

  /* invoke the callback now, as the loop would (an extension: libev 4.33
   * declares this operator, but its definition does not compile) */
  void operator () (int events = EV_UNDEF) { this->cb (EVPP_W_LOOP_ c_watcher (), events); }

  /* callback: a function (watcher &w, int revents); USER_DATA goes to w.data */
  template<void (*function)(watcher &w, int)>
  void set (void *user_data = EVPP_NULLPTR) EV_NOEXCEPT
  {
    set_ (user_data, function_thunk<function>);
  }

  /* callback: OBJECT->METHOD (watcher &w, int revents); OBJECT goes to data */
  template<class K, void (K::*method)(watcher &w, int)>
  void set (K *object) EV_NOEXCEPT
  {
    set_ (object, method_thunk<K, method>);
  }

  /* callback: (*OBJECT) (watcher &w, int revents); OBJECT goes to data.
   * Only class types qualify, so that e.g. stat::set (char *) still picks
   * the path setter. */
  template<class K>
  EVPP_CLASS_ONLY (K)
  set (K *object) EV_NOEXCEPT
  {
    set_ (object, functor_thunk<K>);
  }

  /* callback: OBJECT->METHOD () without arguments; OBJECT goes to data */
  template<class K, void (K::*method)()>
  void set (K *object) EV_NOEXCEPT
  {
    set_ (object, method_noargs_thunk<K, method>);
  }

protected:
  /* stops an active watcher for the lifetime of the guard, to reconfigure
   * it, and starts it again afterwards */
  struct restart_guard
  {
    explicit restart_guard (base &w) EV_NOEXCEPT
    : w_ (w), active_ (w.is_active ())
    {
      if (active_)
        w_.stop ();
    }

    ~restart_guard ()
    {
      if (active_)
        w_.start ();
    }

    EVPP_NO_COPY (restart_guard)

  private:
    base &w_;
    bool active_;
  };

  cwatcher *c_watcher () EV_NOEXCEPT { return this; }
  const cwatcher *c_watcher () const EV_NOEXCEPT { return this; }

private:
  typedef void (*c_callback) (EVPP_THUNK_LOOP_ cwatcher *w, int revents);

  void set_ (void *user_data, c_callback thunk) EV_NOEXCEPT
  {
    this->data = user_data;
    ev_set_cb (c_watcher (), thunk);
  }

  /* the thunks have the C callback signature; not noexcept: exceptions of
   * user callbacks propagate out of ev_run */
  template<void (*function)(watcher &w, int)>
  static void function_thunk (EVPP_THUNK_LOOP_ cwatcher *w, int revents)
  {
    function (*static_cast<watcher *> (w), revents);
  }

  template<class K, void (K::*method)(watcher &w, int)>
  static void method_thunk (EVPP_THUNK_LOOP_ cwatcher *w, int revents)
  {
    (static_cast<K *> (w->data)->*method) (*static_cast<watcher *> (w), revents);
  }

  template<class K>
  static void functor_thunk (EVPP_THUNK_LOOP_ cwatcher *w, int revents)
  {
    (*static_cast<K *> (w->data)) (*static_cast<watcher *> (w), revents);
  }

  template<class K, void (K::*method)()>
  static void method_noargs_thunk (EVPP_THUNK_LOOP_ cwatcher *w, int)
  {
    (static_cast<K *> (w->data)->*method) ();
  }
};

/* The constructor of every wrapper: the loop defaults to the default loop
 * (created on demand). */
#if EV_MULTIPLICITY
# define EVPP_CONSTRUCTOR(type, ctype)                                           \
  explicit type (struct ev_loop *l = get_default_loop ()) EV_NOEXCEPT            \
  : base<ctype, type> (l)                                                        \
  {                                                                              \
  }
#else
# define EVPP_CONSTRUCTOR(type, ctype)                                        \
  type () EV_NOEXCEPT {}
#endif

/* an ev_io: readiness of a file descriptor */
struct io : base<ev_io, io>
{
  using base<ev_io, io>::set;
  using base<ev_io, io>::start;

  EVPP_CONSTRUCTOR (io, ev_io)

  void set (int fd_, int events_) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_io_set (c_watcher (), fd_, events_);
  }

  /* a new event mask only (ev_io_modify) */
  void set (int events_) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_io_modify (c_watcher (), events_);
  }

  void start (int fd_, int events_) EV_NOEXCEPT
  {
    set (fd_, events_);
    start ();
  }
};

/* an ev_timer: relative timeout, optionally repeating */
struct timer : base<ev_timer, timer>
{
  using base<ev_timer, timer>::set;
  using base<ev_timer, timer>::start;

  EVPP_CONSTRUCTOR (timer, ev_timer)

  void set (tstamp after, tstamp repeat_ = 0.) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_timer_set (c_watcher (), after, repeat_);
  }

  void start (tstamp after, tstamp repeat_ = 0.) EV_NOEXCEPT
  {
    set (after, repeat_);
    start ();
  }

  void again () EV_NOEXCEPT { ev_timer_again (EVPP_W_LOOP_ c_watcher ()); }

  tstamp remaining () { return ev_timer_remaining (EVPP_W_LOOP_ c_watcher ()); }
};

#if EV_PERIODIC_ENABLE
/* an ev_periodic: wall-clock time (AT, repeating every INTERVAL if > 0) */
struct periodic : base<ev_periodic, periodic>
{
  using base<ev_periodic, periodic>::set;
  using base<ev_periodic, periodic>::start;

  EVPP_CONSTRUCTOR (periodic, ev_periodic)

  void set (tstamp at_, tstamp interval_ = 0.) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_periodic_set (c_watcher (), at_, interval_, EVPP_NULLPTR);
  }

  void start (tstamp at_, tstamp interval_ = 0.) EV_NOEXCEPT
  {
    set (at_, interval_);
    start ();
  }

  void again () EV_NOEXCEPT { ev_periodic_again (EVPP_W_LOOP_ c_watcher ()); }
};
#endif

#if EV_SIGNAL_ENABLE
/* an ev_signal (named sig: "signal" is a macro on some systems) */
struct sig : base<ev_signal, sig>
{
  using base<ev_signal, sig>::set;
  using base<ev_signal, sig>::start;

  EVPP_CONSTRUCTOR (sig, ev_signal)

  void set (int signum_) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_signal_set (c_watcher (), signum_);
  }

  void start (int signum_) EV_NOEXCEPT
  {
    set (signum_);
    start ();
  }
};
#endif

#if EV_CHILD_ENABLE
/* an ev_child: status changes of PID (0: any child); default loop only */
struct child : base<ev_child, child>
{
  using base<ev_child, child>::set;
  using base<ev_child, child>::start;

  EVPP_CONSTRUCTOR (child, ev_child)

  void set (int pid_, int trace = 0) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_child_set (c_watcher (), pid_, trace);
  }

  void start (int pid_, int trace = 0) EV_NOEXCEPT
  {
    set (pid_, trace);
    start ();
  }
};
#endif

#if EV_STAT_ENABLE
/* an ev_stat: attribute changes of PATH (which must outlive the watcher) */
struct stat : base<ev_stat, stat>
{
  using base<ev_stat, stat>::set;
  using base<ev_stat, stat>::start;

  EVPP_CONSTRUCTOR (stat, ev_stat)

  void set (const char *path_, tstamp interval_ = 0.) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_stat_set (c_watcher (), path_, interval_);
  }

  /* stops first (libev 4.33 does the same), then configures and starts */
  void start (const char *path_, tstamp interval_ = 0.) EV_NOEXCEPT
  {
    stop ();
    set (path_, interval_);
    start ();
  }

  /* refresh attr now (ev_stat_stat) */
  void update () EV_NOEXCEPT { ev_stat_stat (EVPP_W_LOOP_ c_watcher ()); }
};
#endif

/* the watchers without parameters: set () exists and changes nothing */
#define EVPP_SIMPLE_WATCHER(type)                                                \
  struct type : base<ev_##type, type>                                            \
  {                                                                              \
    using base<ev_##type, type>::set;                                            \
                                                                                 \
    EVPP_CONSTRUCTOR (type, ev_##type)                                           \
                                                                                 \
    void set () EV_NOEXCEPT {}                                                   \
  };

#if EV_IDLE_ENABLE
/* an ev_idle: runs when nothing of equal or higher priority is pending */
EVPP_SIMPLE_WATCHER (idle)
#endif

#if EV_PREPARE_ENABLE
/* an ev_prepare: runs just before the loop blocks */
EVPP_SIMPLE_WATCHER (prepare)
#endif

#if EV_CHECK_ENABLE
/* an ev_check: runs just after the loop has blocked */
EVPP_SIMPLE_WATCHER (check)
#endif

#if EV_FORK_ENABLE
/* an ev_fork: runs in the iteration after a fork was announced */
EVPP_SIMPLE_WATCHER (fork)
#endif

#undef EVPP_SIMPLE_WATCHER

#if EV_EMBED_ENABLE
/* an ev_embed: another loop's backend has events */
struct embed : base<ev_embed, embed>
{
  using base<ev_embed, embed>::set;
  using base<ev_embed, embed>::start;

  EVPP_CONSTRUCTOR (embed, ev_embed)

  /* the loop to embed ("set" would clash with set (loop)) */
  void set_embed (struct ev_loop *embedded_loop) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_embed_set (c_watcher (), embedded_loop);
  }

  /* libev 4.33 quirk, kept: this rebinds the WRAPPER to LOOP (set (loop))
   * and embeds the loop "other" already holds into it; it does NOT call
   * set_embed (loop).  Kept because programs written against 4.33 can
   * depend on it (doc/semantics.md §22). */
  void start (struct ev_loop *l) EV_NOEXCEPT
  {
    set (l);
    start ();
  }

  /* one non-blocking run of the embedded loop; not noexcept: it runs that
   * loop's callbacks */
  void sweep () { ev_embed_sweep (EVPP_W_LOOP_ c_watcher ()); }
};
#endif

#if EV_ASYNC_ENABLE
/* an ev_async: wake the loop from another thread or a signal handler */
struct async : base<ev_async, async>
{
  EVPP_CONSTRUCTOR (async, ev_async)

  /* thread- and async-signal-safe */
  void send () EV_NOEXCEPT { ev_async_send (EVPP_W_LOOP_ c_watcher ()); }

  /* sent, and not yet noticed by the loop */
  bool async_pending () EV_NOEXCEPT { return ev_async_pending (c_watcher ()) != 0; }
};
#endif

#ifdef EV_NG_FEATURE_STREAM
/* libev-ng only (EV_NG_FEATURE_STREAM): an ev_ng_stream, a connected socket whose I/O the loop
 * does (ev(3) "Streams: the loop does the I/O").  set and start take the fd and the events
 * (EV_READ by default); stopping cancels the queued sends, whose completions run in the stop. */
struct ng_stream : base<ev_ng_stream, ng_stream>
{
  using base<ev_ng_stream, ng_stream>::set;
  using base<ev_ng_stream, ng_stream>::start;

#if EV_MULTIPLICITY
  explicit ng_stream (struct ev_loop *l = get_default_loop ()) EV_NOEXCEPT
  : base<ev_ng_stream, ng_stream> (l)
#else
  ng_stream () EV_NOEXCEPT
#endif
  {
    this->limit = 0;
    ev_ng_stream_set (c_watcher (), -1, 0);
  }

  void set (int fd_, int events_ = EV_READ) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_ng_stream_set (c_watcher (), fd_, events_);
  }

  void start (int fd_, int events_ = EV_READ) EV_NOEXCEPT
  {
    set (fd_, events_);
    start ();
  }

  /* the next bytes that arrived (ev_ng_stream_recv): their count, 0 at the end, -1 (EAGAIN) */
  int recv (const char *&data) EV_NOEXCEPT { return ev_ng_stream_recv (EVPP_W_LOOP_ c_watcher (), &data); }

  /* keep the last recv's bytes past the callback; give them back with release */
  void *keep () EV_NOEXCEPT { return ev_ng_stream_keep (EVPP_W_LOOP_ c_watcher ()); }
  void release (void *buffer) EV_NOEXCEPT { ev_ng_buffer_release (EVPP_W_LOOP_ buffer); }

  /* queue a copy, or the bytes where they are until done is called: 0, or -1 with errno */
  int send (const void *data_, size_t len) EV_NOEXCEPT
  {
    return ev_ng_stream_send (EVPP_W_LOOP_ c_watcher (), data_, len);
  }

  int send_ref (const void *data_, size_t len, ev_ng_send_done done) EV_NOEXCEPT
  {
    return ev_ng_stream_send_ref (EVPP_W_LOOP_ c_watcher (), data_, len, done);
  }

  /* SHUT_WR once the queue has been sent */
  int shutdown () EV_NOEXCEPT { return ev_ng_stream_shutdown (EVPP_W_LOOP_ c_watcher ()); }
};

/* libev-ng only (EV_NG_FEATURE_STREAM): an ev_ng_accept, a listening socket whose connections
 * the loop accepts; take () hands them over. */
struct ng_accept : base<ev_ng_accept, ng_accept>
{
  using base<ev_ng_accept, ng_accept>::set;
  using base<ev_ng_accept, ng_accept>::start;

#if EV_MULTIPLICITY
  explicit ng_accept (struct ev_loop *l = get_default_loop ()) EV_NOEXCEPT
  : base<ev_ng_accept, ng_accept> (l)
#else
  ng_accept () EV_NOEXCEPT
#endif
  {
    ev_ng_accept_set (c_watcher (), -1);
  }

  void set (int fd_) EV_NOEXCEPT
  {
    restart_guard guard (*this);
    ev_ng_accept_set (c_watcher (), fd_);
  }

  void start (int fd_) EV_NOEXCEPT
  {
    set (fd_);
    start ();
  }

  /* the next connection, or -1 with errno (EAGAIN: none waits) */
  int take () EV_NOEXCEPT { return ev_ng_accept_take (EVPP_W_LOOP_ c_watcher ()); }
};
#endif

#undef EVPP_CONSTRUCTOR

} /* namespace ev */

#undef EVPP_NULLPTR
#undef EVPP_OVERRIDE
#undef EVPP_NOTHROW
#undef EVPP_NO_COPY
#undef EVPP_CLASS_ONLY
#undef EVPP_THUNK_LOOP_
#undef EVPP_REF_LOOP
#undef EVPP_REF_LOOP_
#undef EVPP_W_LOOP
#undef EVPP_W_LOOP_

#endif /* EVPP_H_ */
