#pragma once
// Subject handling for threading: our request tag ("[#123]") and the reply/forward prefixes
// mail clients add in many languages ("Re:", "AW:", "SV:", "VS:", "Antw:", "Fwd:", "回复:" ...).
// Pure functions: no SQL, no I/O.

#include "hd/common/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hd::storage {

/// The first request tag "[" + PREFIX + digits + "]" in TEXT, or nullopt. The prefix compares
/// ASCII case-insensitively ("[ticket#12]" matches prefix "Ticket#"); at most 15 digits;
/// spaces inside the brackets are tolerated ("[ #12 ]"). Anything may come before or after
/// it, so any number of reply prefixes, list tags or "(fwd)" markers do not hide it.
std::optional<std::int64_t> find_request_tag(std::string_view text, std::string_view prefix);

/// SUBJECT without leading reply and forward prefixes, in any number and mix: "Re:", "RE :",
/// "Re[2]:", "Re^3:", "AW:", "SV:", "VS:", "Antw:", "Antwort:", "Fwd:", "FW:", "WG:", "TR:",
/// "RV:", "Odp:", "YNT:", "回复:", "返信:", "Отв:", "ΑΠ:" ... (fullwidth colons too). Text
/// that merely starts with such a word ("Return policy", "Svar mangler") is kept.
std::string strip_reply_prefixes(std::string_view subject);

/// The title for a new request made from SUBJECT: reply prefixes and our own request tags
/// removed, whitespace collapsed at the ends; "(no subject)" when nothing is left.
std::string request_title(std::string_view subject, std::string_view tag_prefix);

/// Whether a mail was sent by a program and not a person, for threading (docs/storage.md,
/// "Automatic mail"): Auto-Submitted other than "no" and the vendor headers like it, a null
/// Return-Path, or a delivery-status notification (robot_facts). Bulk and list mail alone is
/// not: people write through lists. Such mail joins the request it refers to without reopening
/// it, and one that refers to none makes a request that is closed at once, tagged
/// k_automatic_tag.
bool is_automatic(const robot_facts& r);

/// The event kind for automatic mail on a request: "auto_reply" (out-of-office, vacation),
/// "delivery_report" (a DSN), or "automatic".
std::string_view automatic_event_kind(const robot_facts& r);

/// What made the mail automatic, in words ("Auto-Submitted: auto-replied"), or "automatic
/// mail" when robot_facts gave no reason.
std::string_view automatic_reason(const robot_facts& r);

/// The tag on a request made by automatic mail that referred to no request.
inline constexpr std::string_view k_automatic_tag = "automatic";

}  // namespace hd::storage
