#pragma once
// Expected failures are values: hd::result<T, Code> carries either a T or an hd::error<Code>,
// where Code is the module's own error enum (STYLE.md, "Errors").

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace hd {

/// An expected failure: a module's error code plus a message a person can act on.
template <class Code>
struct error {
  Code code;
  std::string message;
};

/// Thrown only when a caller asks for the value of a result that holds an error (a bug).
struct bad_result_access : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class Code>
[[noreturn]] void throw_exception_from_error(const error<Code>& e,
                                             const boost::source_location& /*loc*/) {
  throw bad_result_access(e.message);
}

/// Either a value or an hd::error<Code>.
template <class T, class Code>
using result = boost::system::result<T, error<Code>>;

/// Builds the error alternative of a result.
template <class Code>
error<Code> fail(Code code, std::string message) {
  return error<Code>{code, std::move(message)};
}

}  // namespace hd
