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

EV_CPP(})

#endif /* EV_NG_EMBED_H_ */
