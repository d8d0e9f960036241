// The searchable fields of one event, extracted record by record exactly as
// stock ausearch 3.0.9 (src/ausearch-parse.c, extract_search_items) does:
// only the fields the active criteria need are looked for, by the same
// substring rules, so malformed records fail (and the event is skipped) in the
// same cases. aureport builds on the same extraction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "criteria.h"
#include "event.h"

namespace bpfaudit::search {

// The interpretation list libauparse loads from an enriched record's second
// part: space-separated NAME=value items, names lower-cased, first match wins.
class Interpretations {
 public:
  void load(std::string_view text);
  // auparse's lookup for the id fields (auid, uid, ...): quoted text
  // unquoted, hex decoded, anything undecodable returned as written.
  std::optional<std::string> lookup_id(const std::string& field) const;
  // The value as written (auparse returns "syscall" this way).
  std::optional<std::string> lookup(const std::string& field) const;
  bool loaded() const { return loaded_; }

 private:
  bool loaded_ = false;
  std::vector<std::pair<std::string, std::string>> entries_;
};

enum class AvcResult { kUnset, kDenied, kGranted };

struct AvcEntry {
  std::optional<std::string> scontext, tcontext, avc_class, avc_perm;
  AvcResult result = AvcResult::kUnset;  // set only when a -sv criterion is active, as in stock
};

struct SearchItems {
  std::int64_t ppid = -1, pid = -1;
  std::uint32_t uid = ~0u, euid = ~0u, loginuid = ~0u - 1;
  std::uint32_t gid = ~0u, egid = ~0u;
  Success success = Success::kUnset;
  int arch = 0, syscall = 0;
  std::uint32_t session_id = ~0u - 1;
  std::int64_t exit = 0;
  bool exit_is_set = false;
  std::optional<std::string> hostname, cwd, exe, terminal, comm, acct, uuid, vmname;
  std::vector<std::string> filenames;  // with their PATH "type=" keys where stock keeps them
  std::vector<std::optional<std::string>> filename_keys;
  bool has_filename_list = false;  // stock distinguishes "no list" from "empty list"
  std::vector<std::string> keys;
  bool has_key_list = false;
  std::vector<AvcEntry> avcs;
  bool has_avc_list = false;
  std::optional<std::string> tuid, teuid, tauid;  // user names, looked up as stock does
  // Per record: a0/a1 of SYSCALL records (stock stores them on the record).
  std::vector<std::uint64_t> a0, a1;
  // What stock writes to stderr while extracting, in order: the unconditional
  // "sockaddr len too short" family and, with Criteria::debug, the
  // "Unparsed type" / "Malformed event skipped" lines.
  std::string diagnostics;
  // Per record: stock rewrites a few delimiters in place (a USER record's
  // terminal=... value ended by ')' gets a ' '; an AVC "{ perm}" loses its '}'),
  // and prints the altered text. Set for a record whose raw part stock leaves
  // changed; nullopt when it is intact.
  std::vector<std::optional<std::string>> altered_raw;
  // Back to the default-constructed state for an event of `records` records,
  // keeping allocations: one SearchItems serves a whole run.
  void reset(std::size_t records);
  // Scratch copy of the record being parsed (stock parses in place).
  std::string scratch;
};

// Returns 0 on success or stock's non-zero parse error code; on error stock
// skips the event. Records are visited in order and extraction stops at the
// first error, as in stock.
int extract_search_items(const record::Event& ev, const Criteria& c, SearchItems& s);

// The user name of `uid` as getpwuid gives it, nullopt when there is none;
// looked up once per uid, safe from several threads (the parallel scans).
std::optional<std::string> passwd_name(std::uint32_t uid);

// Stock's decoder of a value that is not quoted (hex, or "(...)" as it is),
// cut at the first NUL; nullopt when it does not decode. The history index
// collects every value the extraction could read with it.
std::optional<std::string> decode_hex_value(const char* text);

// Whether extracting -sv from a record of this type with this raw text could
// make its event's success "failed", under any criteria: a superset (the
// history index marks the events that may be failures with it). Mirrors the
// res=/success=/result=/AVC rules of the parsers in search_items.cc.
bool record_may_fail(int type, std::string_view raw);

}  // namespace bpfaudit::search
