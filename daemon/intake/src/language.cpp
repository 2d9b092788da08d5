#include "hd/intake/language.hpp"

#include <libexttextcat/textcat.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace hd::daemon {
namespace {

// textcat's cost grows with the sample (every 1- to 5-gram is counted and sorted): 4 KB made
// detection a fifth of all intake time (bench/README.md). A kilobyte of text tells Dutch,
// Norwegian, Swedish, German and English apart as well (test_ack_languages).
constexpr std::size_t max_sample_bytes = 1024;

// Fingerprint files for a reply language: Norwegian has two written standards.
std::vector<std::string> fingerprints_for(const std::string& lang) {
  if (lang == "no" || lang == "nb" || lang == "nn") return {"nb", "nn"};
  return {lang};
}

// textcat reads its list of fingerprints from a file: write one for just our languages.
std::string write_conf(const std::vector<std::string>& languages, const std::string& dir) {
  std::string lines;
  for (const std::string& lang : languages) {
    for (const std::string& fp : fingerprints_for(lang)) {
      std::filesystem::path p = std::filesystem::path(dir) / (fp + ".lm");
      std::error_code ec;
      if (std::filesystem::exists(p, ec)) lines += p.string() + " " + lang + "\n";
    }
  }
  if (lines.empty()) return {};
  std::string path = (std::filesystem::temp_directory_path() / "hd-textcat-XXXXXX").string();
  int fd = mkstemp(path.data());
  if (fd < 0) return {};
  bool ok = write(fd, lines.data(), lines.size()) == static_cast<ssize_t>(lines.size());
  close(fd);
  if (!ok) {
    std::remove(path.c_str());
    return {};
  }
  return path;
}

}  // namespace

std::unique_ptr<language_detector> language_detector::open(
    const std::vector<std::string>& languages, const std::string& fingerprint_dir) {
  std::string conf = write_conf(languages, fingerprint_dir);
  if (conf.empty()) return nullptr;
  void* h = textcat_Init(conf.c_str());
  std::remove(conf.c_str());
  if (h == nullptr) return nullptr;
  textcat_SetProperty(h, TCPROP_UTF8AWARE, TC_TRUE);
  textcat_SetProperty(h, TCPROP_MINIMUM_DOCUMENT_SIZE, 40);
  return std::unique_ptr<language_detector>(new language_detector(h));
}

language_detector::~language_detector() {
  if (handle_ != nullptr) textcat_Done(handle_);
}

std::optional<std::string> language_detector::detect(std::string_view text) const {
  std::size_t n = std::min(text.size(), max_sample_bytes);
  while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  const char* got = textcat_Classify(handle_, text.data(), n);
  if (got == nullptr || got[0] != '[') return std::nullopt;
  std::string_view r(got);
  std::size_t close = r.find(']');
  if (close == std::string_view::npos || close < 2) return std::nullopt;
  return std::string(r.substr(1, close - 1));
}

}  // namespace hd::daemon
