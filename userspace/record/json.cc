#include "json.h"

#include <libaudit.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bpfaudit::record {

namespace {

void append_json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out.append(buf);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Untrusted strings the kernel hex-encodes when unsafe; decoded in JSON.
bool is_encoded_field(std::string_view name) {
  static constexpr std::string_view kNames[] = {"comm", "exe", "name", "cwd", "path", "proctitle",
                                                "acct", "cmd", "key", "data", "ocomm", "sig"};
  for (auto n : kNames)
    if (n == name) return true;
  return false;
}

}  // namespace

void write_json(const Event& ev, std::string& out) {
  out.append("{\"time\":");
  out.append(std::to_string(ev.id.sec)).push_back('.');
  char ms[8];
  std::snprintf(ms, sizeof(ms), "%03u", ev.id.msec);
  out.append(ms).append(",\"serial\":").append(std::to_string(ev.id.serial));
  if (ev.id.node) {
    out.append(",\"node\":");
    append_json_string(*ev.id.node, out);
  }
  out.append(",\"records\":[");
  bool first_record = true;
  for (const auto& r : ev.records) {
    if (!first_record) out.push_back(',');
    first_record = false;
    out.append("{\"type\":");
    append_json_string(type_name(r.type), out);
    out.append(",\"fields\":{");
    bool first_field = true;
    auto fields = split_fields(r.raw());
    // Long records (EXECVE of many arguments) count names in a map, not by
    // looking back at every earlier field.
    std::unordered_map<std::string_view, std::size_t> counts;
    const bool use_map = fields.size() > 32;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const Field& f = fields[i];
      if (!first_field) out.push_back(',');
      first_field = false;
      // A name can repeat in one record (a user message's text may carry
      // res= before the res= its sender appends). JSON names should be
      // unique (RFC 8259 4; shippers keep one of them): the k-th occurrence
      // is written NAME_k, so no value is lost.
      std::size_t seen = 1;
      if (use_map) {
        seen = ++counts[f.name];
      } else {
        for (std::size_t k = 0; k < i; ++k)
          if (fields[k].name == f.name) ++seen;
      }
      if (seen == 1) {
        append_json_string(f.name, out);
      } else {
        std::string renamed(f.name);
        renamed.push_back('_');
        renamed += std::to_string(seen);
        append_json_string(renamed, out);
      }
      out.push_back(':');
      bool quoted = f.value.size() >= 2 && f.value.front() == '"';
      bool execve_arg = r.type == AUDIT_EXECVE && f.name != "argc" &&
                        f.name.find("_len") == std::string_view::npos;
      if (quoted || ((is_encoded_field(f.name) || execve_arg) && f.value != "(null)"))
        append_json_string(decode_value(f.value), out);
      else
        append_json_string(f.value, out);
    }
    out.append("}}");
  }
  out.append("]}\n");
}

}  // namespace bpfaudit::record
