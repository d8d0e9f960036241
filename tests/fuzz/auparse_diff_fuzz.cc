// Differential: each line of the input through our record parser
// (record::parse_header, view_record, split_fields) and through stock
// libauparse 3.0.9 (auparse_init(AUSOURCE_BUFFER) on that one line). Both
// must take the line or both refuse it; when both take it, the type, time,
// milli, serial and node must be the same, and so must the record's fields:
// names and values as written, in order.
//
// Where ours differs from libauparse by design, the case is left out or the
// two sides are brought to one form, each with its reason below; nothing
// else is:
//   - parse_header reads headers as stock *ausearch* does (its own
//     extract_timestamp in ausearch-lol.c, which our search and report must
//     match). libauparse's copy differs in one test: a first word starting
//     with 'n' is a node only when it is at least 6 bytes ("node=" and one
//     more); ausearch takes any such word. Lines whose first word starts
//     with 'n' and is shorter are left out.
//   - libauparse eats a lone EOE record (the event's end, already known);
//     ours returns it as a record. EOE lines (by either reading of the
//     type) are left out.
//   - libauparse returns the header's node= and type= as the record's first
//     fields; split_fields leaves them out (record.h), so stock's leading
//     node and type fields are not compared as fields. The type number:
//     ours, as ausearch, reads the name past the first 5 bytes of the
//     header's type word whatever they are; libauparse from the field
//     named type after node=, trimmed, 0 without one. The numbers are
//     compared where both read the same name.
//   - libauparse invents seresult/seperms fields for SELinux's unlabelled
//     "avc: denied { read }" words in AVC and USER_AVC records; ours keeps
//     only name=value fields. Their fields are not compared. libauparse
//     also drops such a record whole when the words inside its braces
//     overflow its 256-byte buffer; those lines (by stock's reading of the
//     type and of the words' places, stock_drops_avc) are left out.
//   - libauparse drops a record whose raw part (before 0x1d) is empty or
//     all spaces; ausearch's reader, and ours, take the header from the
//     whole line. Left out.
//   - libauparse splits a key= of several keys (hex, joined by 0x01) into
//     one key field per key, unescaped and escaped again; ours keeps the
//     value as written (search splits keys itself). For such a key
//     (unquoted, not "(null)") stock must have as many key fields as keys
//     in its hex (counted as stock decodes it); their values, libauparse's
//     own re-escaping, are not compared.
//     A key stock makes no field of, ahead of a node= or type= field,
//     moves stock's header places (it finds node= and type= by their
//     place among its fields): such lines' fields are left out.
//   - libauparse trims one trailing ':', ',', '\'' and ')' from values (in
//     that order; "(none)" and "(null)" kept), one leading '(' from names,
//     and drops fields whose value is empty; ours keeps values as written.
//     Our fields are put through the same trims before comparing. A last
//     word that is only msg='s closing quote (`key='`) is an empty field
//     to stock, none to ours.
//   - libauparse's field getters give nothing for a record at time 0 (its
//     "no event"); such records' fields are not compared.
//   - Seconds of 2^63 and more, which stock's signed time_t takes as a
//     time before 1970 (ausearch and libauparse alike) and ours refuses.
//   - Lines of kMaxRecordLength - 1 bytes or more: ours reads logs as stock
//     ausearch does, in fgets chunks of that size; libauparse's buffer
//     source reads whole lines. Left out.
//
// Input: lines separated by '\n'.
#include <auparse.h>
#include <libaudit.h>

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "record.h"

using namespace bpfaudit;

namespace {

// libauparse's end-of-event timeout, set on each parser so that the seconds
// limit below does not depend on the host's auditd.conf.
constexpr long kEoeTimeout = 2;
// str2event refuses seconds above LONG_MAX - eoe_timeout - 1.
constexpr std::uint64_t kStockMaxSec = LONG_MAX - kEoeTimeout - 1;

std::string show(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return out;
}

[[noreturn]] void differ(const char* what, std::string_view line, const std::string& ours,
                         const std::string& stock) {
  std::fprintf(stderr, "%s on [%s]: ours [%s], stock [%s]\n", what, show(line).c_str(),
               show(ours).c_str(), show(stock).c_str());
  std::abort();
}

struct StockField {
  std::string name, value;
  bool null_value = false;
};

struct StockRecord {
  int type = 0;
  std::uint64_t sec = 0;
  unsigned milli = 0;
  unsigned long serial = 0;
  std::optional<std::string> node;
  std::vector<StockField> fields;
};

// The line through libauparse alone; nullopt when it yields no record.
std::optional<StockRecord> stock_read(std::string_view line) {
  // A C string: libauparse sees the line up to a NUL, as ours does.
  std::string text(line.substr(0, std::min(line.find('\0'), line.size())));
  text.push_back('\n');
  auparse_state_t* au = auparse_init(AUSOURCE_BUFFER, text.c_str());
  if (au == nullptr) std::abort();
  // auparse_init sets the timeout from the host's auditd.conf.
  auparse_set_eoe_timeout(kEoeTimeout);
  std::optional<StockRecord> out;
  if (auparse_next_event(au) == 1 && auparse_first_record(au) == 1) {
    StockRecord r;
    r.type = auparse_get_type(au);
    r.sec = static_cast<std::uint64_t>(auparse_get_time(au));
    r.milli = auparse_get_milli(au);
    r.serial = auparse_get_serial(au);
    if (const char* n = auparse_get_node(au)) {
      r.node = n;
      std::free(const_cast<char*>(n));
    }
    if (auparse_first_field(au) == 1) {
      do {
        StockField f;
        const char* name = auparse_get_field_name(au);
        const char* value = auparse_get_field_str(au);
        // A record without fields still gives a first one, without a name.
        if (name == nullptr) break;
        f.name = name;
        f.null_value = value == nullptr;
        if (value) f.value = value;
        r.fields.push_back(std::move(f));
      } while (auparse_next_field(au) == 1);
    }
    out = std::move(r);
  }
  auparse_destroy(au);
  return out;
}

// libauparse's clean-up of a value (ellist.c parse_up_record).
std::string stock_trim(std::string v) {
  if (!v.empty() && v.back() == ':') v.pop_back();
  if (!v.empty() && v.back() == ',') v.pop_back();
  if (!v.empty() && v.back() == '\'') v.pop_back();
  if (!v.empty() && v.back() == ')' && v != "(none)" && v != "(null)") v.pop_back();
  return v;
}

// The words of `v` split at spaces (runs of them), the first `limit` only.
std::vector<std::string_view> space_words(std::string_view v, std::size_t limit) {
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < v.size() && words.size() < limit;) {
    if (v[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t e = std::min(v.find(' ', i), v.size());
    words.push_back(v.substr(i, e - i));
    i = e;
  }
  return words;
}

// The text ausearch's reader takes as the type name: the header's second
// word (third after a word starting with 'n') past its first 5 bytes.
std::string header_type_text(std::string_view line) {
  std::string_view v = line.substr(0, std::min(line.find('\0'), line.size()));
  v = v.substr(0, std::min<std::size_t>(v.size(), !v.empty() && v[0] == 'n' ? 340 : 80));
  std::vector<std::string_view> words = space_words(v, 2);
  std::size_t at = !words.empty() && words[0][0] == 'n' ? 1 : 0;
  if (at >= words.size() || words[at].size() < 5) return {};
  return std::string(words[at].substr(5));
}

// How many key fields libauparse makes of a key= value that is neither
// quoted nor "(null)" (ellist.c, au_unescape, x2c): its leading hex digits
// decoded in pairs (a lone last digit as the high nibble), up to a NUL
// byte, split at 0x01 into non-empty keys; one field without a value when
// fewer than two hex digits lead.
std::size_t stock_key_fields(std::string_view v) {
  std::size_t n = 0;
  while (n < v.size() && std::isxdigit(static_cast<unsigned char>(v[n]))) ++n;
  if (n < 2) return 1;
  auto nibble = [](char c) {
    return c <= '9' ? c - '0' : (std::toupper(static_cast<unsigned char>(c)) - 'A' + 10);
  };
  std::size_t keys = 0;
  bool in_key = false;
  for (std::size_t i = 0; i < n; i += 2) {
    int b = nibble(v[i]) << 4 | (i + 1 < n ? nibble(v[i + 1]) : 0);
    if (b == 0) break;
    if (b == 1) {
      in_key = false;
    } else if (!in_key) {
      in_key = true;
      ++keys;
    }
  }
  return keys;
}

// Whether libauparse drops the record in `raw` (the line up to a NUL and
// 0x1d) for the 256-byte buffer of an AVC's "{ perm perm }" words
// (ellist.c parse_up_record, tmpctx): a model of its walk. It counts the
// fields it keeps (a `msg='` cut once per word, empty values skipped, a
// hex key= one field per key), takes the type from a field named type in
// the first place (second after node=), and in an AVC or USER_AVC record
// reads words without '=' by that count: at 1 (after node=: 2) "avc..." is
// skipped and any other word is seresult, at 2 (3) a word opening with
// '{' starts the permission words, up to one opening with '}', which must
// fit in 256 bytes joined by commas (any other word there is lost, the
// count unchanged, so a later '{' word still starts them). Our header reader may name another
// type (or none: `msg='type=AVC ...`), so this follows stock's reading.
bool stock_drops_avc(std::string_view raw) {
  std::vector<std::string_view> words = space_words(raw, SIZE_MAX);
  std::size_t cnt = 0, offset = 0;
  int type = 0;
  for (std::size_t w = 0; w < words.size(); ++w) {
    std::string_view p = words[w];
    std::size_t eq = p.find('=');
    if (eq != std::string_view::npos) {
      if (p.starts_with("msg=") && p.size() > 4 && p[4] == 'a') continue;
      if (p.starts_with("msg=") && p.size() > 4 && p[4] == '\'') {
        p.remove_prefix(5);
        eq = p.find('=');
        if (eq == std::string_view::npos) continue;
      }
      std::string_view name = p.substr(0, eq);
      if (!name.empty() && name[0] == '(') name.remove_prefix(1);
      if (eq + 1 == p.size()) continue;
      std::string value = stock_trim(std::string(p.substr(eq + 1)));
      if (name == "key" && value[0] != '(' && value[0] != '"') {
        cnt += stock_key_fields(value);
        continue;
      }
      ++cnt;
      if (cnt == 1 && name == "node")
        offset = 1;
      else if (cnt == 1 + offset && name == "type")
        type = audit_name_to_msg_type(value.c_str());
    } else if (type == AUDIT_AVC || type == AUDIT_USER_AVC) {
      if (cnt == 1 + offset) {
        if (!p.starts_with("avc")) ++cnt;
      } else if (cnt == 2 + offset) {
        if (p[0] == '{') {
          std::size_t total = 0;
          bool any = false;
          for (++w; w < words.size() && words[w][0] != '}'; ++w) {
            if (words[w].size() + 1 >= 256 - total) return true;
            if (any) ++total;
            any = true;
            total += words[w].size();
          }
          ++cnt;  // seperms
        }
        // Any other word there is appended without a name, which
        // nvlist_append refuses: the count stays.
      }
    }
  }
  return false;
}

// The value libauparse reads as the record's type (ellist.c): the field
// named type (a leading '(' dropped from the name) after an optional
// first node= field, its value trimmed; words without '=' or with an empty
// value are no fields. Empty when there is none.
std::string stock_type_value(std::string_view line) {
  std::string_view raw = line.substr(0, std::min(line.find('\0'), line.size()));
  raw = raw.substr(0, std::min(raw.find(record::kInterpSeparator), raw.size()));
  std::size_t at = 0;
  for (std::size_t i = 0; i < raw.size() && at < 2;) {
    if (raw[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t e = std::min(raw.find(' ', i), raw.size());
    std::string_view w = raw.substr(i, e - i);
    i = e;
    std::size_t eq = w.find('=');
    if (eq == std::string_view::npos || eq + 1 == w.size()) continue;
    if (w.starts_with("msg=a")) continue;
    if (w.starts_with("msg='")) {
      w.remove_prefix(5);
      eq = w.find('=');
      if (eq == std::string_view::npos || eq + 1 == w.size()) continue;
    }
    if (w[0] == '(') {
      w.remove_prefix(1);
      --eq;
    }
    std::string_view name = w.substr(0, eq);
    if (at == 0 && name == "node") {
      at = 1;
      continue;
    }
    if (name == "type") return stock_trim(std::string(w.substr(eq + 1)));
    return {};
  }
  return {};
}

void compare_line(std::string_view line) {
  if (line.size() >= record::kMaxRecordLength - 1) return;
  {
    // The first word as both header readers cut it (runs of spaces skipped).
    std::string_view visible = line.substr(0, std::min(line.find('\0'), line.size()));
    std::size_t b = visible.find_first_not_of(' ');
    if (b != std::string_view::npos && visible[b] == 'n') {
      std::size_t e = visible.find(' ', b);
      std::size_t len = (e == std::string_view::npos ? visible.size() : e) - b;
      if (len < 6) return;  // ausearch's node test, not libauparse's
    }
  }
  record::HeaderError err;
  // Seconds of 2^63 and more: stock compares them as a signed time_t, a
  // negative time that passes its upper bound; ours refuses them (the
  // kernel writes no such stamp, and a time before 1970 is no reading of
  // it). Left out.
  if (auto any = record::parse_header(line, &err, nullptr); any && any->id.sec > LONG_MAX) return;
  auto h = record::parse_header(line, &err, nullptr, kStockMaxSec);
  if (h && h->type == AUDIT_EOE) return;
  if (stock_type_value(line) == "EOE") return;
  auto stock = stock_read(line);
  if (!h && !stock) return;
  if (!h) differ("stock takes a line ours refuses", line, "refused", std::to_string(stock->type));
  if (!stock) {
    auto v = record::view_record(line, h->type);
    std::string_view raw = v.text.substr(0, v.raw_length);
    if (raw.find_first_not_of(' ') == std::string_view::npos) return;
    std::string_view whole = line.substr(0, std::min(line.find('\0'), line.size()));
    if (stock_drops_avc(whole.substr(0, std::min(whole.find(record::kInterpSeparator), whole.size()))))
      return;
  }
  if (!stock) differ("ours takes a line stock refuses", line, std::to_string(h->type), "refused");

  // The type: ours (as ausearch) reads the name past the first 5 bytes of
  // the header's type word, whatever they are; libauparse from a field
  // named type right after node=, its value trimmed (0 when there is none).
  // Where both read the same name, the numbers must agree.
  {
    std::size_t k = 0;
    const auto& sf = stock->fields;
    if (k < sf.size() && sf[k].name == "node") ++k;
    if (k < sf.size() && sf[k].name == "type" && sf[k].value == header_type_text(line) &&
        h->type != stock->type)
      differ("type", line, std::to_string(h->type), std::to_string(stock->type));
  }
  if (h->id.sec != stock->sec || h->id.msec != stock->milli || h->id.serial != stock->serial)
    differ("stamp", line,
           std::to_string(h->id.sec) + "." + std::to_string(h->id.msec) + ":" +
               std::to_string(h->id.serial),
           std::to_string(stock->sec) + "." + std::to_string(stock->milli) + ":" +
               std::to_string(stock->serial));
  if (h->id.node != stock->node)
    differ("node", line, h->id.node.value_or("(none)"), stock->node.value_or("(none)"));

  // (By stock's type too: it reads `type=AVC,` as AVC, its value trimmed.)
  if (h->type == AUDIT_AVC || h->type == AUDIT_USER_AVC || stock->type == AUDIT_AVC ||
      stock->type == AUDIT_USER_AVC)
    return;
  // libauparse's field getters take time 0 for "no event" and return NULL
  // (auparse_get_field_name checks e.sec), so a record stamped 0 (the
  // kernel's BPF load/unload notices can be) shows stock no fields to compare.
  if (stock->sec == 0) return;
  auto rec = record::view_record(line, h->type);
  std::string_view raw = rec.text.substr(0, rec.raw_length);
  auto ours = record::split_fields(raw);
  const auto& theirs = stock->fields;
  std::size_t j = 0;
  // The header's fields, which split_fields does not return.
  if (j < theirs.size() && theirs[j].name == "node") ++j;
  if (j < theirs.size() && theirs[j].name == "type") ++j;
  // A hex key= that stock makes no field of (`key=01`: only separators)
  // ahead of a node= or type= field: stock counts its header fields by
  // place among the fields it keeps, so there the later node=/type= are
  // its header; ours keeps the key as one field and with it the rest.
  // Left out (the key's by-design difference moving stock's places; no
  // writer puts a key before the header).
  {
    std::size_t k = 0;
    auto bare = [](std::string_view n) { return n.starts_with('(') ? n.substr(1) : n; };
    for (; k < ours.size() && bare(ours[k].name) == "key"; ++k) {
      std::string v = stock_trim(std::string(ours[k].value));
      if (v[0] == '"' || v[0] == '(' || stock_key_fields(v) != 0) break;
    }
    if (k > 0 && k < ours.size() && (bare(ours[k].name) == "node" || bare(ours[k].name) == "type"))
      return;
  }
  for (const auto& f : ours) {
    // Ours drops the closing quote of msg='...' when a value ends the raw
    // part with it; stock trims one quote off any value. Both from the word
    // as written.
    std::string word(f.value);
    if (f.value.data() + f.value.size() + 1 == raw.data() + raw.size() && raw.back() == '\'')
      word.push_back('\'');
    if (word.empty()) continue;
    std::string value = stock_trim(word);
    std::string name(f.name);
    if (!name.empty() && name[0] == '(') name.erase(0, 1);
    if (name == "key" && value[0] != '"' && value[0] != '(') {
      // Hex keys: stock's key fields, one per key, against our one.
      std::size_t n = stock_key_fields(value);
      for (std::size_t k = 0; k < n; ++k, ++j)
        if (j >= theirs.size() || theirs[j].name != "key")
          differ("key fields", line, word + " as " + std::to_string(n) + " keys",
                 j < theirs.size() ? theirs[j].name : "");
      continue;
    }
    if (j >= theirs.size()) differ("field only ours has", line, name + "=" + value, "");
    const auto& s = theirs[j];
    if (s.name != name || s.null_value || s.value != value)
      differ("field", line, name + "=" + value,
             s.name + "=" + (s.null_value ? "(NULL)" : s.value));
    ++j;
  }
  // A last word that is only msg='s closing quote (`key='`): ours drops
  // the quote and with it the empty value; stock keeps the word, trims the
  // quote and returns an empty field.
  if (j + 1 == theirs.size() && raw.ends_with("='") &&
      (theirs[j].null_value || theirs[j].value.empty()))
    ++j;
  if (j < theirs.size())
    differ("field only stock has", line, "", theirs[j].name + "=" + theirs[j].value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    compare_line(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return 0;
}
