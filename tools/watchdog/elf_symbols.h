// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/elf_symbols.h - a code address's name, for the watchdog's reports: the
// file it is in, found in /proc/PID/maps; its offset there as addr2line
// takes it; and the function that contains it, from the file's .symtab where
// it has one, else .dynsym.  .symtab names static functions too, which
// dladdr cannot.
//
// Each file is read once, when its first address is asked for: only when
// the watchdog has a report to make.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace ev_watchdog {

struct code_location {
  const char *module;     // the file's path, or null if not in any mapped file
  std::uintptr_t offset;  // the address as the file's ELF virtual address
  const char *symbol;     // the containing function, or null
  std::uintptr_t symbol_offset;
};

// Resolve addr of process pid.  The strings stay valid until
// elf_symbols_forget.
code_location elf_locate(const void *addr, pid_t pid);

// Drop what was read (a file may have been replaced since).
void elf_symbols_forget();

// The address in process pid of the libev-ng probe anchor
// (diag/probe_anchor.h) of its libev.so.4: from the file's .symtab, else
// from the semaphore its static probes name (.note.stapsdt), as ev-gdb
// finds it.  0 when pid has no libev-ng loaded, or a stripped one without
// probes; libev gets the path of the first libev.so* it maps (empty if
// none), to name the library of a process without an anchor.
std::uintptr_t elf_find_anchor(pid_t pid, char *libev = nullptr, std::size_t libev_size = 0);

}  // namespace ev_watchdog
