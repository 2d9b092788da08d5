// hd_rank, the ranking function of search: FTS5's bm25 (fts5_aux.c, k1 = 1.2, b = 0.75, one
// weight per column), except that a query of one phrase is ranked without the phrase's inverse
// document frequency. bm25 finds that frequency by reading every message that matches the
// phrase (xQueryPhrase), once per query: for a word in half the mail that is a read of half
// the index, ~20 ms per 100,000 requests, however few candidates are ranked. With one phrase
// it multiplies every score by the same number, so the order is bm25's without it.
#include "rank.hpp"

#include "sql.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

namespace hd::storage {
namespace {

constexpr double k_k1 = 1.2;
constexpr double k_b = 0.75;

// What does not change from row to row, kept as the call's auxiliary data.
struct query_data {
  double avgdl = 0;          // average tokens per row
  std::vector<double> idf;   // per phrase
  std::vector<double> freq;  // per phrase, scratch for the current row
};

int count_row(const Fts5ExtensionApi*, Fts5Context*, void* hits) {
  ++*static_cast<std::int64_t*>(hits);
  return SQLITE_OK;
}

int query_data_of(const Fts5ExtensionApi* api, Fts5Context* fts, query_data** out) {
  auto* d = static_cast<query_data*>(api->xGetAuxdata(fts, 0));
  if (d != nullptr) {
    *out = d;
    return SQLITE_OK;
  }
  auto made = std::make_unique<query_data>();
  sqlite3_int64 rows = 0, tokens = 0;
  if (int rc = api->xRowCount(fts, &rows); rc != SQLITE_OK) return rc;
  for (int c = 0; c < api->xColumnCount(fts); ++c) {
    sqlite3_int64 n = 0;
    if (int rc = api->xColumnTotalSize(fts, c, &n); rc != SQLITE_OK) return rc;
    tokens += n;
  }
  made->avgdl = rows > 0 ? static_cast<double>(tokens) / static_cast<double>(rows) : 1.0;
  int phrases = api->xPhraseCount(fts);
  made->idf.assign(static_cast<std::size_t>(phrases), 1.0);
  made->freq.assign(static_cast<std::size_t>(phrases), 0.0);
  if (phrases > 1) {
    for (int i = 0; i < phrases; ++i) {
      std::int64_t hits = 0;
      if (int rc = api->xQueryPhrase(fts, i, &hits, &count_row); rc != SQLITE_OK) return rc;
      double idf =
          std::log((static_cast<double>(rows - hits) + 0.5) / (static_cast<double>(hits) + 0.5));
      made->idf[static_cast<std::size_t>(i)] = idf <= 0.0 ? 1e-6 : idf;
    }
  }
  d = made.release();
  if (int rc = api->xSetAuxdata(fts, d, [](void* p) { delete static_cast<query_data*>(p); });
      rc != SQLITE_OK) {
    return rc;  // xSetAuxdata has freed d
  }
  *out = d;
  return SQLITE_OK;
}

void hd_rank(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int nargs,
             sqlite3_value** args) {
  query_data* d = nullptr;
  if (int rc = query_data_of(api, fts, &d); rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  std::fill(d->freq.begin(), d->freq.end(), 0.0);
  int instances = 0;
  if (int rc = api->xInstCount(fts, &instances); rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  for (int i = 0; i < instances; ++i) {
    int phrase = 0, column = 0, offset = 0;
    if (int rc = api->xInst(fts, i, &phrase, &column, &offset); rc != SQLITE_OK) {
      sqlite3_result_error_code(ctx, rc);
      return;
    }
    double weight = column < nargs ? sqlite3_value_double(args[column]) : 1.0;
    d->freq[static_cast<std::size_t>(phrase)] += weight;
  }
  int length = 0;
  if (int rc = api->xColumnSize(fts, -1, &length); rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  double score = 0;
  for (std::size_t i = 0; i < d->freq.size(); ++i) {
    double f = d->freq[i];
    score += d->idf[i] * (f * (k_k1 + 1.0)) /
             (f + k_k1 * (1.0 - k_b + k_b * static_cast<double>(length) / d->avgdl));
  }
  sqlite3_result_double(ctx, -score);
}

}  // namespace

void register_rank_function(fts5_api* api) {
  if (int rc = api->xCreateFunction(api, "hd_rank", nullptr, &hd_rank, nullptr); rc != SQLITE_OK) {
    throw sql::sqlite_error(rc, "cannot register the hd_rank function");
  }
}

}  // namespace hd::storage
