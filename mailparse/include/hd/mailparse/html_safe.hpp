#pragma once
// HTML mail made safe to show in a browser: an allow-list over the gumbo parse tree, then
// re-serialised. What survives is formatting (text styles, paragraphs, headings, lists, tables,
// quotes, pre/code, font), links and images; nothing a browser can run or fetch on its own.
//
// The rules, in short (html_safe.cpp has the tables):
// - Allowed elements keep allowed attributes only; every on* attribute, id, class, and every
//   attribute holding a URL other than a/href and img/src is dropped.
// - script, style, head, title, iframe, frame(set), object, embed, applet, noscript, noembed,
//   noframes, template, svg, math, select, textarea, audio, video, canvas and every element not
//   in the HTML namespace are dropped with their content; meta, link, base, input, param,
//   source, track, area, col are dropped. Any other element (form, button, label, unknown tags)
//   is unwrapped: its tags go, its allowed content stays. Comments and doctypes go.
// - a/href: only absolute http, https and mailto URLs survive (tabs, newlines and leading
//   control characters removed first, as a browser does); the link gets
//   rel="noopener noreferrer" and target="_blank". A link without a usable href is unwrapped.
// - img/src: cid: goes through options.cid_url (no URL: the image is dropped); http(s) is kept
//   only when options.remote_images, else the image is replaced by its alt text and counted in
//   blocked_images; data: only for image/png, image/gif, image/jpeg and image/webp. Any other
//   image is replaced by its alt text.
// - style="...": a small set of properties is kept (colours, font, text alignment and
//   decoration, margins, paddings, borders, sizes); a declaration is dropped when its value has
//   anything but letters, digits, spaces and # % . , - _ ' " (plus rgb()/rgba()/hsl()/hsla()
//   colours of numbers): no url(, expression(, @import, backslash escapes, comments or
//   semicolons in disguise.
// - Text and attribute values are re-escaped (& < > " ').
// The output is an HTML fragment for the inside of <body>. Serve it under a strict
// Content-Security-Policy too: the sanitiser is one wall, the CSP and the iframe sandbox others.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::mailparse {

struct html_safe_options {
  /// Input beyond this many bytes is cut off before parsing (the rest is not shown; `cut` is
  /// set). Default 4 MiB: far above real HTML mail, small enough to parse fast.
  std::size_t max_input_bytes = 4 * 1024 * 1024;
  /// Elements nested deeper than this are unwrapped (their text is kept). When the input's
  /// tags could nest more than four times this, it is not parsed at all (gumbo's time grows
  /// with the square of the depth) and its readable text is shown instead, escaped in <pre>.
  std::size_t max_depth = 100;
  /// Keep http(s) images (the agent asked to see them); off: they are blocked and counted.
  bool remote_images = false;
  /// The URL to use for image cid:ID (ID percent-decoded, without < >); nullopt drops it.
  std::function<std::optional<std::string>(std::string_view content_id)> cid_url;
};

struct html_safe_result {
  std::string html;        ///< the safe fragment
  int blocked_images = 0;  ///< remote images left out (see remote_images)
  bool cut = false;        ///< the input was longer than max_input_bytes, or nested too deep
};

/// HTML (UTF-8) made safe to display, by the rules above. Never throws on bad input; time and
/// stack are linear in the input (no recursion).
html_safe_result sanitise_html(std::string_view html, const html_safe_options& options = {});

/// The reasons HTML (a sanitiser's output) is not inert, after parsing it as a browser would:
/// a forbidden element, an on* or unknown attribute, a link or image URL with a scheme outside
/// http, https, mailto and data:image/(png|gif|jpeg|webp), a comment. Independent of
/// sanitise_html's code (its own short tables), so it can check it: the fuzz target's oracle
/// and the unit tests use it. `allowed_image_prefix` also passes image URLs starting with it
/// (what cid_url makes). Empty: inert.
std::vector<std::string> html_active_content(std::string_view html,
                                             std::string_view allowed_image_prefix = {});

/// TEXT escaped for HTML text and attribute values (& < > " ').
std::string html_escape(std::string_view text);

}  // namespace hd::mailparse
