// SPDX-License-Identifier: BSD-2-Clause
// tools/watchdog/elf_symbols.cc - see elf_symbols.h.  The file is mapped read-only,
// and its symbol table and string table are used where they lie in the map.
#include "elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace ev_watchdog {

namespace {

#if __SIZEOF_POINTER__ == 8
using elf_ehdr = Elf64_Ehdr;
using elf_phdr = Elf64_Phdr;
using elf_shdr = Elf64_Shdr;
using elf_sym = Elf64_Sym;
inline unsigned char sym_type(const elf_sym &s) { return ELF64_ST_TYPE(s.st_info); }
#else
using elf_ehdr = Elf32_Ehdr;
using elf_phdr = Elf32_Phdr;
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
  auto *f = static_cast<elf_file *>(std::calloc(1, sizeof(elf_file)));
  if (!f)
    std::abort();
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

// The ELF virtual address of file offset off: where its PT_LOAD segment
// puts it.  False if no segment holds it, or f is not mapped.
bool vaddr_of(const elf_file &f, std::uintptr_t off, std::uintptr_t &vaddr)
{
  if (f.size < sizeof(elf_ehdr) || std::memcmp(f.map, ELFMAG, SELFMAG) != 0)
    return false;
  elf_ehdr eh;
  std::memcpy(&eh, f.map, sizeof eh);
  if (eh.e_phentsize != sizeof(elf_phdr) || !in_file(f, eh.e_phoff, std::size_t{eh.e_phnum} * sizeof(elf_phdr)))
    return false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    elf_phdr ph;
    std::memcpy(&ph, f.map + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_LOAD && off >= ph.p_offset && off - ph.p_offset < ph.p_filesz) {
      vaddr = ph.p_vaddr + (off - ph.p_offset);
      return true;
    }
  }
  return false;
}

// One line of /proc/PID/maps: "START-END PERMS OFFSET DEV INODE   PATH".
struct mapping {
  std::uintptr_t start, end, offset;
  const char *path;  // "" for anonymous memory
};

const char *next_field(const char *p)
{
  while (*p && *p != ' ')
    ++p;
  while (*p == ' ')
    ++p;
  return p;
}

bool parse_mapping(const char *line, mapping &m)
{
  char *end;
  m.start = std::strtoul(line, &end, 16);
  if (end == line || *end != '-')
    return false;
  m.end = std::strtoul(end + 1, &end, 16);
  const char *p = next_field(next_field(end));  // the permissions
  m.offset = std::strtoul(p, &end, 16);
  if (end == p)
    return false;
  m.path = next_field(next_field(next_field(end)));  // the device and the inode
  return true;
}

// The file mapped at addr in pid's memory, and the offset in it: from
// /proc/PID/maps, the map of the program watched (another process).
bool find_file(pid_t pid, std::uintptr_t addr, char (&path)[256], std::uintptr_t &off)
{
  char name[40];
  std::snprintf(name, sizeof name, "/proc/%d/maps", static_cast<int>(pid));
  const int fd = ::open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char buf[4096];
  std::size_t have = 0;
  bool skipping = false;  // the rest of a line longer than buf
  bool seen = false, found = false;
  ssize_t got;
  while (!seen && (got = ::read(fd, buf + have, sizeof buf - have)) > 0) {
    have += static_cast<std::size_t>(got);
    char *line = buf;
    while (char *eol = static_cast<char *>(std::memchr(line, '\n', have - static_cast<std::size_t>(line - buf)))) {
      *eol = 0;
      mapping m;
      if (!skipping && parse_mapping(line, m) && addr >= m.start && addr < m.end) {
        seen = true;
        found = m.path[0] == '/';
        if (found) {
          std::snprintf(path, sizeof path, "%s", m.path);
          off = addr - m.start + m.offset;
        }
        break;
      }
      skipping = false;
      line = eol + 1;
    }
    if (line == buf && have == sizeof buf) {
      skipping = true;
      have = 0;
    } else {
      have -= static_cast<std::size_t>(line - buf);
      std::memmove(buf, line, have);
    }
  }
  ::close(fd);
  return found;
}

// The semaphore of the first libev probe in f's .note.stapsdt, 0 if none:
// every probe of libev-ng names the anchor as its semaphore.
std::uintptr_t probe_semaphore(const elf_file &f)
{
  if (f.size < sizeof(elf_ehdr) || std::memcmp(f.map, ELFMAG, SELFMAG) != 0)
    return 0;
  elf_ehdr eh;
  std::memcpy(&eh, f.map, sizeof eh);
  if (eh.e_shentsize != sizeof(elf_shdr) || eh.e_shstrndx >= eh.e_shnum ||
      !in_file(f, eh.e_shoff, std::size_t{eh.e_shnum} * sizeof(elf_shdr)))
    return 0;
  const auto *sh = reinterpret_cast<const elf_shdr *>(f.map + eh.e_shoff);
  const elf_shdr &names = sh[eh.e_shstrndx];
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    if (sh[i].sh_type != SHT_NOTE || sh[i].sh_name >= names.sh_size || !in_file(f, sh[i].sh_offset, sh[i].sh_size) ||
        !in_file(f, names.sh_offset, names.sh_size) ||
        std::strncmp(reinterpret_cast<const char *>(f.map + names.sh_offset + sh[i].sh_name), ".note.stapsdt",
                     names.sh_size - sh[i].sh_name) != 0)
      continue;
    const unsigned char *p = f.map + sh[i].sh_offset, *end = p + sh[i].sh_size;
    while (end - p >= 12) {
      std::uint32_t namesz, descsz;
      std::memcpy(&namesz, p, 4);
      std::memcpy(&descsz, p + 4, 4);
      const unsigned char *desc = p + 12 + ((namesz + 3) & ~3u);
      if (desc > end || descsz > static_cast<std::size_t>(end - desc))
        break;
      constexpr std::size_t kAddrs = 3 * sizeof(std::uintptr_t);  // pc, base, semaphore
      if (descsz > kAddrs && std::memchr(desc + kAddrs, 0, descsz - kAddrs) &&
          std::strcmp(reinterpret_cast<const char *>(desc + kAddrs), "libev") == 0) {
        std::uintptr_t semaphore;
        std::memcpy(&semaphore, desc + 2 * sizeof(std::uintptr_t), sizeof semaphore);
        if (semaphore)
          return semaphore;
      }
      p = desc + ((descsz + 3) & ~3u);
    }
  }
  return 0;
}

// The anchor's ELF virtual address in f: its symbol, else the semaphore.
std::uintptr_t anchor_vaddr(const elf_file &f)
{
  for (std::size_t i = 0; i < f.nsyms; ++i) {
    const elf_sym &s = f.syms[i];
    if (s.st_name < f.strsize && s.st_value && std::strcmp(f.strtab + s.st_name, "libev_ng_probe_anchor") == 0)
      return s.st_value;
  }
  return probe_semaphore(f);
}

}  // namespace

std::uintptr_t elf_find_anchor(pid_t pid, char *libev, std::size_t libev_size)
{
  if (libev_size)
    libev[0] = 0;
  char name[40];
  std::snprintf(name, sizeof name, "/proc/%d/maps", static_cast<int>(pid));
  FILE *maps = std::fopen(name, "re");
  if (!maps)
    return 0;
  char line[4096];
  std::uintptr_t found = 0;
  while (!found && std::fgets(line, sizeof line, maps)) {
    line[std::strcspn(line, "\n")] = 0;
    mapping m;
    if (!parse_mapping(line, m) || m.offset != 0 || m.path[0] != '/')
      continue;
    const char *base = std::strrchr(m.path, '/') + 1;
    if (std::strncmp(base, "libev.so", 8) != 0)
      continue;
    if (libev_size && !libev[0])
      std::snprintf(libev, libev_size, "%s", m.path);
    const elf_file *f = open_file(m.path);
    std::uintptr_t first = 0, at = anchor_vaddr(*f);
    if (at && vaddr_of(*f, 0, first))
      found = m.start - first + at;
  }
  std::fclose(maps);
  return found;
}

code_location elf_locate(const void *addr, pid_t pid)
{
  code_location loc{};
  char path[256];
  std::uintptr_t off;
  if (!find_file(pid, reinterpret_cast<std::uintptr_t>(addr), path, off))
    return loc;
  elf_file *f = open_file(path);
  loc.module = f->path;
  // A file that cannot be read (gone since it was mapped) gives its offset.
  if (!vaddr_of(*f, off, loc.offset))
    loc.offset = off;
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
    std::free(f);
  }
}

}  // namespace ev_watchdog
