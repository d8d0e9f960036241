#include "input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "unique_fd.h"

namespace bpfaudit::search {

namespace {

int process_file(LogSink& sink, const std::string& path, bool last, std::FILE* err) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    std::fprintf(err, "Error opening %s (%s)\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  return sink.process_fd(fd.get(), path, last);
}

// The log and its rotations, oldest (highest number) first; with a loaded
// checkpoint, starting at the file it names.
int process_logs(LogSink& sink, const std::string& log_file, Checkpoint* cp, std::FILE* err) {
  int num = 0;
  std::string name = log_file;
  bool found_checkpointed = false;
  while (::access(name.c_str(), R_OK) == 0) {
    if (cp && cp->has_data()) {
      struct stat st {};
      if (::stat(name.c_str(), &st)) {
        std::fprintf(err, "Error stat'ing %s (%s)\n", name.c_str(), std::strerror(errno));
        return 1;
      }
      if (cp->is_checkpointed_file(st.st_dev, st.st_ino) && !cp->time_only()) {
        found_checkpointed = true;
        ++num;
        break;
      }
    }
    ++num;
    name = log_file + "." + std::to_string(num);
  }
  if (cp && cp->has_data() && !found_checkpointed && !cp->time_only()) return 10;
  --num;
  if (!cp) {
    // Without a checkpoint only the order matters, so the sink gets every
    // file at once (and may read them in parallel).
    std::vector<std::string> paths;
    for (int n = num; n > 0; --n) paths.push_back(log_file + "." + std::to_string(n));
    paths.push_back(log_file);
    return sink.process_paths(paths, err);
  }
  for (int n = num;; --n) {
    std::string path = n > 0 ? log_file + "." + std::to_string(n) : log_file;
    // Stock flushes open events only at the end of the newest file; with no
    // readable log at all it still tries (and fails to open) the base name.
    bool last = n <= 0;
    if (int rc = process_file(sink, path, last, err)) return rc;
    if (sink.done() || n <= 0) {
      if (cp) return cp->set_file(path, err) ? 0 : 1;
      break;
    }
  }
  return 0;
}

bool is_fifo(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

}  // namespace

int LogSink::process_paths(const std::vector<std::string>& paths, std::FILE* err) {
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (int rc = process_file(*this, paths[i], i + 1 == paths.size(), err)) return rc;
    if (done()) break;
  }
  return 0;
}

int read_inputs(const InputChoice& choice, LogSink& sink, Checkpoint* cp, std::FILE* err,
                bool* checkpoint_dropped) {
  if (checkpoint_dropped) *checkpoint_dropped = false;
  if (choice.input) {
    struct stat st {};
    if (::stat(choice.input->c_str(), &st) == -1) {
      std::fprintf(err, "stat: %s\n", std::strerror(errno));
      return 1;
    }
    if (S_ISDIR(st.st_mode)) {
      std::string log = *choice.input;
      if (log.back() != '/') log.push_back('/');
      log += "audit.log";
      std::fprintf(err, "NOTE - using logs in %s\n", log.c_str());
      return process_logs(sink, log, cp, err);
    }
    int rc = process_file(sink, *choice.input, true, err);
    if (cp) cp->set_file(*choice.input, err);
    return rc;
  }
  if (choice.force_logs || !is_fifo(choice.stdin_fd))
    return process_logs(sink, choice.log_file, cp, err);
  int rc = sink.process_fd(choice.stdin_fd, "stdin", true);
  if (cp) {
    std::fprintf(err, "Warning - checkpointing stdin is not supported");
    if (checkpoint_dropped) *checkpoint_dropped = true;  // a pipe never overwrites the checkpoint
  }
  return rc;
}

}  // namespace bpfaudit::search
