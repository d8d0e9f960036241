#include "checkpoint.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace bpfaudit::search {

namespace {
constexpr std::uint64_t kMaxEventDeltaSecs = 2;
}

int Checkpoint::load(std::FILE* err) {
  std::FILE* f = std::fopen(path_.c_str(), "r");
  if (!f) {
    if (errno == ENOENT) return -1;
    std::fprintf(err, "Cannot open checkpoint file - %s: %s\n", path_.c_str(),
                 std::strerror(errno));
    return -2;
  }
  char line[1023];
  while (std::fgets(line, sizeof(line), f)) {
    std::size_t len = std::strlen(line);
    if (len && line[len - 1] == '\n') line[len - 1] = 0;
    if (std::strncmp(line, "dev=", 4) == 0) {
      errno = 0;
      dev_ = std::strtoul(line + 4, nullptr, 16);
      if (errno) {
        std::fprintf(err, "Malformed dev checkpoint line - [%s]\n", line);
        failure_ |= kStatusBad;
        break;
      }
    } else if (std::strncmp(line, "inode=", 6) == 0) {
      errno = 0;
      ino_ = std::strtoul(line + 6, nullptr, 0);
      if (errno) {
        std::fprintf(err, "Malformed inode checkpoint line - [%s]\n", line);
        failure_ |= kStatusBad;
        break;
      }
    } else if (std::strncmp(line, "output=", 7) == 0) {
      in_ = Mark{};
      const char* node = line + 7;
      const char* rest = std::strchr(node, ' ');
      if (!rest) {
        std::fprintf(err, "Malformed output/event checkpoint line near node - [%s]\n", line);
        failure_ |= kStatusBad;
        break;
      }
      // Stock keeps the whole remainder as the node name, so a named node
      // never compares equal again; "-" means no node.
      if (*node != '-') in_.node = std::string(node);
      unsigned long sec, serial;
      unsigned msec, type;
      if (std::sscanf(rest, "%lu.%03u:%lu 0x%X", &sec, &msec, &serial, &type) != 4) {
        std::fprintf(err, "Malformed output/event checkpoint line after node - [%s]\n", line);
        failure_ |= kStatusBad;
        break;
      }
      in_.sec = sec;
      in_.msec = msec;
      in_.serial = serial;
      in_.type = type;
    } else {
      std::fprintf(err, "Unknown checkpoint line - [%s]\n", line);
      failure_ |= kStatusBad;
      break;
    }
  }
  if (ino_ == 0 || dev_ == 0) {
    std::fprintf(err, "Missing dev/inode lines from checkpoint file %s\n", path_.c_str());
    failure_ |= kStatusBad;
  }
  std::fclose(f);
  if (failure_) return -3;
  has_data_ = true;
  return 0;
}

Checkpoint::Decision Checkpoint::decide(const record::EventId& id, int first_type) {
  if (can_output_) return Decision::kOutput;
  if (!has_data_ || in_.sec == 0) {
    can_output_ = true;
    return Decision::kOutput;
  }
  if (time_only_ && (in_.sec < id.sec || (in_.sec == id.sec && in_.msec <= id.msec))) {
    can_output_ = true;
    return Decision::kOutput;
  }
  if (in_.sec == id.sec && in_.msec == id.msec && in_.serial == id.serial &&
      in_.type == static_cast<unsigned>(first_type) && in_.node == id.node) {
    can_output_ = true;
    return Decision::kOutputAfter;
  }
  if (in_.sec < id.sec && id.sec - in_.sec > kMaxEventDeltaSecs) return Decision::kCorrupt;
  return Decision::kSkip;
}

void Checkpoint::remember(const record::EventId& id, int first_type) {
  last_.sec = id.sec;
  last_.msec = id.msec;
  last_.serial = id.serial;
  last_.node = id.node;
  last_.type = static_cast<unsigned>(first_type);
}

bool Checkpoint::set_file(const std::string& file, std::FILE* err) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    std::fprintf(err, "Cannot stat audit file for checkpoint details - %s: %s\n", file.c_str(),
                 std::strerror(errno));
    failure_ |= kStatFailed;
    return false;
  }
  out_dev_ = st.st_dev;
  out_ino_ = st.st_ino;
  return true;
}

void Checkpoint::save(std::FILE* err) {
  std::FILE* f = std::fopen(path_.c_str(), "w");
  if (!f) {
    std::fprintf(err, "Cannot open checkpoint file - %s: %s\n", path_.c_str(),
                 std::strerror(errno));
    failure_ |= kStatusIo;
    return;
  }
  std::fprintf(f, "dev=0x%X\ninode=%u\n", static_cast<unsigned>(out_dev_),
               static_cast<unsigned>(out_ino_));
  std::fprintf(f, "output=%s %lu.%03u:%lu 0x%X\n", last_.node ? last_.node->c_str() : "-",
               static_cast<unsigned long>(last_.sec), last_.msec,
               static_cast<unsigned long>(last_.serial), last_.type);
  std::fclose(f);
}

}  // namespace bpfaudit::search
