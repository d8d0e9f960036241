// Test driver for the interpretation layer: prints every event of the given
// logs the way `ausearch -if LOG <format>` does with no search criteria.
//
//   interpret_driver [--format interpret|csv|text] [--escape MODE]
//                    [--extra-keys] [--extra-labels] [--extra-obj2]
//                    [--extra-time] LOG...
//
// Events are read with the record library (LineReader, parse_header,
// EventAssembler: stock grouping). Unlike stock it does not drop events that
// ausearch's own search-item parser rejects, except with --stock-drops, which
// applies the one such rule the test logs need (see stock_drops below) and
// reports on stderr how many events it dropped.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "event.h"
#include "interpret.h"
#include "log_reader.h"

using namespace bpfaudit::record;

namespace {
// Stock's parse_avc (src/ausearch-parse.c) fails, and ausearch then drops the
// whole event even with no criteria, when a kernel AVC has no tclass= (as
// AppArmor AVCs have none) or an "avc: ... {" without the closing brace.
// This belongs to the search engine's parser; the driver only needs it to
// line its output up with stock's.
bool stock_drops(const Event& ev) {
  for (const Record& r : ev.records) {
    if (r.type != 1400) continue;  // AUDIT_AVC
    std::string_view raw = r.raw();
    std::size_t avc = raw.find("avc: ");
    std::size_t from = 0;
    if (avc != std::string_view::npos) {
      std::size_t brace = raw.find('{', avc);
      if (brace != std::string_view::npos) {
        if (raw.find('}', brace) == std::string_view::npos) return true;
        from = brace;
      }
    }
    if (raw.find("tclass=", from) == std::string_view::npos) return true;
  }
  return false;
}
}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");
  std::string format = "interpret";
  EscapeMode mode = EscapeMode::kTty;
  CsvOptions csv;
  bool apply_drops = false;
  std::size_t dropped = 0;
  std::vector<std::string> logs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-i") {
      format = "interpret";
    } else if (a == "--format" && i + 1 < argc) {
      format = argv[++i];
    } else if (a == "--escape" && i + 1 < argc) {
      auto m = parse_escape_mode(argv[++i]);
      if (!m) {
        std::fprintf(stderr, "bad escape mode %s\n", argv[i]);
        return 2;
      }
      mode = *m;
    } else if (a == "--stock-drops") {
      apply_drops = true;
    } else if (a == "--extra-keys") {
      csv.extra_keys = true;
    } else if (a == "--extra-labels") {
      csv.extra_labels = true;
    } else if (a == "--extra-obj2") {
      csv.extra_obj2 = true;
    } else if (a == "--extra-time") {
      csv.extra_time = true;
    } else {
      logs.push_back(a);
    }
  }
  if (format != "interpret" && format != "csv" && format != "text") {
    std::fprintf(stderr, "bad format %s\n", format.c_str());
    return 2;
  }

  Interpreter interp(mode);
  std::string out;
  bool found = false;
  auto emit = [&](const Event& ev) {
    if (apply_drops && stock_drops(ev)) {
      ++dropped;
      return;
    }
    found = true;
    if (format == "interpret")
      interp.write_interpreted(ev, out);
    else if (format == "csv")
      interp.write_csv(ev, csv, out);
    else
      interp.write_text(ev, out);
    if (out.size() > (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
    std::string err = interp.take_errors();
    if (!err.empty()) std::fputs(err.c_str(), stderr);
  };

  EventAssembler assembler;
  for (const auto& path : logs) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "Error opening %s (%s)\n", path.c_str(), std::strerror(errno));
      return 1;
    }
    LineReader reader(fd, kMaxRecordLength - 1);
    while (auto line = reader.next()) {
      auto h = parse_header(*line);
      if (!h) continue;
      assembler.add(*h, view_record(*line, h->type));
      while (auto ev = assembler.pop_ready()) emit(*ev);
    }
    ::close(fd);
  }
  assembler.close_all();
  while (auto ev = assembler.pop_ready()) emit(*ev);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (apply_drops) std::fprintf(stderr, "stock-drops: %zu\n", dropped);
  if (!found) std::fputs("<no matches>\n", stderr);
  return found ? 0 : 1;
}
