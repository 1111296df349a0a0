// SPDX-License-Identifier: BSD-2-Clause
// diag/elf_symbols.cc - see diag/elf_symbols.h.  The file is mapped read-only,
// and its symbol table and string table are used where they lie in the map.
#include "diag/elf_symbols.h"

#include "base/alloc.h"

#if EV_NG_HAVE_PROCESS_VM_READV
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <initializer_list>

namespace ev_detail {

namespace {

#if __SIZEOF_POINTER__ == 8
using elf_ehdr = Elf64_Ehdr;
using elf_shdr = Elf64_Shdr;
using elf_sym = Elf64_Sym;
inline unsigned char sym_type(const elf_sym &s) { return ELF64_ST_TYPE(s.st_info); }
#else
using elf_ehdr = Elf32_Ehdr;
using elf_shdr = Elf32_Shdr;
using elf_sym = Elf32_Sym;
inline unsigned char sym_type(const elf_sym &s) { return ELF32_ST_TYPE(s.st_info); }
#endif

// One file, mapped.
struct elf_file {
  elf_file *next;
  char path[256];
  const unsigned char *map;
  std::size_t size;
  const elf_sym *syms;  // null: no symbol table
  std::size_t nsyms;
  const char *strtab;
  std::size_t strsize;
};

constinit elf_file *files = nullptr;

bool in_file(const elf_file &f, std::size_t off, std::size_t len) { return off <= f.size && len <= f.size - off; }

// The symbol table to use: .symtab, else .dynsym.
void find_symbols(elf_file &f)
{
  if (f.size < sizeof(elf_ehdr) || std::memcmp(f.map, ELFMAG, SELFMAG) != 0)
    return;
  elf_ehdr eh;
  std::memcpy(&eh, f.map, sizeof eh);
  if (eh.e_shentsize != sizeof(elf_shdr) || !in_file(f, eh.e_shoff, std::size_t{eh.e_shnum} * sizeof(elf_shdr)))
    return;
  const auto *sh = reinterpret_cast<const elf_shdr *>(f.map + eh.e_shoff);
  for (unsigned want : {unsigned{SHT_SYMTAB}, unsigned{SHT_DYNSYM}}) {
    for (unsigned i = 0; i < eh.e_shnum; ++i) {
      if (sh[i].sh_type != want || sh[i].sh_link >= eh.e_shnum)
        continue;
      const elf_shdr &str = sh[sh[i].sh_link];
      if (!in_file(f, sh[i].sh_offset, sh[i].sh_size) || !in_file(f, str.sh_offset, str.sh_size))
        continue;
      f.syms = reinterpret_cast<const elf_sym *>(f.map + sh[i].sh_offset);
      f.nsyms = sh[i].sh_size / sizeof(elf_sym);
      f.strtab = reinterpret_cast<const char *>(f.map + str.sh_offset);
      f.strsize = str.sh_size;
      return;
    }
  }
}

elf_file *open_file(const char *path)
{
  for (elf_file *f = files; f; f = f->next)
    if (std::strcmp(f->path, path) == 0)
      return f;
  auto *f = static_cast<elf_file *>(ev_realloc(nullptr, sizeof(elf_file)));
  std::memset(f, 0, sizeof *f);
  std::snprintf(f->path, sizeof f->path, "%s", path);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
    void *m = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      f->map = static_cast<const unsigned char *>(m);
      f->size = static_cast<std::size_t>(st.st_size);
      find_symbols(*f);
    }
  }
  if (fd >= 0)
    ::close(fd);
  f->next = files;
  files = f;
  return f;
}

// The function symbol of f that contains vaddr (or, without sizes, the
// nearest one below it).
const elf_sym *containing(const elf_file &f, std::uintptr_t vaddr)
{
  const elf_sym *best = nullptr;
  for (std::size_t i = 0; i < f.nsyms; ++i) {
    const elf_sym &s = f.syms[i];
    if ((sym_type(s) != STT_FUNC && sym_type(s) != STT_GNU_IFUNC) || !s.st_value || s.st_name >= f.strsize)
      continue;
    if (s.st_value > vaddr)
      continue;
    if (s.st_size && vaddr < s.st_value + s.st_size)
      return &s;
    if (!s.st_size && (!best || s.st_value > best->st_value))
      best = &s;
  }
  return best;
}

struct module_search {
  std::uintptr_t addr;
  std::uintptr_t base;
  const char *name;
  bool found;
};

int find_module(struct dl_phdr_info *info, std::size_t, void *data)
{
  auto *m = static_cast<module_search *>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto &ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD)
      continue;
    const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (m->addr >= start && m->addr < start + ph.p_memsz) {
      m->base = info->dlpi_addr;
      m->name = info->dlpi_name;
      m->found = true;
      return 1;
    }
  }
  return 0;
}

}  // namespace

code_location elf_locate(const void *addr)
{
  code_location loc{};
  module_search m{reinterpret_cast<std::uintptr_t>(addr), 0, nullptr, false};
  dl_iterate_phdr(find_module, &m);
  if (!m.found)
    return loc;
  // The program itself has no name here: its file is /proc/self/exe's target.
  char exe[256];
  const char *path = m.name;
  if (!path || !*path) {
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    path = exe;
  }
  elf_file *f = open_file(path);
  loc.module = f->path;
  loc.offset = m.addr - m.base;
  if (const elf_sym *s = containing(*f, loc.offset)) {
    loc.symbol = f->strtab + s->st_name;
    loc.symbol_offset = loc.offset - s->st_value;
  }
  return loc;
}

void elf_symbols_forget()
{
  while (elf_file *f = files) {
    files = f->next;
    if (f->map)
      munmap(const_cast<unsigned char *>(f->map), f->size);
    ev_free(f);
  }
}

}  // namespace ev_detail

#else

namespace ev_detail {
code_location elf_locate(const void *) { return code_location{}; }
void elf_symbols_forget() {}
}  // namespace ev_detail

#endif
