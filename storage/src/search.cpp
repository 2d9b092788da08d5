// Full-text search over messages_fts (FTS5, unicode61 remove_diacritics 2; schema v2).
#include "hd/storage/requests.hpp"

#include "store_impl.hpp"

#include <set>

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
  std::string snippet;
};

// Best message per request, best first: matches are read in rank order and the first one
// of each request kept.
std::vector<raw_hit> best_per_request(const sql::connection& db, const std::string& match,
                                      int limit) {
  // Subject matches weigh four times body matches.
  sql::statement st(db, R"(SELECT m.request_id, m.id, bm25(messages_fts, 4.0, 1.0) AS score,
                                  snippet(messages_fts, -1, '[', ']', '…', 16)
                           FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
                           WHERE messages_fts MATCH ?1
                           ORDER BY score, m.id)");
  st.bind(1, match);
  std::vector<raw_hit> out;
  std::set<std::int64_t> seen;
  while (static_cast<int>(out.size()) < limit && st.step()) {
    std::int64_t request = st.integer(0);
    if (!seen.insert(request).second) continue;
    out.push_back({request, st.integer(1), st.real(2), st.text(3)});
  }
  return out;
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
    for (raw_hit& h : best_per_request(db, match, options.limit)) {
      request_filter all;
      all.limit = 1;
      auto rows = read_summaries(db, all, summary_scope{h.request_id, std::nullopt, std::nullopt});
      if (rows.empty()) continue;
      out.push_back({std::move(rows.front()), h.message_id, std::move(h.snippet), h.score});
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
