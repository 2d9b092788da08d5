#pragma once
// The raw bytes of a test mail built from its parsed form: rules read headers (and addresses)
// from the raw header block, as a Sieve engine does, so the two must agree.

#include "hd/common/message.hpp"

#include <string>

inline std::string raw_mail(const hd::parsed_message& m) {
  std::string raw;
  for (const hd::header_field& h : m.headers) raw += h.name + ": " + h.value + "\r\n";
  return raw + "\r\n" + m.text;
}
