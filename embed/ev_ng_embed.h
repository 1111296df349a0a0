/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * embed/ev_ng_embed.h - what libev-ng offers a program that compiles its core
 * into itself (ev(3) EMBEDDING) beyond libev's API: the answers such a program
 * used to read from libev's internals, which it compiled along.
 *
 * Include it after ev.h, with the same configuration.
 */
#ifndef EV_NG_EMBED_H_
#define EV_NG_EMBED_H_

#ifndef EV_NG
# error "include libev-ng's ev.h (the kit's) before embed/ev_ng_embed.h"
#endif

EV_CPP(extern "C" {)

#if EV_SIGNAL_ENABLE && EV_MULTIPLICITY
/* The loop that watches signal signum, or NULL: a second loop's
 * ev_signal_start of it is a usage error (ev(3) ev_signal), which a program
 * can report its own way before it happens (Perl's EV croaks). */
EV_API_DECL struct ev_loop *ev_ng_signal_owner (int signum) EV_NOEXCEPT;
#endif

/* The program runs the blocking system call of every wait of the loop
 * itself: cb gets wait and arg, and calls wait (arg) where the call may
 * block, once.  For a program whose threads hold a lock that the wait must
 * let go of, through a function that takes a callback (Ruby:
 * rb_thread_call_without_gvl (wait, arg, RUBY_UBF_IO, 0)); Ruby's nio4r and
 * others patched their bundled libev for this.  Only the system call runs in
 * wait: the loop's own work stays under the lock.  A cb that returns
 * without calling wait makes the wait return as if interrupted by a signal
 * (EINTR: no events, no error), and cb may leave by longjmp (Ruby raises
 * its interrupts there), as a watcher callback may.  It runs between the
 * release and acquire callbacks (ev_set_loop_release_cb), if any, and, unlike
 * them, the loop may run again inside it (then the wait reports what it
 * found, which the inner run may have taken: a spurious readiness).  A null
 * cb: the loop makes the call itself again. */
EV_API_DECL void ev_ng_set_wait_cb (EV_P_ void (*cb)(EV_P_ void *(*wait)(void *), void *arg)) EV_NOEXCEPT;

EV_CPP(})

#endif /* EV_NG_EMBED_H_ */
