// helpdeskd parse FILE: show what the parser makes of a mail, without storing anything.
#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/mailparse/parser.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace hd::daemon {

void add_parse_command(CLI::App& app, cli_state& st) {
  CLI::App* cmd = app.add_subcommand(
      "parse",
      "Parse one mail (FILE, or - for stdin) and print it as JSON: addresses, decoded subject,\n"
      "text and HTML bodies, attachments and the defects found. Stores nothing.\n"
      "Exit 0 whenever the mail could be read at all, 65 when it could not.");
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(true);
  cmd->add_option("file", *file, "The mail (- for stdin)")->required();
  cmd->add_flag("--json", *json, "Print JSON (the default and only format)");
  cmd->callback([&st, file] {
    std::string raw;
    if (*file == "-") {
      raw.assign(std::istreambuf_iterator<char>(st.io.in), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(*file, std::ios::binary | std::ios::ate);
      if (!in) {
        st.fail(exit_code::no_input, fmt::format("cannot open '{}'", *file));
        return;
      }
      // Read in one piece: a 25 MB mail should not cost twice its size while being read.
      std::streamoff size = in.tellg();
      in.seekg(0);
      raw.resize(static_cast<std::size_t>(std::max<std::streamoff>(size, 0)));
      in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
      raw.resize(static_cast<std::size_t>(in.gcount()));
    }
    mailparse::limits lim;
    lim.max_message_bytes =
        std::max<std::int64_t>(lim.max_message_bytes, static_cast<std::int64_t>(raw.size()));
    auto m = mailparse::parse(raw, lim);
    if (!m) {
      st.fail(exit_code::data_error, m.error().message);
      return;
    }
    st.print_json(to_json(*m));
  });
}

}  // namespace hd::daemon
