# SPDX-License-Identifier: BSD-2-Clause
# t/observe/local.mk - fragment of Makefile.am: the static probes and the watchdog
# (ev(3) LIBEV-NG EXTENSIONS, "Static probes", "Watchdog"), checked on an ordinary
# program built as a user builds one (t/observe/slow_program.c: cc prog.c -lev).
# probes.sh counts the probes with gdb (build.sh installs it); tools.sh runs ev-gdb and
# ev-top on a running program (ev-top where bpftrace is installed and the user is root);
# tools_diagnostics.sh makes each case where they cannot attach and checks that they stop
# with a message (a stand-in bpftrace, fake_bpftrace.sh, for what the machine cannot show);
# they skip (77) without a shared libev.so.4, probes.sh and the tools' tests also without
# <sys/sdt.h>.

TESTS += t/observe/probes.sh t/observe/watchdog.sh t/observe/watchdog_attach.sh t/observe/tools.sh \
	t/observe/tools_diagnostics.sh
EXTRA_DIST += t/observe/probes.sh t/observe/watchdog.sh t/observe/watchdog_attach.sh t/observe/tools.sh \
	t/observe/tools_diagnostics.sh t/observe/fake_bpftrace.sh t/observe/slow_program.c t/observe/slow_plugin.c \
	t/observe/slow_look.c
