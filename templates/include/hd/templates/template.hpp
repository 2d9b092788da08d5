#pragma once
// Reply templates: Mustache (logic-less, so customer text can never execute), one file per
// template and language with a subject, a plain-text body and an optional HTML body. Pure:
// the daemon reads the files and hands their contents over. Format: docs/templates.md.

#include "hd/common/error.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::templates {

enum class errc {
  syntax,     ///< the file's sections or the Mustache inside them do not parse
  not_found,  ///< no template with that name in any acceptable language
};

/// The three Mustache sources of one template in one language.
struct reply_template {
  std::string subject;              ///< one line once rendered
  std::string text;                 ///< plain-text body (not escaped)
  std::optional<std::string> html;  ///< HTML body (variables HTML-escaped by default)
};

/// Parses a template file: sections introduced by the lines "--- subject", "--- text" and
/// optionally "--- html"; lines before the first section starting with '#' are comments.
/// Checks that every section is valid Mustache. `origin` names the file in error messages.
result<reply_template, errc> parse_template_file(std::string_view contents,
                                                 std::string_view origin);

/// Problems that do not stop a template loading but make it render wrongly: every variable
/// (`{{name}}`, `{{#name}}`, ...) that is not one of variable_names() (inside `{{#person}}`,
/// `{{name}}` means `person.name`), each as "ORIGIN:LINE:COLUMN: unknown variable 'x'" with
/// the nearest known name. Lines and columns count in the whole file, from 1.
std::vector<std::string> template_warnings(std::string_view contents, std::string_view origin);

/// The variables reply_vars provides, as templates name them ("request.id", "person.name",
/// ...), and the objects that hold some of them ("request", "person", "agent").
const std::vector<std::string>& variable_names();

/// What a template may refer to. Empty strings are left out, so `{{#company}}...{{/company}}`
/// renders only when there is a company.
struct reply_vars {
  std::int64_t request_id = 0;
  std::string request_tag;  ///< "[#123]"
  std::string request_title;
  std::string category;
  std::string priority;
  std::string owner;  ///< the owner's display name (or login)
  std::string person_name;
  std::string person_first_name;
  std::string person_email;
  std::string company;
  std::string mailbox;  ///< the address the customer wrote to
  std::string team;     ///< who signs: [outgoing] from_name
  std::string original_subject;
  std::string quote;  ///< a short quote of the customer's message (see make_quote)
  std::string language;
  std::string agent_text;  ///< {{text}}: what the agent wrote (requests reply --template)
  std::string agent_name;  ///< {{agent.name}}: the replying agent's name (or login)
};

/// A rendered template: a one-line subject (control characters replaced by spaces), a text
/// body with LF line ends, and the HTML body if the template has one.
struct rendered {
  std::string subject;
  std::string text;
  std::optional<std::string> html;
};

/// Renders T with V. Never fails on hostile values: they are data, not template text.
rendered render(const reply_template& t, const reply_vars& v);

/// The first name for a greeting: "Berg, Åsa" -> "Åsa", "Åsa Berg" -> "Åsa", "" -> "".
std::string first_name(std::string_view display_name);

/// A short quote of a customer's text for the acknowledgement: the first non-empty lines that
/// are not quotes ("> ...") or a signature ("-- "), at most `max_lines` lines and `max_bytes`
/// bytes (cut on a UTF-8 character boundary, with " ..." appended when cut).
std::string make_quote(std::string_view text, std::size_t max_lines = 6,
                       std::size_t max_bytes = 400);

/// "nb_NO", "NB-no" -> "nb-no"; keeps only letters, digits and '-'. Empty for empty input.
std::string normalize_language(std::string_view tag);

/// The templates the daemon loaded: name -> language -> template.
class library {
 public:
  /// Adds (or replaces) NAME in LANGUAGE (normalized).
  void add(std::string_view name, std::string_view language, reply_template t);
  /// The best language of NAME for WANTED: exact tag, then its primary subtag ("nb-no" ->
  /// "nb"), then Norwegian aliases (nb/nn/no), then FALLBACK, then "en", then any. nullopt if
  /// NAME does not exist.
  std::optional<std::string> pick_language(std::string_view name, std::string_view wanted,
                                           std::string_view fallback) const;
  /// The template NAME in exactly LANGUAGE, or nullptr.
  const reply_template* find(std::string_view name, std::string_view language) const;
  /// The languages NAME exists in (sorted).
  std::vector<std::string> languages(std::string_view name) const;
  /// Every template name (sorted).
  std::vector<std::string> names() const;
  bool empty() const { return by_name_.empty(); }

 private:
  std::map<std::string, std::map<std::string, reply_template>, std::less<>> by_name_;
};

}  // namespace hd::templates
