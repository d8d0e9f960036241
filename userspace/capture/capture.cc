#include "capture.h"

#include "record.h"

namespace bpfaudit::capture {

std::string format_log_line(int type, std::string_view payload) {
  // The kernel may pad or NUL-terminate the text.
  while (!payload.empty() && (payload.back() == '\0' || payload.back() == '\n'))
    payload.remove_suffix(1);
  std::string out = "type=" + record::type_name(type) + " msg=";
  out.append(payload);
  return out;
}

}  // namespace bpfaudit::capture
