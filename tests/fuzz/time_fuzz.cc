// -ts/-te time expressions as ausearch and aureport read them: keywords,
// dates in the locale's %x form, times, in either order, under several
// locales and time zones.
//
// Input: byte 0 chooses start/end, the locale and the time zone; then one
// or two words (the second after a newline or blank).
#include <clocale>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

#include "fuzz_util.h"
#include "options.h"
#include "report_options.h"

using namespace bpfaudit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  std::uint8_t sel = in.byte();
  static const char* const kLocales[] = {"C", "C.UTF-8", "POSIX", "en_US.UTF-8"};
  static const char* const kZones[] = {"UTC", "America/New_York", "Australia/Lord_Howe",
                                       "Pacific/Chatham", "Asia/Kolkata", "Europe/Dublin",
                                       "<+0330>-3:30", "XXX-14"};
  std::setlocale(LC_ALL, kLocales[(sel >> 1) % 4]);
  ::setenv("TZ", kZones[(sel >> 3) % 8], 1);
  ::tzset();
  bool start = sel & 1;

  std::string first(in.line());
  std::string rest(in.rest());
  std::size_t cut = first.find(' ');
  if (cut != std::string::npos && rest.empty()) {
    rest = first.substr(cut + 1);
    first.resize(cut);
  }
  // argv words cannot hold a NUL.
  first = first.substr(0, first.find('\0'));
  rest = rest.substr(0, rest.find('\0'));
  const char* second = rest.empty() ? nullptr : rest.c_str();
  std::FILE* err = fuzz::null_stream();

  std::int64_t value = 0;
  bool checkpoint = false;
  search::parse_time_words(start, first.c_str(), second, value, &checkpoint, err);

  // The same words through both front ends' command lines.
  std::vector<std::string> args{"ausearch", start ? "-ts" : "-te", first};
  if (second) args.push_back(rest);
  args.push_back("-if");
  args.push_back("/nonexistent");
  auto argv = fuzz::argv_of(args);
  search::Options sopts;
  search::parse_options(static_cast<int>(args.size()), argv.data(), sopts, err, err);
  args[0] = "aureport";
  argv = fuzz::argv_of(args);
  report::Options ropts;
  report::parse_options(static_cast<int>(args.size()), argv.data(), ropts, err, err);

  // An explicit date and time mean one instant, as a start or as an end.
  if (second && first.find_first_of("0123456789") == 0 &&
      rest.find_first_of("0123456789") == 0) {
    std::int64_t s = 0, e = 0;
    bool ok_s = search::parse_time_words(true, first.c_str(), second, s, nullptr, err);
    bool ok_e = search::parse_time_words(false, first.c_str(), second, e, nullptr, err);
    if (ok_s != ok_e || (ok_s && s != e)) {
      std::fprintf(stderr, "start/end differ for '%s' '%s': %d %lld / %d %lld\n", first.c_str(),
                   rest.c_str(), ok_s, static_cast<long long>(s), ok_e, static_cast<long long>(e));
      std::abort();
    }
  }
  return 0;
}
