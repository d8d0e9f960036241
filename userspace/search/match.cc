#include "match.h"

#include <libaudit.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace bpfaudit::search {

namespace {

bool text_match(const Criteria& c, const std::string& needle, const std::string& haystack) {
  if (c.exact_match) return haystack == needle;
  return haystack.find(needle) != std::string::npos;
}

bool user_match(const Criteria& c, const SearchItems& s) {
  if (c.uid_all && c.tuid) {
    // By name: any of the three names.
    return (s.tuid && *s.tuid == *c.tuid) || (s.teuid && *s.teuid == *c.teuid) ||
           (s.tauid && *s.tauid == *c.tauid);
  }
  if (c.uid_all) return c.uid == s.uid || c.euid == s.euid || c.loginuid == s.loginuid;
  if (c.tuid || c.teuid || c.tauid) {
    if (c.tuid && (!s.tuid || *s.tuid != *c.tuid)) return false;
    if (c.teuid && (!s.teuid || *s.teuid != *c.teuid)) return false;
    if (c.tauid && (!s.tauid || *s.tauid != *c.tauid)) return false;
    return true;
  }
  if (c.uid != ~0u && c.uid != s.uid) return false;
  if (c.euid != ~0u && c.euid != s.euid) return false;
  if (c.loginuid != ~0u - 1 && c.loginuid != s.loginuid) return false;
  return true;
}

bool group_match(const Criteria& c, const SearchItems& s) {
  if (c.gid_all) return c.gid == s.gid || c.egid == s.egid;
  if (c.gid != ~0u && c.gid != s.gid) return false;
  if (c.egid != ~0u && c.egid != s.egid) return false;
  return true;
}

bool any_context(const Criteria& c, const SearchItems& s, bool subject) {
  const auto& needle = subject ? *c.subject : *c.object;
  for (const auto& a : s.avcs) {
    const auto& v = subject ? a.scontext : a.tcontext;
    if (v && text_match(c, needle, *v)) return true;
  }
  return false;
}

bool context_match(const Criteria& c, const SearchItems& s) {
  if (c.context_either) {
    if (c.subject && s.has_avc_list && any_context(c, s, true)) return true;
    if (c.object && s.has_avc_list && any_context(c, s, false)) return true;
    return false;
  }
  if (c.subject) return s.has_avc_list && any_context(c, s, true);
  if (c.object) return s.has_avc_list && any_context(c, s, false);
  return true;
}

bool optional_match(const Criteria& c, const std::optional<std::string>& want,
                    const std::optional<std::string>& have) {
  if (!want) return true;
  return have && text_match(c, *want, *have);
}

}  // namespace

bool matches(const record::Event& ev, const Criteria& c, SearchItems& s) {
  if (c.start_time && static_cast<std::int64_t>(ev.id.sec) < c.start_time) return false;
  if (c.end_time && static_cast<std::int64_t>(ev.id.sec) > c.end_time) return false;
  if (c.event_id != ~0u && c.event_id != static_cast<std::uint32_t>(ev.id.serial)) return false;

  if (extract_search_items(ev, c, s) != 0) return false;
  if (!c.nodes.empty()) {
    if (!ev.id.node) return false;
    if (std::find(c.nodes.begin(), c.nodes.end(), *ev.id.node) == c.nodes.end()) return false;
  }
  if (!user_match(c, s) || !group_match(c, s)) return false;
  if (c.ppid != -1 && c.ppid != s.ppid) return false;
  if (c.pid != -1 && c.pid != s.pid) return false;
  if (c.machine != -1 && c.machine != audit_elf_to_machine(static_cast<unsigned>(s.arch)))
    return false;
  if (c.syscall != -1 && c.syscall != s.syscall) return false;
  if (c.session_id != ~0u - 1 && c.session_id != s.session_id) return false;
  if (c.exit && (!s.exit_is_set || *c.exit != s.exit)) return false;
  if (c.success != Success::kUnset && c.success != s.success) return false;
  if (!c.message_types.empty()) {
    bool found = std::any_of(ev.records.begin(), ev.records.end(), [&](const record::Record& r) {
      return std::find(c.message_types.begin(), c.message_types.end(), r.type) !=
             c.message_types.end();
    });
    if (!found) return false;
  }
  if (c.filename) {
    if (!s.has_filename_list && !s.cwd) return false;
    bool found = false;
    if (s.has_filename_list) {
      for (const auto& f : s.filenames)
        if (text_match(c, *c.filename, f)) {
          found = true;
          break;
        }
      if (!found && !s.cwd) return false;
    }
    if (s.cwd && !found && !text_match(c, *c.filename, *s.cwd)) return false;
  }
  if (!optional_match(c, c.hostname, s.hostname)) return false;
  if (!optional_match(c, c.terminal, s.terminal)) return false;
  if (!optional_match(c, c.exe, s.exe)) return false;
  if (!optional_match(c, c.comm, s.comm)) return false;
  if (c.key) {
    if (!s.has_key_list) return false;
    bool found = std::any_of(s.keys.begin(), s.keys.end(),
                             [&](const std::string& k) { return text_match(c, *c.key, k); });
    if (!found) return false;
  }
  if (!optional_match(c, c.vmname, s.vmname)) return false;
  if (!optional_match(c, c.uuid, s.uuid)) return false;
  return context_match(c, s);
}

}  // namespace bpfaudit::search
