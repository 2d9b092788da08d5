// Full-text search over messages_fts (FTS5; the hd_fold tokenizer: unicode61 remove_diacritics
// 2, then ß -> ss and the like, fold_tokenizer.cpp).
#include "hd/storage/requests.hpp"

#include "fts_windows.hpp"
#include "store_impl.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

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

}  // namespace

result<std::vector<search_hit>, errc> search_requests(store& s, std::string_view query,
                                                      const search_options& options) {
  std::string match =
      options.literal || plain_words(query) ? literal_query(query) : std::string(query);
  if (blank(match)) return fail(errc::invalid, "search: the query is empty");
  if (options.limit <= 0) return std::vector<search_hit>{};
  try {
    const sql::connection& db = connection_of(s);
    std::vector<search_hit> out;
    std::vector<raw_hit> hits = best_per_request(db, match, options.limit, options.candidates);
    std::map<std::int64_t, std::string> snippets = snippets_of(db, match, hits);
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
    return fail(errc::invalid,
                fmt::format("search: cannot use the query '{}': {} (put words in double quotes, "
                            "or search with --literal)",
                            query, e.what()));
  }
}

}  // namespace hd::storage
