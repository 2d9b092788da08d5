#pragma once
// Recognises mail sent by programs: out-of-office replies, delivery-status notifications,
// bulk mail (fills parsed_message::robot).

#include "hd/common/message.hpp"

namespace hd::mailparse {

/// Fills m.robot from m's decoded headers and attachments (run after the body walk). A
/// subject alone is never a reason.
void classify_robot(parsed_message& m);

}  // namespace hd::mailparse
