// `bpfaudit index [FILE|DIR]...`: builds or refreshes the history index
// beside each log (userspace/search/history_index.h). Our own command, so
// CLI11 parses it; a binary of its own, as `bpfaudit engine` is, so that
// CLI11's static set-up does not run at every start of ausearch.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "auditd_conf.h"
#include "history_index.h"
#include "unique_fd.h"

namespace {

using bpfaudit::search::HistoryIndex;

// A log and its rotations, as ausearch reads them: LOG, LOG.1, LOG.2, ...
void add_rotations(const std::string& log, std::vector<std::string>& out) {
  if (::access(log.c_str(), R_OK) != 0) return;
  out.push_back(log);
  for (int n = 1;; ++n) {
    std::string name = log + "." + std::to_string(n);
    if (::access(name.c_str(), R_OK) != 0) break;
    out.push_back(name);
  }
}

// Whether `path`'s index is usable and covers every complete line.
bool up_to_date(const std::string& path, std::string* why) {
  bpfaudit::base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) return false;
  auto idx = HistoryIndex::load(path, fd.get(), why);
  if (!idx) return false;
  if (idx->covered() == static_cast<std::uint64_t>(st.st_size)) return true;
  // Only a partial last line left uncovered counts as up to date.
  char c = 0;
  if (st.st_size > 0 && ::pread(fd.get(), &c, 1, st.st_size - 1) == 1 && c != '\n') {
    std::string rest(static_cast<std::size_t>(st.st_size) - idx->covered(), '\0');
    if (::pread(fd.get(), rest.data(), rest.size(), static_cast<off_t>(idx->covered())) ==
            static_cast<ssize_t>(rest.size()) &&
        rest.find('\n') == std::string::npos)
      return true;
  }
  if (why) *why = "log grew";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Build or refresh the history index beside audit logs (LOG.bpfidx), which lets ausearch "
      "read only the blocks of a log that can match. Without FILE|DIR: the log named in "
      "auditd.conf and its rotations; a DIR means DIR/audit.log and its rotations.",
      "bpfaudit index"};
  std::vector<std::string> inputs;
  std::uint32_t block_size = bpfaudit::search::kDefaultIndexBlock;
  std::uint64_t eoe = 0;
  std::string conf_path = "/etc/audit/auditd.conf";
  bool force = false, check = false, quiet = false;
  app.add_option("inputs", inputs, "Log files or directories")->type_name("FILE|DIR");
  app.add_option("--block-size", block_size, "Bytes of log per block (at least 4096)")
      ->check(CLI::Range(4096u, 1u << 30));
  app.add_option("--eoe-timeout", eoe,
                 "End-of-event timeout the block links are computed with (default: auditd.conf's)");
  app.add_option("--config", conf_path, "auditd.conf to read log_file from");
  app.add_flag("--force", force, "Rebuild indexes that are up to date");
  app.add_flag("--check", check, "Only say whether each index is usable and up to date");
  app.add_flag("-q,--quiet", quiet, "Print nothing but errors");
  CLI11_PARSE(app, argc, argv);

  auto conf = bpfaudit::record::load_auditd_conf(conf_path);
  if (eoe == 0) eoe = conf ? conf->end_of_event_timeout : 2;
  std::vector<std::string> files;
  if (inputs.empty()) {
    std::string log = conf ? conf->log_file : std::string("/var/log/audit/audit.log");
    add_rotations(log, files);
    if (files.empty()) {
      std::fprintf(stderr, "bpfaudit index: no readable log at %s\n", log.c_str());
      return 1;
    }
  }
  for (const auto& in : inputs) {
    struct stat st {};
    if (::stat(in.c_str(), &st) != 0) {
      std::fprintf(stderr, "bpfaudit index: %s: %s\n", in.c_str(), std::strerror(errno));
      return 1;
    }
    if (S_ISDIR(st.st_mode)) {
      std::string log = in;
      if (log.back() != '/') log.push_back('/');
      log += "audit.log";
      std::size_t before = files.size();
      add_rotations(log, files);
      if (files.size() == before) {
        std::fprintf(stderr, "bpfaudit index: %s: no readable audit.log\n", in.c_str());
        return 1;
      }
    } else if (S_ISREG(st.st_mode)) {
      files.push_back(in);
    } else {
      std::fprintf(stderr, "bpfaudit index: %s: not a regular file or directory\n", in.c_str());
      return 1;
    }
  }

  int status = 0;
  for (const auto& f : files) {
    std::string why;
    bool fresh = up_to_date(f, &why);
    if (check) {
      std::printf("%s: %s\n", f.c_str(), fresh ? "up to date" : why.c_str());
      if (!fresh) status = 1;
      continue;
    }
    if (fresh && !force) {
      if (!quiet) std::printf("%s: up to date\n", f.c_str());
      continue;
    }
    auto t0 = std::chrono::steady_clock::now();
    // A usable index of a log that grew is extended (the same bytes as a
    // rebuild, reading only the new part); --force reads every log whole.
    auto r = bpfaudit::search::build_index(f, block_size, eoe, !force);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r) {
      std::fprintf(stderr, "bpfaudit index: %s\n", r.error().text().c_str());
      status = 1;
      continue;
    }
    if (!quiet)
      std::printf("%s: %u blocks, %llu of %llu bytes covered, index %llu bytes (%.2f%%), %.3f s%s\n",
                  f.c_str(), r->blocks, static_cast<unsigned long long>(r->covered),
                  static_cast<unsigned long long>(r->log_bytes),
                  static_cast<unsigned long long>(r->index_bytes),
                  r->log_bytes ? 100.0 * static_cast<double>(r->index_bytes) /
                                     static_cast<double>(r->log_bytes)
                               : 0.0,
                  secs,
                  r->reused ? (", extended: blocks before byte " + std::to_string(r->reused) +
                               " kept").c_str()
                            : "");
  }
  return status;
}
