// autrace front end: stock 3.0.9's command line (`autrace [-r] program [args]`)
// plus our -k KEY, -o FILE and -b MIB; the work is done by bpfaudit_trace.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tools.h"
#include "trace.h"

namespace bpfaudit::compat {

namespace {

int usage() {
  std::fprintf(stderr, "usage: autrace [-r] program\n");
  return 1;
}

}  // namespace

int autrace_main(int argc, char** argv) {
  trace::Options opts;
  int i = 1;
  // Options end at the program name, so the program's own options pass through.
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "-r") {
      opts.resource_only = true;
    } else if ((a == "-k" || a == "-o") && i + 1 < argc) {
      (a == "-k" ? opts.key : opts.sink.output_file) = argv[++i];
    } else if (a == "-b" && i + 1 < argc) {
      // Ours: the ring buffer's size in MiB, a power of two.
      const char* v = argv[++i];
      char* end = nullptr;
      errno = 0;
      unsigned long long mib = std::strtoull(v, &end, 10);
      if (errno || end == v || *end || v[0] == '-' || mib == 0 || (mib & (mib - 1)) ||
          (mib << 20) > ebpf::kMaxRingBytes) {
        std::fprintf(stderr,
                     "autrace: -b takes the ring buffer size in MiB, a power of two from 1 to "
                     "%llu, not '%s'\n",
                     static_cast<unsigned long long>(ebpf::kMaxRingBytes >> 20), v);
        return 1;
      }
      opts.ring_bytes = static_cast<std::size_t>(mib) << 20;
    } else {
      return usage();  // -h and anything unknown, as stock
    }
  }
  if (i >= argc) return usage();
  for (; i < argc; ++i) opts.command.emplace_back(argv[i]);
  return trace::run(opts, stdout, stderr);
}

}  // namespace bpfaudit::compat
