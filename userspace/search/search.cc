#include "search.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "event.h"
#include "log_reader.h"

namespace bpfaudit::search {

int run(const Options& opts, std::FILE* out, std::FILE* err) {
  record::EventAssembler assembler;
  bool found = false;
  for (const auto& path : opts.input_files) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(err, "Error opening %s (%s)\n", path.c_str(), std::strerror(errno));
      return 1;
    }
    record::LineReader reader(fd, record::kMaxRecordLength - 1);
    while (auto line = reader.next()) {
      auto h = record::parse_header(*line);
      if (!h) continue;
      assembler.add(*h, record::make_record(*line, h->type));
      while (auto ev = assembler.pop_ready()) {
        found = true;
        for (const auto& r : ev->records) std::fprintf(out, "%s\n", r.text.c_str());
      }
    }
    ::close(fd);
  }
  assembler.close_all();
  while (auto ev = assembler.pop_ready()) {
    found = true;
    for (const auto& r : ev->records) std::fprintf(out, "%s\n", r.text.c_str());
  }
  return found ? 0 : 1;
}

}  // namespace bpfaudit::search
