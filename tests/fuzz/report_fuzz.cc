// aureport over an arbitrary log, through report::parse_options and
// report::run as the front end calls them: every report, summary or detailed,
// raw or interpreted.
//
// Input: byte 0 chooses the report, byte 1 its modifiers (-i, --summary,
// --failed/--success, escape), byte 2 optional time/node options or an
// option line from the input; the rest is the log.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "report.h"
#include "report_options.h"
#include "search_criteria.h"

using namespace bpfaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  std::uint8_t kind = in.byte();
  std::uint8_t mods = in.byte();
  std::uint8_t extra = in.byte();

  static const char* const kReports[] = {
      "",   "-au", "-a",  "-c",  "-cr", "-e",  "-f",  "-h",  "-k",  "-l",   "-m",
      "-ma", "-n", "-p",  "-r",  "-s",  "-t",  "-tm", "-u",  "-x",  "--comm", "--virt",
      "--integrity", "--tty", "-x -i", "-au -i"};
  std::vector<std::string> args{"aureport"};
  for (auto& w : fuzz::words(kReports[kind % std::size(kReports)])) args.push_back(w);
  if (mods & 1) args.push_back("-i");
  if (mods & 2) args.push_back("--summary");
  switch ((mods >> 2) & 3) {
    case 1: args.push_back("--failed"); break;
    case 2: args.push_back("--success"); break;
    default: break;
  }
  static const char* const kEscapes[] = {nullptr, "raw", "shell", "shell_quote"};
  if (const char* e = kEscapes[(mods >> 4) & 3]) {
    args.push_back("--escape");
    args.push_back(e);
  }
  static const char* const kExtra[] = {
      "", "-ts 01/01/2000 -te now", "--node node1", "--eoe-timeout 0", "-nc", "-ts recent",
      "--eoe-timeout 100000"};
  constexpr std::size_t kExtraCount = std::size(kExtra);
  if (extra % (kExtraCount + 1) < kExtraCount) {
    for (auto& w : fuzz::words(kExtra[extra % (kExtraCount + 1)])) args.push_back(w);
  } else {
    auto w = fuzz::words(in.line());
    if (w.size() > 32) w.resize(32);
    for (std::size_t k = 0; k < w.size(); ++k) {
      if (fuzz::forbidden_word(w[k])) {
        ++k;
        continue;
      }
      args.push_back(w[k]);
    }
  }

  fuzz::MemFile log(in.rest());
  args.push_back("-if");
  args.push_back(log.path());

  auto argv = fuzz::argv_of(args);
  report::Options opts;
  std::FILE* out = fuzz::null_stream();
  if (report::parse_options(static_cast<int>(args.size()), argv.data(), opts, out, out) !=
      search::ParseOutcome::kRun)
    return 0;
  search::Environment env;
  static const std::string conf = fuzz::scratch_file("auditd.conf", "");
  env.auditd_conf = conf.c_str();
  env.stdin_fd = -1;
  report::run(opts, out, out, env);
  return 0;
}
