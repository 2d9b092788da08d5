// Mail content for a browser: a message's body as a safe HTML document, and attachments as
// bytes. Mail is hostile, so every answer here carries its own Content-Security-Policy (nothing
// runs, nothing loads from elsewhere unless the agent asked for remote images) besides the
// sanitiser (mailparse/html_safe) and the app's sandboxed iframe: three walls.
#include "api_impl.hpp"
#include "hd/common/utf8.hpp"
#include "hd/mailparse/html_safe.hpp"
#include "hd/storage/requests.hpp"
#include "hd/templates/compose.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace hd::daemon::api_detail {
namespace {

// cid: images of at most this size are put in the document as data: URLs (the sandboxed
// frame has no origin, so it could not fetch them with the agent's cookie); larger ones, and
// those past the total, point at the attachment route.
constexpr std::int64_t max_inline_image_bytes = 2 * 1024 * 1024;
constexpr std::int64_t max_inline_images_total = 8 * 1024 * 1024;

// Shown around the mail: readable defaults, nothing fetched.
constexpr std::string_view document_head =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
    "<meta name=\"referrer\" content=\"no-referrer\"><title>mail</title><style>"
    "body{font-family:system-ui,sans-serif;margin:8px;overflow-wrap:anywhere}"
    "pre{white-space:pre-wrap;font-family:inherit;margin:0}img{max-width:100%;height:auto}"
    "</style></head><body>\n";

bool previewable(std::string_view type) {
  return type == "image/png" || type == "image/jpeg" || type == "image/gif" ||
         type == "image/webp" || type == "application/pdf";
}

bool inline_image(std::string_view type) {
  return type == "image/png" || type == "image/jpeg" || type == "image/gif" || type == "image/webp";
}

// Standard base64 (libsodium), for data: URLs.
std::string base64(std::string_view in) {
  std::string out(sodium_base64_ENCODED_LEN(in.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()),
                    in.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// Content-Disposition (RFC 6266) with the file name as RFC 5987 UTF-8 and an ASCII fallback;
// the name is cut to its last path component, without controls, quotes or leading dots.
std::string disposition(bool inline_, std::string_view name, const std::string& fallback) {
  std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string clean;
  for (char c : repair_utf8(name)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f && c != '"' && c != '\\') clean += c;
  }
  std::size_t b = clean.find_first_not_of(". ");
  clean = b == std::string::npos ? fallback : clean.substr(b);
  if (clean.size() > 200) clean = fallback;
  std::string ascii, encoded;
  for (char c : clean) {
    unsigned char u = static_cast<unsigned char>(c);
    ascii += u < 0x80 && c != '%' ? c : '_';
    if (std::isalnum(u) || std::strchr("!#$&+-.^_`|~", c) != nullptr) {
      encoded += c;
    } else {
      encoded += fmt::format("%{:02X}", u);
    }
  }
  return fmt::format("{}; filename=\"{}\"; filename*=UTF-8''{}", inline_ ? "inline" : "attachment",
                     ascii, encoded);
}

http::response not_found(std::string_view what) { return fail(404, "not_found", what); }

// The message MID of request ID, with its attachments' bytes; an answer when there is none.
struct message_with_files {
  storage::message_detail message;
  std::vector<storage::attachment_data> files;
};
std::optional<message_with_files> load_message(context& cx, std::int64_t id, std::int64_t mid,
                                               http::response& err) {
  auto d = storage::show_request(cx.db, id);
  if (!d) {
    err = storage_failure(cx, d.error());
    return std::nullopt;
  }
  auto m = std::find_if(d->messages.begin(), d->messages.end(),
                        [&](const storage::message_detail& x) { return x.id == mid; });
  if (m == d->messages.end()) {
    err = not_found(fmt::format("request #{} has no message {}", id, mid));
    return std::nullopt;
  }
  message_with_files out{std::move(*m), {}};
  if (!out.message.attachments.empty()) {
    auto files = storage::request_attachments(cx.db, id, mid);
    if (!files) {
      err = storage_failure(cx, files.error());
      return std::nullopt;
    }
    out.files = std::move(*files);
  }
  return out;
}

http::response message_html(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0), mid = cx.id_arg(1);
  if (!id || !mid) return not_found("no such message");
  http::response err;
  std::optional<message_with_files> m = load_message(cx, *id, *mid, err);
  if (!m) return err;
  bool images = cx.req.param("images") == "1";
  std::string body;
  int blocked = 0;
  const std::optional<std::string>& html = m->message.body_html;
  if (html && !html->empty()) {
    mailparse::html_safe_options o;
    o.remote_images = images;
    std::int64_t inlined = 0;
    o.cid_url = [&](std::string_view cid) -> std::optional<std::string> {
      for (const storage::attachment_data& f : m->files) {
        if (!f.info.content_id || *f.info.content_id != cid) continue;
        std::string type = templates::safe_content_type(f.info.content_type);
        if (!inline_image(type)) return std::nullopt;
        if (f.info.size <= max_inline_image_bytes &&
            inlined + f.info.size <= max_inline_images_total) {
          inlined += f.info.size;
          return "data:" + type + ";base64," + base64(f.bytes);
        }
        return fmt::format("/api/requests/{}/attachments/{}.{}?inline=1", *id, *mid,
                           f.info.position);
      }
      return std::nullopt;
    };
    mailparse::html_safe_result r = mailparse::sanitise_html(*html, o);
    // Fail closed: the output is parsed again and checked by rules of their own; should the
    // sanitiser ever let something through, the agent sees the text instead.
    std::string cid_prefix = fmt::format("/api/requests/{}/attachments/", *id);
    if (mailparse::html_active_content(r.html, cid_prefix).empty()) {
      body = std::move(r.html);
      blocked = r.blocked_images;
    } else {
      if (cx.env.log) cx.env.log->warn("mail_html_refused", {{"request", *id}, {"message", *mid}});
      body = "<pre>" + mailparse::html_escape(m->message.body_text) + "</pre>";
    }
  } else {
    body = "<pre>" + mailparse::html_escape(m->message.body_text) + "</pre>";
  }
  http::response res;
  res.content_type = "text/html; charset=utf-8";
  res.body = std::string(document_head) + body + "\n</body></html>\n";
  res.headers.emplace_back(
      "Content-Security-Policy",
      fmt::format("default-src 'none'; img-src 'self' data:{}; style-src 'unsafe-inline'; "
                  "sandbox allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'self'",
                  images ? " https:" : ""));
  // The app shows the mail in a frame of its own origin (the server's default is DENY).
  res.headers.emplace_back("X-Frame-Options", "SAMEORIGIN");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("X-Blocked-Images", std::to_string(blocked));
  return res;
}

// "12.0": message 12, attachment position 0 (the "message" and "position" of the JSON).
std::optional<std::pair<std::int64_t, int>> attachment_id(std::string_view aid) {
  std::size_t dot = aid.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::int64_t m = 0;
  int p = -1;
  auto [e1, c1] = std::from_chars(aid.data(), aid.data() + dot, m);
  auto [e2, c2] = std::from_chars(aid.data() + dot + 1, aid.data() + aid.size(), p);
  if (c1 != std::errc() || e1 != aid.data() + dot || c2 != std::errc() ||
      e2 != aid.data() + aid.size() || m <= 0 || p < 0)
    return std::nullopt;
  return std::pair{m, p};
}

http::response attachment(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  auto aid = cx.args.size() > 1 ? attachment_id(cx.args[1]) : std::nullopt;
  if (!id || !aid) return not_found("no such attachment (the form is MESSAGE.POSITION)");
  auto files = storage::request_attachments(cx.db, *id, aid->first);
  if (!files) return storage_failure(cx, files.error());
  auto f = std::find_if(files->begin(), files->end(), [&](const storage::attachment_data& x) {
    return x.info.position == aid->second;
  });
  if (f == files->end())
    return not_found(fmt::format("request #{} has no attachment {}", *id, cx.args[1]));
  std::string type = templates::safe_content_type(f->info.content_type);
  bool show = cx.req.param("inline") == "1" && previewable(type);
  http::response res;
  res.content_type = type;
  res.body = std::move(f->bytes);
  res.headers.emplace_back("Content-Disposition",
                           disposition(show, f->info.filename,
                                       fmt::format("attachment-{}-{}", aid->first, aid->second)));
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // A PDF preview needs the browser's viewer, which a sandboxed document may not start.
  res.headers.emplace_back("Content-Security-Policy",
                           show && type == "application/pdf"
                               ? "default-src 'none'; frame-ancestors 'self'"
                               : "sandbox; default-src 'none'");
  if (show) res.headers.emplace_back("X-Frame-Options", "SAMEORIGIN");
  return res;
}

}  // namespace

std::vector<route> content_routes() {
  return {
      {{"GET", "/api/requests/{id}/messages/{mid}/html", access::read}, message_html},
      {{"GET", "/api/requests/{id}/attachments/{aid}", access::read}, attachment},
  };
}

}  // namespace hd::daemon::api_detail
