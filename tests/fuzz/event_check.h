// The property both ring-event targets check on the text written for a
// decoded event: exactly the records the event calls for, one line each,
// every line a record stock's reader accepts, and the untrusted values
// (comm, exe, key, cwd, path names, argv) reading back as they were. A
// traced program controls those values; it must not be able to forge or
// split a record with them.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "record.h"
#include "trace_events.h"

namespace bpfaudit::fuzz {

[[noreturn]] inline void event_fail(const char* what, const std::string& text) {
  std::fprintf(stderr, "%s in:\n%s\n", what, text.c_str());
  std::abort();
}

// The kernel prints tty= as the driver named it (never untrusted text); the
// decoders copy what the probe read, so the targets give them a real-looking one.
inline void plain_tty(char* tty, std::size_t n) {
  for (std::size_t i = 0; i < n && tty[i]; ++i) {
    char c = tty[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/'))
      tty[i] = 'x';
  }
}

// An untrusted string field, decoded.
inline std::optional<std::string> field(const std::string& line, std::string_view name) {
  for (const auto& f : record::split_fields(line))
    if (f.name == name) return record::decode_value(f.value);
  return std::nullopt;
}

// A number field as written (decode_value would read "16" as hex).
inline std::optional<std::string> number(const std::string& line, std::string_view name) {
  for (const auto& f : record::split_fields(line))
    if (f.name == name) return std::string(f.value);
  return std::nullopt;
}

inline void check_event_text(const std::string& text, const ebpf::SyscallEvent& ev,
                             const std::optional<std::string>& key) {
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) event_fail("a record without its newline", text);
    lines.emplace_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::vector<std::string> want{"SYSCALL"};
  if (ev.exec) want.push_back("EXECVE");
  if (ev.cwd) want.push_back("CWD");
  for (std::size_t i = 0; i < ev.paths.size(); ++i) want.push_back("PATH");
  if (ev.exec || ev.proctitle) want.push_back("PROCTITLE");
  want.push_back("EOE");
  // Auxiliary records the kernel writes after SYSCALL for some syscalls
  // (the formatter may add them from the event): at most one of each.
  static const std::vector<std::string> kAux = {"MMAP", "SOCKADDR", "FD_PAIR",    "OBJ_PID",
                                                "IPC",  "CAPSET",   "BPRM_FCAPS", "KERN_MODULE"};
  std::vector<std::string> types;
  std::optional<record::EventId> id;
  for (const auto& line : lines) {
    auto h = record::parse_header(line);
    if (!h) event_fail("a line that is not a record", text);
    if (id && !(*id == h->id)) event_fail("records of one event with two stamps", text);
    id = h->id;
    std::string t = record::type_name(h->type);
    if (std::find(kAux.begin(), kAux.end(), t) != kAux.end()) {
      if (std::find(types.begin(), types.end(), t) != types.end())
        event_fail("an auxiliary record twice", text);
    }
    types.push_back(std::move(t));
  }
  std::vector<std::string> main_types;
  std::vector<std::string> main_lines;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (std::find(kAux.begin(), kAux.end(), types[i]) != kAux.end()) continue;
    // The kernel's audit_log_execve_info starts another EXECVE record when
    // the arguments fill one (about 7.5 KB): one EXECVE, read as one line.
    if (types[i] == "EXECVE" && !main_types.empty() && main_types.back() == "EXECVE") {
      if (number(lines[i], "argc")) event_fail("argc in a continued EXECVE record", text);
      std::size_t body = lines[i].find("): ");
      if (body == std::string::npos) event_fail("an EXECVE record without its fields", text);
      main_lines.back().append(lines[i], body + 2);
      continue;
    }
    main_types.push_back(types[i]);
    main_lines.push_back(lines[i]);
  }
  if (main_types != want) event_fail("not the records the event calls for", text);
  lines = std::move(main_lines);
  const std::string& sc = lines[0];
  if (field(sc, "comm") != ev.comm) event_fail("comm changed", text);
  if (!ev.exe.empty() && field(sc, "exe") != ev.exe) event_fail("exe changed", text);
  if (key && field(sc, "key") != *key) event_fail("key changed", text);
  if (number(sc, "items") != std::to_string(ev.paths.size())) event_fail("items wrong", text);
  std::size_t at = 1;
  if (ev.exec) {
    const std::string& ex = lines[at++];
    // The kernel's count (bprm->argc), also when the copied argv was cut
    // and holds fewer (TraceDecoder.ACutArgvKeepsItsCount...).
    if (number(ex, "argc") !=
        std::to_string(std::max<std::size_t>(ev.exec->argc, ev.exec->argv.size())))
      event_fail("argc wrong", text);
    // Split once: a few thousand arguments, each looked up by splitting
    // the line again, took 11 s for one input.
    std::unordered_map<std::string, std::string> args;
    for (const auto& f : record::split_fields(ex)) args.emplace(f.name, f.value);
    for (std::size_t i = 0; i < ev.exec->argv.size(); ++i) {
      auto f = args.find("a" + std::to_string(i));
      if (f == args.end() || record::decode_value(f->second) != ev.exec->argv[i])
        event_fail("argv changed", text);
    }
  }
  if (ev.cwd && field(lines[at++], "cwd") != *ev.cwd) event_fail("cwd changed", text);
  for (const auto& p : ev.paths) {
    auto name = field(lines[at++], "name");
    if (p.name ? name != *p.name : name != "(null)") event_fail("path name changed", text);
  }
}

}  // namespace bpfaudit::fuzz
