// helpdeskd attachments save: write a request's attachments to a directory. File names come
// from the mail, so they are made safe again here, and nothing is ever overwritten.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/common/utf8.hpp"
#include "json_storage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace hd::daemon {
namespace {

// The last path component of NAME with control characters and characters that are special
// on some file system replaced, no leading dots (no hidden files, no ".."), at most 180 bytes
// (cut on a UTF-8 boundary, extension kept); FALLBACK when nothing usable is left.
std::string safe_file_name(std::string_view name, const std::string& fallback) {
  std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string s = repair_utf8(name);
  for (char& c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || std::strchr("<>:\"|?*", c) != nullptr) c = '_';
  }
  std::size_t b = s.find_first_not_of(". ");
  s = b == std::string::npos ? std::string() : s.substr(b);
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
  if (s.empty()) return fallback;
  constexpr std::size_t max = 180;
  if (s.size() > max) {
    std::size_t dot = s.rfind('.');
    std::string ext = dot != std::string::npos && s.size() - dot <= 16 ? s.substr(dot) : "";
    std::size_t cut = max - ext.size();
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + ext;
  }
  return s;
}

// "name.pdf", "name (2).pdf", "name (3).pdf" ...
std::string numbered(const std::string& name, int n) {
  if (n == 1) return name;
  std::size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return fmt::format("{} ({})", name, n);
  return fmt::format("{} ({}){}", name.substr(0, dot), n, name.substr(dot));
}

// Creates a new file in DIR (never replacing one, never following a symlink) holding BYTES.
// Returns its path; on failure nullopt, with WHY set.
std::optional<std::string> write_new_file(const std::filesystem::path& dir, const std::string& name,
                                          std::string_view bytes, std::string& why) {
  for (int n = 1; n <= 1000; ++n) {
    std::filesystem::path p = dir / numbered(name, n);
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) {
      why = fmt::format("cannot create {}: {}", p.string(), std::strerror(errno));
      return std::nullopt;
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    int err = done == bytes.size() ? 0 : errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err != 0 || done != bytes.size()) {
      ::unlink(p.c_str());
      why = fmt::format("cannot write {}: {}", p.string(), std::strerror(err));
      return std::nullopt;
    }
    return p.string();
  }
  why = fmt::format("too many files named like {} in {}", name, dir.string());
  return std::nullopt;
}

struct save_options {
  std::int64_t request = 0;
  std::string dir;
  std::int64_t message = 0;
  bool json = false;
};

void save(cli_state& st, const save_options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto files = storage::request_attachments(
      *db, o.request, o.message ? std::optional<std::int64_t>(o.message) : std::nullopt);
  if (!files) return fail_storage(st, files.error());
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (!std::filesystem::is_directory(o.dir)) {
    st.fail(exit_code::can_t_create, fmt::format("{} is not a directory", o.dir));
    return;
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const storage::attachment_data& f : *files) {
    std::string name = safe_file_name(
        f.info.filename, fmt::format("attachment-{}-{}", f.info.message_id, f.info.position));
    std::string why;
    auto path = write_new_file(o.dir, name, f.bytes, why);
    if (!path) {
      st.fail(exit_code::can_t_create, why);
      return;
    }
    nlohmann::ordered_json j = to_json(f.info);
    j["path"] = *path;
    out.push_back(j);
    if (!o.json) st.io.out << *path << "\n";
  }
  if (o.json) st.print_json(out);
  st.log.info("attachments.saved", {{"request", o.request}, {"files", files->size()}});
  st.exit = exit_code::ok;
}

}  // namespace

void add_attachments_commands(CLI::App& app, cli_state& st) {
  CLI::App* att = app.add_subcommand("attachments", "Attachments of requests");
  att->require_subcommand(1);
  auto o = std::make_shared<save_options>();
  CLI::App* save_cmd = att->add_subcommand(
      "save",
      "Write the attachments of request ID into DIR (created if missing) and print their paths.\n"
      "File names are made safe (no directories, no hidden files); an existing file is never\n"
      "overwritten: \"name (2).pdf\" is written instead.");
  save_cmd->add_option("ID", o->request, "Request id")->required();
  save_cmd->add_option("DIR", o->dir, "Directory to write into")->required();
  save_cmd->add_option("--message", o->message, "Only the attachments of this message id");
  save_cmd->add_flag("--json", o->json, "Print JSON (attachment fields plus \"path\")");
  save_cmd->callback([&st, o] { save(st, *o); });
}

}  // namespace hd::daemon
