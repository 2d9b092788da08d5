#pragma once
// The agents' web app (docs/web.md): static files built into the daemon and served on the
// API's listener at /. The app is plain JavaScript over the API (no build step, no third-party
// code); its page carries a strict Content-Security-Policy (scripts and styles from this
// origin only, nothing inline).

#include "hd/http/message.hpp"

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace hd::daemon {

/// The web app's files by name ("app.js"), as built in from daemon/api/web/.
const std::vector<std::pair<std::string_view, std::string_view>>& web_files();

/// The answer to REQ when it asks for the app: "/" (the page) or "/static/NAME" (a file),
/// with ETag revalidation; nullopt for any other path.
std::optional<http::response> web_page(const http::request& req);

}  // namespace hd::daemon
