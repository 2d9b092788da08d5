#pragma once
// Language detection for replies: libexttextcat's n-gram classifier, restricted to the
// languages replies can be written in (so "no" never loses to Danish when there is no Danish
// template). Used when neither the person's language nor Content-Language is known.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::daemon {

class language_detector {
 public:
  /// Builds a classifier for LANGUAGES (tags such as "en", "nl", "no", "sv", "de") from the
  /// fingerprints in FINGERPRINT_DIR (Debian: /usr/share/libexttextcat; "no" uses nb.lm and
  /// nn.lm). Languages without a fingerprint are left out. nullptr when none is left or the
  /// library cannot load them.
  static std::unique_ptr<language_detector> open(const std::vector<std::string>& languages,
                                                 const std::string& fingerprint_dir);

  language_detector(const language_detector&) = delete;
  language_detector& operator=(const language_detector&) = delete;
  ~language_detector();

  /// The most likely language of TEXT (only its first few KiB are looked at), or nullopt when
  /// the text is too short or unlike every language.
  std::optional<std::string> detect(std::string_view text) const;

 private:
  explicit language_detector(void* handle) : handle_(handle) {}
  void* handle_;
};

/// Debian's fingerprint directory.
inline constexpr const char* default_fingerprint_dir = "/usr/share/libexttextcat";

}  // namespace hd::daemon
