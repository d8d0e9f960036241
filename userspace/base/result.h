// The one error type of the tree, and the one way to return a value or the
// error that kept it from being made.
//
// An Error carries what a caller decides on and what a user reads: `code` is a
// negative errno where the kernel or a system call refused (the netlink ack,
// bpf(), open()), so callers can tell EPERM from ENOENT without parsing words,
// and 0 where only the message says what went wrong (a missing BTF file, a
// rule the engine cannot hold). Front ends print `message`, or strerror(-code)
// in stock's words where stock prints that.
//
// C++23's std::expected is the model; g++ 12 in C++20 mode does not have it.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace bpfaudit::base {

struct Error {
  int code = 0;         // -errno, or 0
  std::string message;  // may be empty when code says it all

  // The message, or strerror's words for the code when there is no message.
  std::string text() const {
    if (!message.empty() || code == 0) return message;
    return std::strerror(-code);
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  static Result fail(int code, std::string message = {}) {
    return Error{code, std::move(message)};
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  // -errno of the error, 0 when there is a value.
  int code() const { return ok() ? 0 : error().code; }

 private:
  std::variant<T, Error> v_;
};

// Success with nothing to return, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit on purpose
  static Result fail(int code, std::string message = {}) {
    return Error{code, std::move(message)};
  }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  int code() const { return ok() ? 0 : error_->code; }

 private:
  std::optional<Error> error_;
};

}  // namespace bpfaudit::base
