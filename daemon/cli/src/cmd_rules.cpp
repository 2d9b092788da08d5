// helpdeskd rules check / rules test: the admin's tools for the Sieve routing rules. `check`
// reports every error with a caret under it; `test` is a dry run over mail files that shows
// the actions, the decision and a trace of every test with its line, so a wrong rule can be
// found and fixed from the output alone. Neither touches the database.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/ack.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/intake/routing.hpp"
#include "hd/mailparse/parser.hpp"
#include "hd/mailparse/rfc2047.hpp"
#include "hd/mailparse/sieve_parts.hpp"
#include "hd/storage/threading.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <sstream>

namespace hd::daemon {
namespace {

using json = nlohmann::ordered_json;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

rules::limits limits_of(const config* cfg) {
  rules::limits lim;
  if (cfg == nullptr) return lim;
  lim.max_script_bytes = static_cast<std::size_t>(cfg->rules.max_script_bytes);
  lim.max_nesting = cfg->rules.max_nesting;
  lim.max_variable_bytes = static_cast<std::size_t>(cfg->rules.max_variable_bytes);
  return lim;
}

// "  3 | filein "x";" and "    | ^" under the byte column (tabs kept, UTF-8 counted once).
std::string caret(std::string_view text, int line, int column) {
  std::size_t start = 0;
  for (int l = 1; l < line && start != std::string_view::npos; ++l) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos || start > text.size()) return "";
  std::string_view src = text.substr(start, text.find('\n', start) - start);
  if (!src.empty() && src.back() == '\r') src.remove_suffix(1);
  std::string gutter = fmt::format("{:>4} | ", line);
  std::string pad;
  for (std::size_t i = 0; i + 1 < static_cast<std::size_t>(column) && i < src.size(); ++i) {
    if (src[i] == '\t')
      pad += '\t';
    else if ((static_cast<unsigned char>(src[i]) & 0xC0) != 0x80)
      pad += ' ';
  }
  return fmt::format("{}{}\n{:>4} | {}^\n", gutter, src, "", pad);
}

struct loaded_config {
  std::optional<config> cfg;
  std::string problem;  ///< why the config could not be used (names then go unchecked)
};

loaded_config try_config(cli_state& st) {
  loaded_config out;
  auto c = hd::load_config(st.config_path, st.io.env);
  if (c) {
    out.cfg = std::move(*c);
  } else {
    out.problem = c.error().message;
  }
  return out;
}

// Prints every error; returns true when there were none.
bool report_errors(cli_state& st, const std::string& file, std::string_view text,
                   const std::vector<rules::script_error>& errors, json* out) {
  for (const rules::script_error& e : errors) {
    if (out) {
      out->push_back(
          {{"file", file}, {"line", e.line}, {"column", e.column}, {"message", e.message}});
    } else {
      st.io.out << fmt::format("{}:{}:{}: error: {}\n{}", file, e.line, e.column, e.message,
                               caret(text, e.line, e.column));
    }
  }
  return errors.empty();
}

// Surprises that are not errors: a rule that leaves a config setting unreachable, and template
// names in the config that do not exist. Printed as warnings; the exit code stays 0.
json collect_warnings(cli_state& st, const std::string& file, std::string_view text,
                      const loaded_config& lc, bool as_json) {
  json out = json::array();
  auto s = rules::compile(text, file, limits_of(lc.cfg ? &*lc.cfg : nullptr));
  if (s) {
    for (const rules::script_error& w : rules::setting_warnings(*s)) {
      out.push_back(
          {{"file", file}, {"line", w.line}, {"column", w.column}, {"message", w.message}});
      if (!as_json) {
        st.io.out << fmt::format("{}:{}:{}: warning: {}\n{}", file, w.line, w.column, w.message,
                                 caret(text, w.line, w.column));
      }
    }
  }
  if (lc.cfg) {
    for (const std::string& p :
         template_reference_problems(*lc.cfg, load_reply_kit(lc.cfg->outgoing.templates_dir))) {
      out.push_back({{"file", lc.cfg->source}, {"message", p}});
      if (!as_json) st.io.out << "warning: " << p << "\n";
    }
  }
  return out;
}

void run_check(cli_state& st, const std::string& file_arg, bool as_json) {
  loaded_config lc = try_config(st);
  std::string file = file_arg;
  if (file.empty()) {
    if (!lc.cfg) {
      st.io.err << lc.problem << "\n";
      st.exit = exit_code::config;
      return;
    }
    file = lc.cfg->rules.file;
    if (file.empty()) {
      st.fail(exit_code::usage,
              fmt::format("no rules file: give FILE or set [rules] file in {}", lc.cfg->source));
      return;
    }
  }
  auto text = read_file(file);
  if (!text) {
    st.fail(exit_code::no_input, fmt::format("cannot read '{}'", file));
    return;
  }
  rules::known_names known = lc.cfg ? known_names_of(*lc.cfg) : rules::known_names{};
  auto errors = rules::compile_errors(*text, file, limits_of(lc.cfg ? &*lc.cfg : nullptr), known);
  json list = json::array();
  bool ok = report_errors(st, file, *text, errors, as_json ? &list : nullptr);
  json warnings = ok ? collect_warnings(st, file, *text, lc, as_json) : json::array();
  if (as_json) {
    st.print_json({{"file", file},
                   {"ok", ok},
                   {"names_checked", lc.cfg.has_value()},
                   {"errors", list},
                   {"warnings", warnings}});
  } else if (ok) {
    st.io.out << fmt::format("{}: OK{}{}\n", file,
                             lc.cfg ? fmt::format(" (names checked against {})", lc.cfg->source)
                                    : std::string(" (names not checked: no usable config)"),
                             warnings.empty() ? std::string()
                                              : fmt::format(", {} warning{}", warnings.size(),
                                                            warnings.size() == 1 ? "" : "s"));
  } else {
    st.io.out << fmt::format("{}: {} error{}\n", file, errors.size(),
                             errors.size() == 1 ? "" : "s");
  }
  if (!lc.cfg && !as_json) st.io.err << "helpdeskd: warning: " << lc.problem << "\n";
  st.exit = ok ? exit_code::ok : exit_code::data_error;
}

struct test_options {
  std::string rules_file;
  std::vector<std::string> mails;
  bool json = false;
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  bool followup = false;
  std::string mailbox;
};

json to_json(const std::string& file, const rules::outcome& o, const rules::decision& d) {
  json actions = json::array();
  for (const rules::action& a : o.actions)
    actions.push_back({{"type", a.type}, {"argument", a.argument}, {"line", a.line}});
  auto opt = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json decision = {{"create_request", d.create_request},
                   {"category", opt(d.category)},
                   {"owner", opt(d.owner)},
                   {"priority", opt(d.priority)},
                   {"tags", d.tags},
                   {"ack", d.ack},
                   {"template", opt(d.template_name)}};
  if (!d.reason.empty()) decision["reason"] = d.reason;
  if (!d.notes.empty()) decision["notes"] = d.notes;
  json trace = json::array();
  for (const rules::trace_entry& t : o.trace) {
    json e = {{"line", t.line},
              {"column", t.column},
              {"depth", t.depth},
              {"kind", t.kind},
              {"text", t.text}};
    if (t.kind == "test") e["result"] = t.result;
    if (!t.detail.empty()) e["detail"] = t.detail;
    trace.push_back(std::move(e));
  }
  return {{"file", file},
          {"actions", actions},
          {"implicit_keep", o.implicit_keep},
          {"decision", decision},
          {"trace", trace}};
}

// What the rules left open, filled as intake would (without touching the database): the
// mailbox's defaults, and no acknowledgement for mail the daemon would never acknowledge (an
// out-of-office, a bounce, a list, a robot, our own mail) with the same reason.
rules::decision with_defaults(const rules::decision& d, const config* cfg, const std::string& mb,
                              const parsed_message& mail, std::string_view raw) {
  rules::decision out = d;
  if (out.create_request && storage::is_automatic(mail.robot)) {
    out.notes.push_back(fmt::format(
        "automatic mail ({}): joins the request it refers to without reopening it; if it "
        "refers to none, its request is closed at once and tagged '{}'",
        storage::automatic_reason(mail.robot), storage::k_automatic_tag));
  }
  if (cfg == nullptr) return out;
  if (out.ack) {
    if (auto why = auto_reply_block(mail, raw, *cfg)) {
      out.ack = false;
      out.notes.push_back("no acknowledgement: " + *why);
    }
  }
  const mailbox_config* m = cfg->find_mailbox(mb);
  if (out.category.empty() && m) out.category = m->category;
  if (out.priority.empty() && m) out.priority = m->priority;
  for (const priority_config& p : cfg->priorities)
    if (out.priority.empty() && p.is_default) out.priority = p.name;
  if (out.template_name.empty() && out.ack) out.template_name = cfg->ack.template_name;
  return out;
}

std::string owner_text(const rules::decision& d, const config* cfg) {
  if (!d.owner.empty()) return d.owner;
  if (cfg)
    for (const category_config& c : cfg->categories)
      if (c.name == d.category)
        return fmt::format("(by the category's method: {})", to_string(c.method));
  return "(unassigned)";
}

void print_human(cli_state& st, const std::string& file, const std::string& script,
                 const parsed_message& m, const rules::outcome& o, const rules::decision& d,
                 const config* cfg) {
  std::ostream& out = st.io.out;
  out << fmt::format("== {} (rules: {})\n   from {}, subject \"{}\"\n", file, script,
                     m.from ? m.from->addr : "(none)", m.subject.value_or(""));
  for (const rules::trace_entry& t : o.trace) {
    std::string verdict = t.kind == "test" ? (t.result ? "true " : "false") : "do   ";
    out << fmt::format("   line {:<4} {}  {}{}{}\n", t.line, verdict,
                       std::string(static_cast<std::size_t>(t.depth) * 2, ' '), t.text,
                       t.detail.empty() ? "" : "   (" + t.detail + ")");
  }
  std::string acts;
  for (const rules::action& a : o.actions)
    acts += fmt::format("{}{}{}", acts.empty() ? "" : ", ", a.type,
                        a.argument.empty() ? "" : " \"" + a.argument + "\"");
  out << fmt::format("   actions: {}; implicit keep: {}\n", acts.empty() ? "(none)" : acts,
                     o.implicit_keep ? "yes" : "cancelled");
  if (!d.create_request) {
    out << fmt::format("   decision: no request ({}); the raw mail is kept\n", d.reason);
  } else {
    std::string tags;
    for (const std::string& t : d.tags) tags += (tags.empty() ? "" : ", ") + t;
    out << fmt::format(
        "   decision: create request; category {}; owner {}; priority {}; tags {}; ack {}\n",
        d.category.empty() ? "(none)" : d.category, owner_text(d, cfg),
        d.priority.empty() ? "(none)" : d.priority, tags.empty() ? "(none)" : tags,
        d.ack ? "yes, template " + (d.template_name.empty() ? "(default)" : d.template_name)
              : "no");
  }
  for (const std::string& n : d.notes) out << "   note: " << n << "\n";
}

std::optional<rules::script> compile_for_test(cli_state& st, const test_options& opt,
                                              const loaded_config& lc, std::string& file) {
  file = opt.rules_file.empty() && lc.cfg ? lc.cfg->rules.file : opt.rules_file;
  if (file.empty()) {
    if (!lc.cfg) st.io.err << lc.problem << "\n";
    st.fail(exit_code::usage, "no rules file: give --rules FILE or set [rules] file");
    return std::nullopt;
  }
  auto text = read_file(file);
  if (!text) {
    st.fail(exit_code::no_input, fmt::format("cannot read '{}'", file));
    return std::nullopt;
  }
  const config* cfg = lc.cfg ? &*lc.cfg : nullptr;
  rules::known_names known = cfg ? known_names_of(*cfg) : rules::known_names{};
  auto errors = rules::compile_errors(*text, file, limits_of(cfg), known);
  if (!report_errors(st, file, *text, errors, nullptr)) {
    st.exit = exit_code::data_error;
    return std::nullopt;
  }
  auto s = rules::compile(*text, file, limits_of(cfg), known);
  return std::move(*s);
}

void run_test(cli_state& st, const test_options& opt) {
  loaded_config lc = try_config(st);
  const config* cfg = lc.cfg ? &*lc.cfg : nullptr;
  std::string file;
  auto script = compile_for_test(st, opt, lc, file);
  if (!script) return;
  std::optional<rules::envelope> env;
  if (!opt.envelope_from.empty() || !opt.envelope_to.empty())
    env = rules::envelope{opt.envelope_from, opt.envelope_to};
  st.exit = exit_code::ok;
  for (const std::string& mail : opt.mails) {
    auto raw = read_file(mail);
    if (!raw) {
      st.fail(exit_code::no_input, fmt::format("cannot read '{}'", mail));
      continue;
    }
    // As intake parses (the config's [limits]), except that a file over max_message_bytes is
    // still read: the question is what the rules would decide.
    mailparse::limits lim = cfg ? mailparse_limits(cfg->limits) : mailparse::limits{};
    lim.max_message_bytes =
        std::max<std::int64_t>(lim.max_message_bytes, static_cast<std::int64_t>(raw->size()));
    auto m = mailparse::parse(*raw, lim);
    if (!m) {
      st.fail(exit_code::data_error, fmt::format("{}: {}", mail, m.error().message));
      continue;
    }
    rules::input in;
    in.message = &*m;
    in.raw = *raw;
    in.env = envelope_of(*m, env);
    in.followup = opt.followup;
    in.decode_header = mailparse::decode_strict;
    in.body_parts = [&] { return mailparse::sieve_body_parts(*raw, lim); };
    rules::outcome o = rules::evaluate(*script, in);
    rules::decision d = with_defaults(o.result, cfg, opt.mailbox, *m, *raw);
    if (opt.json) {
      st.print_json(to_json(mail, o, d));
    } else {
      print_human(st, mail, file, *m, o, d, cfg);
    }
  }
}

}  // namespace

void add_rules_commands(CLI::App& app, cli_state& st) {
  CLI::App* rules_cmd =
      app.add_subcommand("rules", "Check and dry-run the Sieve routing rules (see docs/rules.md).");
  rules_cmd->require_subcommand(1);

  CLI::App* check = rules_cmd->add_subcommand(
      "check",
      "Compile a rules file (default: [rules] file of the config) and report every error as\n"
      "FILE:LINE:COLUMN with the line and a caret under the spot. Categories, users,\n"
      "priorities and templates the rules name are checked against the config.\n"
      "Exit 0 when the file is valid, 65 when it has errors, 66 when it cannot be read.");
  auto file = std::make_shared<std::string>();
  auto check_json = std::make_shared<bool>(false);
  check->add_option("file", *file, "The rules file (default: [rules] file of the config)");
  check->add_flag("--json", *check_json, "Print the result as JSON");
  check->callback([&st, file, check_json] { run_check(st, *file, *check_json); });

  CLI::App* test = rules_cmd->add_subcommand(
      "test",
      "Dry run: show what the rules would do with each mail file - the Sieve actions (as\n"
      "Pigeonhole's sieve-test names them), what helpdeskd would decide (request or not,\n"
      "category, owner, priority, tags, acknowledgement) and a trace of every test that ran,\n"
      "true or false, with its line. Stores nothing. With --json, one JSON object per mail.");
  auto opt = std::make_shared<test_options>();
  test->add_option("--rules", opt->rules_file, "Rules file (default: [rules] file of the config)");
  test->add_option("mails", opt->mails, "Mail files (RFC 5322)")->required();
  test->add_flag("--json", opt->json, "Print one JSON object per mail");
  test->add_option("--envelope-from", opt->envelope_from,
                   "Envelope sender (default: the mail's Return-Path)");
  test->add_option("--envelope-to", opt->envelope_to,
                   "Envelope recipient, repeatable (default: Delivered-To, else To and Cc)");
  test->add_flag("--followup", opt->followup,
                 "Pretend the mail threads into an existing request (test `followup`)");
  test->add_option("-m,--mailbox", opt->mailbox,
                   "Configured mailbox the mail arrives through (default category, priority)");
  test->callback([&st, opt] { run_test(st, *opt); });
}

}  // namespace hd::daemon
