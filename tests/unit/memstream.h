// A FILE* that collects what is written to it, for testing code that prints
// to stdio streams the way the stock tools do.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace bpfaudit::testing {

class MemStream {
 public:
  MemStream() : file_(::open_memstream(&buf_, &len_)) {}
  ~MemStream() {
    if (file_) std::fclose(file_);
    std::free(buf_);
  }
  MemStream(const MemStream&) = delete;
  MemStream& operator=(const MemStream&) = delete;

  std::FILE* file() { return file_; }
  // Everything written so far.
  std::string str() {
    std::fflush(file_);
    return std::string(buf_, len_);
  }

 private:
  char* buf_ = nullptr;
  std::size_t len_ = 0;
  std::FILE* file_;
};

}  // namespace bpfaudit::testing
