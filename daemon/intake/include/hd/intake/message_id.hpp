#pragma once
// The one source of randomness for outgoing mail: every Message-ID the daemon or the CLI
// writes (acknowledgement, agent reply, forward, redirect) takes its unique part from here.
#include <string>

namespace hd::daemon {

/// 16 lowercase hex digits (64 bits) from the kernel's CSPRNG (getrandom(2)). Throws
/// std::system_error if the kernel cannot give random bytes (never silently weaker).
std::string random_token();

}  // namespace hd::daemon
