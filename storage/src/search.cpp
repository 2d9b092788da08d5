// Full-text search over messages_fts (FTS5, unicode61 remove_diacritics 2; schema v2).
#include "hd/storage/requests.hpp"

#include "store_impl.hpp"

namespace hd::storage {
namespace {

// "can't log-in" -> "\"can't\" \"log-in\"": every whitespace-separated word as an FTS5 string,
// so no character of the input is query syntax.
std::string literal_query(std::string_view q) {
  std::string out;
  std::size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r')) ++i;
    std::size_t start = i;
    while (i < q.size() && !(q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r')) ++i;
    if (i == start) break;
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : q.substr(start, i - start))
      out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += '"';
  }
  return out;
}

bool blank(std::string_view q) { return q.find_first_not_of(" \t\r\n") == std::string_view::npos; }

struct raw_hit {
  std::int64_t request_id, message_id;
  double score;
};

// Best message per request, best first, ranked, de-duplicated and limited in SQL. bm25() is
// computed for at most CANDIDATES matches: the newest ones (FTS5 reads its doclists newest
// first and stops there), so a word found in most of the mail costs the same at a million
// requests as at ten thousand. Below that many matches the ranking is exact. Subject matches
// weigh four times body matches.
std::vector<raw_hit> best_per_request(const sql::connection& db, const std::string& match,
                                      int limit, int candidates) {
  sql::statement st(db, R"(
    WITH candidate AS (
      SELECT rowid AS message_id, bm25(messages_fts, 4.0, 1.0) AS score
        FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3),
    ranked AS (
      SELECT m.request_id, c.message_id, c.score,
             row_number() OVER (PARTITION BY m.request_id ORDER BY c.score, c.message_id) AS n
        FROM candidate c JOIN messages m ON m.id = c.message_id)
    SELECT request_id, message_id, score FROM ranked WHERE n = 1
     ORDER BY score, message_id LIMIT ?2)");
  st.bind(1, match).bind(2, limit).bind(3, candidates);
  std::vector<raw_hit> out;
  while (st.step()) out.push_back({st.integer(0), st.integer(1), st.real(2)});
  return out;
}

// The snippet of one message, only for the hits shown.
std::string snippet_of(const sql::connection& db, const std::string& match,
                       std::int64_t message_id) {
  sql::statement st(db, R"(SELECT snippet(messages_fts, -1, '[', ']', '…', 16) FROM messages_fts
                           WHERE messages_fts MATCH ?1 AND rowid = ?2)");
  st.bind(1, match).bind(2, message_id);
  return st.step() ? st.text(0) : std::string();
}

}  // namespace

result<std::vector<search_hit>, errc> search_requests(store& s, std::string_view query,
                                                      const search_options& options) {
  std::string match = options.literal ? literal_query(query) : std::string(query);
  if (blank(match)) return fail(errc::invalid, "search: the query is empty");
  if (options.limit <= 0) return std::vector<search_hit>{};
  try {
    const sql::connection& db = connection_of(s);
    std::vector<search_hit> out;
    for (const raw_hit& h : best_per_request(db, match, options.limit, options.candidates)) {
      request_filter all;
      all.limit = 1;
      auto rows = read_summaries(db, all, summary_scope{h.request_id, std::nullopt, std::nullopt});
      if (rows.empty()) continue;
      out.push_back(
          {std::move(rows.front()), h.message_id, snippet_of(db, match, h.message_id), h.score});
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
