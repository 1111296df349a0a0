// SPDX-License-Identifier: BSD-2-Clause
// diag/elf_symbols.h - a code address's name, for the watchdog's reports: the
// file it is in (the program, or a shared object, found with dl_iterate_phdr),
// its offset there as addr2line takes it, and the function that contains it,
// from the file's .symtab where it has one (static functions included: the
// names dladdr, which sees only exported ones, cannot give), else .dynsym.
//
// Each file is read once, when its first address is asked for, and never on
// a loop's path: only the watchdog's thread asks, when it has a report to make.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ev_detail {

struct code_location {
  const char *module;     // the file's path (null: not in any mapped file)
  std::uintptr_t offset;  // the address in the file's terms (its ELF virtual address)
  const char *symbol;     // the containing function, or null
  std::uintptr_t symbol_offset;
};

// Resolve addr.  The strings stay valid until elf_symbols_forget.
code_location elf_locate(const void *addr);

// Drop what was read (the watchdog's thread ends).
void elf_symbols_forget();

}  // namespace ev_detail
