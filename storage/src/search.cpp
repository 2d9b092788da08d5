// Full-text search over messages_fts (FTS5; the hd_fold tokenizer: unicode61 remove_diacritics
// 2, then ß -> ss and the like, fold_tokenizer.cpp), or on PostgreSQL over messages.search (a
// tsvector under the text search configuration hd_fold: simple plus unaccent; schema_pg.cpp).
#include "hd/storage/requests.hpp"

#include "fts_windows.hpp"
#include "store_impl.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>

namespace hd::storage {
namespace {

// Words of at least this many characters also find longer words that start with them
// ("widget" finds "widgets"); shorter ones only themselves (a one- or two-letter prefix would
// match half the index).
constexpr std::size_t k_min_prefix_chars = 3;

std::size_t utf8_chars(std::string_view w) {
  std::size_t n = 0;
  for (char c : w) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// "can't log-in" -> "\"can't\"* \"log-in\"*": every whitespace-separated word as an FTS5
// string, so no character of the input is query syntax, and as a prefix when long enough.
std::string literal_query(std::string_view q) {
  std::string out;
  std::size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && is_space(q[i])) ++i;
    std::size_t start = i;
    while (i < q.size() && !is_space(q[i])) ++i;
    if (i == start) break;
    std::string_view word = q.substr(start, i - start);
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : word) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += '"';
    if (utf8_chars(word) >= k_min_prefix_chars) out += '*';
  }
  return out;
}

// Whether Q is only plain words (FTS5 barewords: letters, digits, '_', any non-ASCII) and no
// operator: such a query means the same taken literally, and so gets the prefixes too.
bool plain_words(std::string_view q) {
  std::size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && is_space(q[i])) ++i;
    std::size_t start = i;
    while (i < q.size() && !is_space(q[i])) {
      auto c = static_cast<unsigned char>(q[i]);
      if (!(c >= 0x80 || std::isalnum(c) || c == '_')) return false;
      ++i;
    }
    std::string_view w = q.substr(start, i - start);
    if (w == "AND" || w == "OR" || w == "NOT" || w == "NEAR") return false;
  }
  return true;
}

bool blank(std::string_view q) { return q.find_first_not_of(" \t\r\n") == std::string_view::npos; }

struct raw_hit {
  std::int64_t request_id, message_id;
  double score;
};

// Best message per request, best first. hd_rank is computed for at most CANDIDATES matches:
// the newest ones, read window by window newest first (each window's FTS5 reads its doclists
// newest first and stops there), so a word found in most of the mail costs about one
// window's worth at a million requests. Below that many matches the ranking covers them all.
// Subject matches weigh four times body matches. The candidates are sorted by score (each
// window's bm25 normalises by its own average length); only as many of them as it takes to
// find LIMIT requests are then read from messages.
std::vector<raw_hit> best_per_request(const sql::connection& db, const std::string& match,
                                      int limit, int candidates) {
  struct candidate {
    double score;
    std::int64_t message_id;
  };
  std::vector<candidate> found;
  std::vector<window> windows;
  if (has_windows(db)) {
    windows = read_windows(db);
  } else {
    windows.push_back({"messages_fts", 0, std::nullopt, 0});  // before schema 19
  }
  for (const window& w : windows) {
    int want = candidates - static_cast<int>(found.size());
    if (want <= 0) break;
    sql::statement ranked(db, fmt::format(R"(
      SELECT rowid, hd_rank({0}, 4.0, 1.0) FROM {0} WHERE {0} MATCH ?1
       ORDER BY rowid DESC LIMIT ?2)",
                                          quoted(w.name)));
    ranked.bind(1, match).bind(2, want);
    while (ranked.step()) found.push_back({ranked.real(1), ranked.integer(0)});
  }
  std::sort(found.begin(), found.end(), [](const candidate& a, const candidate& b) {
    return a.score != b.score ? a.score < b.score : a.message_id < b.message_id;
  });
  sql::statement request_of(db, "SELECT request_id FROM messages WHERE id = ?1");
  std::vector<raw_hit> out;
  std::set<std::int64_t> seen;
  for (const candidate& c : found) {
    if (static_cast<int>(out.size()) >= limit) break;
    request_of.bind(1, c.message_id);
    if (request_of.step() && seen.insert(request_of.integer(0)).second)
      out.push_back({request_of.integer(0), c.message_id, c.score});
    request_of.reset();
  }
  return out;
}

// The snippets of the hits shown, made from a private FTS5 table in the connection's temp
// schema that holds only those messages. Asked of messages_fts, every snippet of a prefix
// query ("printer"* is what a plain word becomes) makes FTS5 merge the doclists of every word
// with that prefix over the whole mail (SQLite 3.40 does so for each query, whatever the rowid
// constraint): ~15 ms per 100,000 messages for a common word, each, so fifty snippets cost
// fifty times that. The same text, tokenizer and query give the same snippet, and the cost
// stays that of tokenizing the messages shown.
std::map<std::int64_t, std::string> snippets_of(const sql::connection& db, const std::string& match,
                                                const std::vector<raw_hit>& hits) {
  std::map<std::int64_t, std::string> out;
  if (hits.empty()) return out;
  db.exec(R"(CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_snippets USING fts5(
               subject, body_text, tokenize = 'hd_fold remove_diacritics 2'))");
  db.exec("DELETE FROM temp.search_snippets");
  {
    sql::statement copy(db, R"(INSERT INTO temp.search_snippets (rowid, subject, body_text)
                                 SELECT id, subject, hd_text(body_text) FROM messages WHERE id = ?1)");
    for (const raw_hit& h : hits) {
      copy.bind(1, h.message_id);
      copy.run();
      copy.reset();
    }
  }
  sql::statement st(db, R"(SELECT rowid, snippet(search_snippets, -1, '[', ']', '…', 16)
                             FROM temp.search_snippets WHERE search_snippets MATCH ?1)");
  st.bind(1, match);
  while (st.step()) out[st.integer(0)] = st.text(1);
  db.exec("DELETE FROM temp.search_snippets");
  return out;
}

// FTS5's query syntax as PostgreSQL tsquery text, for the PostgreSQL backend: the same query
// finds the same mail on both. Words and "phrases" (prefix*), AND, OR, NOT, implicit AND,
// parentheses and the column filters subject: and body_text: (tsquery weights A and B, as
// messages.search is built). Every operand goes out quoted, so its text is never tsquery
// syntax; to_tsquery('hd_fold', ...) folds it as the index was folded. What FTS5 would refuse
// is refused (an unterminated string, an operator without operands, an unknown column,
// characters outside barewords); NEAR and ^ have no tsquery form and are refused too.
class fts5_to_tsquery {
 public:
  /// WEIGHTLESS: the column filters are checked (a query for subject_only()) but their
  /// weights are left out, for the subject's own vector.
  explicit fts5_to_tsquery(std::string_view q, bool weightless = false)
      : q_(q), weightless_(weightless) {}

  std::string translate() {
    next();
    std::string out = or_expr();
    if (tok_.kind != tk::end) bad("unexpected '" + tok_.text + "'");
    return out;
  }

  /// After translate(): every word of the query is under subject: (subject:printer,
  /// subject:printer NOT subject:toner), so the subject's words alone answer it.
  bool subject_only() const { return operands_ > 0 && operands_ == subject_operands_; }

  struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

 private:
  enum class tk { end, word, string, lparen, rparen, colon, star, op };
  struct token {
    tk kind = tk::end;
    std::string text;
  };

  [[noreturn]] static void bad(const std::string& why) { throw error(why); }

  static bool bareword_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u) || c == '_';
  }

  void next() {
    while (i_ < q_.size() && is_space(q_[i_])) ++i_;
    tok_ = {};
    if (i_ >= q_.size()) return;
    char c = q_[i_];
    if (c == '"') {
      std::string text;
      for (++i_;; ++i_) {
        if (i_ >= q_.size()) bad("unterminated string");
        if (q_[i_] == '"') {
          if (i_ + 1 < q_.size() && q_[i_ + 1] == '"') {
            text += '"';
            ++i_;
            continue;
          }
          ++i_;
          break;
        }
        text += q_[i_];
      }
      tok_ = {tk::string, std::move(text)};
    } else if (c == '(' || c == ')' || c == ':' || c == '*') {
      ++i_;
      tok_ = {c == '('   ? tk::lparen
              : c == ')' ? tk::rparen
              : c == ':' ? tk::colon
                         : tk::star,
              std::string(1, c)};
    } else if (bareword_char(c)) {
      std::size_t start = i_;
      while (i_ < q_.size() && bareword_char(q_[i_])) ++i_;
      std::string w(q_.substr(start, i_ - start));
      bool op = w == "AND" || w == "OR" || w == "NOT" || w == "NEAR";
      tok_ = {op ? tk::op : tk::word, std::move(w)};
    } else {
      bad(fmt::format("syntax error near \"{}\"", c));
    }
  }

  bool starts_primary() const {
    return tok_.kind == tk::word || tok_.kind == tk::string || tok_.kind == tk::lparen;
  }

  std::string or_expr() {
    std::string out = and_expr();
    while (tok_.kind == tk::op && tok_.text == "OR") {
      next();
      out = "(" + out + " | " + and_expr() + ")";
    }
    return out;
  }

  std::string and_expr() {
    std::string out = not_expr();
    for (;;) {
      if (tok_.kind == tk::op && tok_.text == "AND") {
        next();
      } else if (!starts_primary()) {
        return out;
      }
      out = "(" + out + " & " + not_expr() + ")";
    }
  }

  std::string not_expr() {
    std::string out = primary();
    while (tok_.kind == tk::op && tok_.text == "NOT") {
      next();
      out = "(" + out + " & !" + primary() + ")";
    }
    return out;
  }

  std::string primary(char weight = 0) {
    if (tok_.kind == tk::op) {
      bad(tok_.text == "NEAR" ? "NEAR is not supported on PostgreSQL"
                              : "'" + tok_.text + "' needs a word before it");
    }
    if (tok_.kind == tk::lparen) {
      if (weight != 0) bad("a column filter on a group is not supported on PostgreSQL");
      next();
      std::string inner = or_expr();
      if (tok_.kind != tk::rparen) bad("unbalanced parentheses");
      next();
      return inner;
    }
    if (tok_.kind != tk::word && tok_.kind != tk::string) bad("a word is missing");
    token t = tok_;
    next();
    if (t.kind == tk::word && tok_.kind == tk::colon) {
      if (weight != 0) bad("two column filters");
      if (t.text != "subject" && t.text != "body_text") bad("no such column: " + t.text);
      next();
      return primary(t.text == "subject" ? 'A' : 'B');
    }
    bool prefix = tok_.kind == tk::star;
    if (prefix) next();
    ++operands_;
    if (weight == 'A') ++subject_operands_;
    if (weightless_) weight = 0;
    std::string out = "'";
    for (char c : t.text) {
      if (c == '\'' || c == '\\') out += c;
      out += c;
    }
    out += "'";
    if (prefix || weight != 0) out += ':';
    if (prefix) out += '*';
    if (weight != 0) out += weight;
    return out;
  }

  std::string_view q_;
  bool weightless_ = false;
  std::size_t i_ = 0;
  token tok_;
  int operands_ = 0;
  int subject_operands_ = 0;
};

// PostgreSQL: the query as a tsquery under hd_fold, made in SQL from the bound text (no
// character of it is tsquery syntax unless the caller asked for operators). Plain words: each
// lexeme of the text, quoted, and a prefix (:*) when at least k_min_prefix_chars long, all
// required. Anything else: FTS5's syntax, translated (fts5_to_tsquery) and bound as ?1.
std::string pg_tsquery(bool plain) {
  if (!plain) return "to_tsquery('hd_fold', ?1)";
  return fmt::format(R"((SELECT to_tsquery('hd_fold', COALESCE(string_agg(
             quote_literal(w) || CASE WHEN length(w) >= {} THEN ':*' ELSE '' END, ' & '), ''))
           FROM unnest(tsvector_to_array(to_tsvector('hd_fold', ?1))) AS w))",
                     k_min_prefix_chars);
}

// The query as tsquery text, made by the server from the bound text. The ranking statement
// takes it back as a value, so that its plan is made for that value: a word in most of the
// mail is best found by reading the newest messages until there are enough candidates, a rare
// one through the GIN index, and an expression over ?1 would be planned as any tsquery
// (PostgreSQL guessed 1,501 matches for "printer", used the index, ranked all 195,800 of them
// at 100,000 requests: a second where the newest-first scan takes 40 ms).
std::string pg_tsquery_text(const sql::connection& db, std::string_view query, bool plain) {
  sql::statement st(db, fmt::format("SELECT CAST({} AS TEXT)", pg_tsquery(plain)));
  st.bind(1, query);
  return st.step() && !st.is_null(0) ? st.text(0) : std::string();
}

// As best_per_request: the newest CANDIDATES matches ranked, subject (weight A) four times
// body (B); the score is -ts_rank, so that lower is better as with bm25. The matches are read
// window by window newest first (schema 22: a partial GIN index per id range), as on SQLite,
// so a word in a few percent of the mail reads about one window's entries and rows, not the
// whole history's (a prefix is collected from the whole index before anything is read in id
// order: 'invoice':* at a million requests read 164,000 entries in 190 ms). Each window's
// statement names its range as constants, which is how PostgreSQL picks that window's index,
// and is planned for the query it runs with (sql::planning::each_call). What is sorted by id
// is the score, not the search vector: sorting 20,000 vectors of ~1 KB went to disk and made
// PostgreSQL sort in parallel workers (a window's 13,600 matches of 'invoice': 340 ms against
// 35 ms). A word in most of the mail is read newest first by id and ranked as it is read; a
// rarer one has every match in the window ranked (a window's worth at most). Ids above the
// newest window (none while keep_search_windows keeps up) are read first, without an index.
//
// A query only about subjects (SUBJECT_TSQUERY set: the same query without weights) is
// matched against the subject's own vector instead, which each window also indexes
// (messages_subject_<lo>): the search vector's GIN index does not know weights, so
// subject:printer read rows by id until it had enough subject matches (1.5 s at 100,000
// requests when 4 % of the messages had the word in the subject).
std::vector<raw_hit> best_per_request_pg(const sql::connection& db, const std::string& tsquery,
                                         const std::string& subject_tsquery, int limit,
                                         int candidates) {
  std::vector<raw_hit> found;
  if (tsquery.empty()) return found;  // no words: an empty tsquery matches nothing
  std::vector<pg_window> windows = read_pg_windows(db);
  std::vector<std::string> ranges;
  if (windows.empty()) {
    ranges.push_back("TRUE");
  } else {
    ranges.push_back(fmt::format("id >= {}", windows.front().hi));
    for (const pg_window& w : windows)
      ranges.push_back(fmt::format("id >= {} AND id < {}", w.lo, w.hi));
    if (windows.back().lo > 0) ranges.push_back(fmt::format("id < {}", windows.back().lo));
  }
  for (const std::string& range : ranges) {
    int want = candidates - static_cast<int>(found.size());
    if (want <= 0) break;
    sql::statement ranked(
        db,
        fmt::format(R"(
      SELECT id, request_id, -ts_rank('{{0.1, 0.2, 0.25, 1.0}}', search, CAST(?1 AS tsquery))
        FROM messages WHERE {} AND {} ORDER BY id DESC LIMIT ?2)",
                    subject_tsquery.empty()
                        ? "search @@ CAST(?1 AS tsquery)"
                        : "to_tsvector('hd_fold', subject) @@ CAST(?3 AS tsquery)",
                    range),
        sql::planning::each_call);
    ranked.bind(1, tsquery).bind(2, want);
    if (!subject_tsquery.empty()) ranked.bind(3, subject_tsquery);
    while (ranked.step()) found.push_back({ranked.integer(1), ranked.integer(0), ranked.real(2)});
  }
  std::sort(found.begin(), found.end(), [](const raw_hit& a, const raw_hit& b) {
    return a.score != b.score ? a.score < b.score : a.message_id < b.message_id;
  });
  std::vector<raw_hit> out;
  std::set<std::int64_t> seen;
  for (const raw_hit& h : found) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (seen.insert(h.request_id).second) out.push_back(h);
  }
  return out;
}

std::map<std::int64_t, std::string> snippets_of_pg(const sql::connection& db,
                                                   const std::string& tsquery,
                                                   const std::vector<raw_hit>& hits) {
  std::map<std::int64_t, std::string> out;
  if (hits.empty()) return out;
  // One statement for every hit shown (their ids as an array literal, "{1,2,3}").
  std::string ids = "{";
  for (const raw_hit& h : hits) ids += (ids.size() > 1 ? "," : "") + std::to_string(h.message_id);
  ids += "}";
  sql::statement st(db, R"(
      SELECT m.id, ts_headline('hd_fold', m.subject || ' ' || m.body_text, CAST(?1 AS tsquery),
                         'StartSel="[", StopSel="]", MaxWords=16, MinWords=6, MaxFragments=1,
                          FragmentDelimiter="…"')
        FROM messages m WHERE m.id = ANY(CAST(?2 AS BIGINT[])))");
  st.bind(1, tsquery).bind(2, ids);
  while (st.step()) out[st.integer(0)] = st.text(1);
  return out;
}

// A query neither backend can use: the same words for SQLite's FTS5 and the translation.
error<errc> bad_query(std::string_view query, std::string_view why) {
  return error<errc>{errc::invalid,
                     fmt::format("search: cannot use the query '{}': {} (put words in double "
                                 "quotes, or search with --literal)",
                                 query, why)};
}

}  // namespace

result<std::vector<search_hit>, errc> search_requests(store& s, std::string_view query,
                                                      const search_options& options) {
  std::string match =
      options.literal || plain_words(query) ? literal_query(query) : std::string(query);
  if (blank(match)) return fail(errc::invalid, "search: the query is empty");
  if (options.limit <= 0) return std::vector<search_hit>{};
  int candidates =
      options.candidates > 0 ? options.candidates : detail::access::of(s).opt.search_candidates;
  try {
    const sql::connection& db = connection_of(s);
    std::vector<search_hit> out;
    bool plain = options.literal || plain_words(query);
    std::string tsquery, subject_tsquery;
    if (db.postgres() && plain) {
      tsquery = pg_tsquery_text(db, std::string(query), true);
    } else if (db.postgres()) {
      fts5_to_tsquery t(query);
      tsquery = pg_tsquery_text(db, t.translate(), false);
      if (t.subject_only() && !tsquery.empty())
        subject_tsquery = pg_tsquery_text(db, fts5_to_tsquery(query, true).translate(), false);
    }
    std::vector<raw_hit> hits =
        db.postgres() ? best_per_request_pg(db, tsquery, subject_tsquery, options.limit, candidates)
                      : best_per_request(db, match, options.limit, candidates);
    std::map<std::int64_t, std::string> snippets =
        db.postgres() ? snippets_of_pg(db, tsquery, hits) : snippets_of(db, match, hits);
    for (const raw_hit& h : hits) {
      request_filter all;
      all.limit = 1;
      auto rows = read_summaries(db, all, summary_scope{h.request_id, std::nullopt, std::nullopt});
      if (rows.empty()) continue;
      out.push_back({std::move(rows.front()), h.message_id, snippets[h.message_id], h.score});
    }
    return out;
  } catch (const sql::sqlite_error& e) {
    // A malformed FTS5 query fails with SQLITE_ERROR when stepped; anything else is the
    // database's fault.
    if ((e.code & 0xff) != SQLITE_ERROR) return to_error(e);
    return bad_query(query, e.what());
  } catch (const fts5_to_tsquery::error& e) {
    return bad_query(query, e.what());
  } catch (const sql::pg_error& e) {
    return to_error(e);
  }
}

}  // namespace hd::storage
