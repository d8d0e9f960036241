#include "format.h"

#include <auparse.h>
#include <libaudit.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>

#include "interpret.h"
#include "record.h"

extern "C" void _auparse_flush_caches(void);

namespace bpfaudit::collector {

namespace {
// Stock's format buffer: a record plus a host name.
constexpr std::size_t kFormatBufLen = record::kMaxRecordLength + 255;
constexpr std::size_t kMinSpaceLeft = 24;
}  // namespace


Enricher::~Enricher() {
  if (au_) auparse_destroy(au_);
}

void Enricher::enrich(std::string& line, int type) {
  std::size_t len_left = kFormatBufLen > line.size() ? kFormatBufLen - line.size() : 0;
  if (len_left <= kMinSpaceLeft) return;
  std::string message = line + "\n";
  if (!au_) {
    au_ = auparse_init(AUSOURCE_BUFFER, message.c_str());
    if (!au_) return;
    auparse_set_escape_mode(au_, AUPARSE_ESC_RAW);
    auparse_set_eoe_timeout(static_cast<time_t>(eoe_timeout_));
  } else {
    auparse_new_buffer(au_, message.c_str(), message.size());
  }
  if (type == AUDIT_ADD_USER || type == AUDIT_ADD_GROUP) _auparse_flush_caches();
  int separators = 0;
  int rc = auparse_first_record(au_);
  while (rc > 0 && len_left > kMinSpaceLeft) {
    int ftype = auparse_get_field_type(au_);
    bool encode = ftype == AUPARSE_TYPE_UID || ftype == AUPARSE_TYPE_GID;
    bool plain = ftype == AUPARSE_TYPE_SYSCALL || ftype == AUPARSE_TYPE_ARCH ||
                 ftype == AUPARSE_TYPE_SOCKADDR;
    if (encode || plain) {
      if (separators++ == 0) {
        line.push_back(record::kInterpSeparator);
        --len_left;
      }
      std::string name;
      for (const char* p = auparse_get_field_name(au_); p && *p && name.size() < 63; ++p)
        name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(*p))));
      const char* value = auparse_interpret_field(au_);
      if (!value) value = "?";
      std::string field;
      if (encode) {
        char* enc = audit_encode_nv_string(name.c_str(), value, std::strlen(value));
        if (enc) {
          field = enc;
          std::free(enc);
        }
      } else if (ftype == AUPARSE_TYPE_SOCKADDR) {
        // Stock 3.0.9 writes the interpretation raw: a unix socket path
        // with a newline (any program can connect to one) then puts a
        // line of its choosing in the log, e.g. a forged `type=USER_AUTH`
        // record (kernel.forged_records). Control bytes are written as
        // `ausearch -i` shows them, \ooo; auparse reads SADDR={...} to the
        // end of the record, so nothing else changes.
        field = name + "=" + record::escape_controls(value);
      } else {
        field = name + "=" + value;
      }
      // Stock skips a field that does not fit rather than truncating it.
      std::size_t need = 1 + field.size() + 1;
      if (!field.empty() && need < len_left) {
        std::size_t used = field.size();
        if (separators > 1) {
          line.push_back(' ');
          ++used;
        }
        line += field;
        len_left -= used;
      }
    }
    rc = auparse_next_field(au_);
  }
  if (type == AUDIT_USER_MGMT || type == AUDIT_DEL_USER || type == AUDIT_DEL_GROUP ||
      type == AUDIT_GRP_MGMT)
    _auparse_flush_caches();
}

DaemonSerial::DaemonSerial() {
  std::random_device rd;
  next_ = rd() % 10000;
}

record::Stamp DaemonSerial::next() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {static_cast<std::uint64_t>(ts.tv_sec),
          static_cast<std::uint32_t>(ts.tv_nsec / 1000000),
          next_++,
          {}};
}

std::string daemon_payload(const record::Stamp& s, std::string_view body) {
  std::string out;
  record::append_stamp(out, s);
  return out.append(body);
}

std::string start_body(record::LogFormat fmt, std::string_view kernel_release, std::uint32_t auid,
                       int pid, std::uint32_t uid, std::uint32_t ses) {
  char buf[512];
  // Stock writes at most 56 bytes of the release; ver= names the audit version
  // whose log format we write.
  std::snprintf(buf, sizeof(buf),
                "op=start ver=3.0.9 format=%s kernel=%.56s auid=%u pid=%d uid=%u ses=%u "
                "res=success",
                record::log_format_name(fmt), std::string(kernel_release).c_str(), auid, pid, uid,
                ses);
  return buf;
}

std::string signal_body(std::string_view op, std::uint32_t sender_auid, std::uint32_t sender_uid,
                        std::string_view sender_ses, int sender_pid, std::string_view res) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), "op=%.*s auid=%u uid=%u ses=%.*s pid=%d res=%.*s",
                static_cast<int>(op.size()), op.data(), sender_auid, sender_uid,
                static_cast<int>(sender_ses.size()), sender_ses.data(), sender_pid,
                static_cast<int>(res.size()), res.data());
  return buf;
}

}  // namespace bpfaudit::collector
