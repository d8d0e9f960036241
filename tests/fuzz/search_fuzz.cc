// ausearch over an arbitrary log, through the same entry the front end uses
// (search::parse_options, then search::run), in every output format.
//
// Input: byte 0 chooses the format (raw, default, interpret, csv, text, json,
// or -i), the escape mode and the csv extras; byte 1 the criteria
// (search_criteria.h; the last choice reads an option line from the input);
// the rest is the log, raw or enriched.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "options.h"
#include "search.h"
#include "search_criteria.h"

using namespace bpfaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  std::uint8_t mode = in.byte();
  std::uint8_t crit = in.byte();

  std::vector<std::string> args{"ausearch"};
  static const char* const kFormats[] = {"raw", "default", "interpret", "csv", "text", "json"};
  switch (mode % 8) {
    case 6: args.push_back("-i"); break;
    case 7: args.push_back("-r"); break;
    default:
      args.push_back("--format");
      args.push_back(kFormats[mode % 8]);
  }
  static const char* const kEscapes[] = {nullptr, "raw", "shell", "shell_quote"};
  if (const char* e = kEscapes[(mode >> 3) % 4]) {
    args.push_back("--escape");
    args.push_back(e);
  }
  if (mode & 0x20) {
    for (const char* x : {"--extra-keys", "--extra-labels", "--extra-obj2", "--extra-time"})
      args.push_back(x);
  }
  fuzz::add_criteria(crit, in, args);

  fuzz::MemFile log(in.rest());
  args.push_back("-if");
  args.push_back(log.path());

  auto argv = fuzz::argv_of(args);
  search::Options opts;
  std::FILE* out = fuzz::null_stream();
  if (search::parse_options(static_cast<int>(args.size()), argv.data(), opts, out, out) !=
      search::ParseOutcome::kRun)
    return 0;
  search::Environment env;
  static const std::string conf = fuzz::scratch_file("auditd.conf", "");
  env.auditd_conf = conf.c_str();
  env.stdin_fd = -1;
  search::run(opts, out, out, env);
  return 0;
}
