// Deferred full-text indexing (schema: "full-text index written once per commit"), into the
// index's windows (schema 19: "full-text index split by age").
//
// FTS5 writes its pending terms out as a new index segment at every savepoint, and SQLite
// opens a statement savepoint for nearly every write inside a transaction. Indexing each
// message from its insert trigger therefore produced several tiny segments per ingested mail
// (and the merging work that follows): about half of ingest's instructions. The insert
// trigger now only queues the message id; the queue is indexed in one statement right before
// the outermost COMMIT, so a batch of 100 mails makes one segment. A rolled-back message
// leaves the queue with it: the index never sees it.
//
// The index is split by age: each window is an FTS5 table over the messages of one id range
// (fts_windows). New messages go to the open window; once it holds window_messages, the next
// commit closes it and opens a new one. Search reads the windows newest first and stops when
// it has its candidates, so a common word's prefix query costs the size of a window, not of
// the whole history (docs/storage.md, "Search").
#include "fts_windows.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

constexpr const char* k_fts_columns =
    "subject, body_text, content = 'messages', content_rowid = 'id', "
    "tokenize = 'hd_fold remove_diacritics 2'";

// How a window merges its segments (docs/storage.md, "Search"). Each commit writes the batch's
// postings as a new segment; merging segments writes those postings again. FTS5's own merging
// (`automerge`) runs inside the commits that write: with 16 segments a merge, a posting in a
// window of 250,000 messages was written three times during intake (at the commit, into a
// segment of 16 batches, into one of 256), and the third time is what made intake into a big
// database slower than into an empty one (bench/README.md, section 6). Now the writes never
// merge (`automerge` 0) and the daemon merges when it has had no work for a while
// (merge_search_index, from the storage worker's idle task), 16 segments of a size at a
// time (`usermerge`). Without such idle time (a long burst, `helpdeskd ingest` from an MTA),
// FTS5 itself merges a size once it has 64 segments (`crisismerge`), in the commit that
// makes the 64th: search then reads up to about 90 segments in the open window, which
// measured no slower than 14 (bench/README.md, section 6). Windows before this build keep the
// merging they had (16 in the commits) and are never merged at idle.
struct merge_option {
  const char* name;
  int value;
};
constexpr merge_option k_merging[] = {{"automerge", 0}, {"crisismerge", 64}, {"usermerge", 16}};

// Whether the window merges as above already.
bool merging_tuned(const sql::connection& db, const std::string& name) {
  sql::statement now(db, fmt::format("SELECT v FROM {} WHERE k = ?1", quoted(name + "_config")));
  for (const merge_option& o : k_merging) {
    now.bind(1, o.name);
    if (!now.step() || now.is_null(0) || now.integer(0) != o.value) return false;
    now.reset();
  }
  return true;
}

void tune_merging(const sql::connection& db, const std::string& name) {
  for (const merge_option& o : k_merging) {
    db.exec(fmt::format("INSERT INTO {0} ({0}, rank) VALUES ('{1}', {2})", quoted(name), o.name,
                        o.value)
                .c_str());
  }
}

// Closes the open window at LO (the first id of the new one) and opens a window from LO.
void open_window(const sql::connection& db, std::int64_t lo) {
  std::string name = fmt::format("messages_fts_{}", lo);
  db.exec(
      fmt::format("CREATE VIRTUAL TABLE {} USING fts5({})", quoted(name), k_fts_columns).c_str());
  tune_merging(db, name);
  sql::statement close(db, "UPDATE fts_windows SET hi = ?1 WHERE hi IS NULL");
  close.bind(1, lo).run();
  sql::statement add(db, "INSERT INTO fts_windows (name, lo, hi, rows) VALUES (?1, ?2, NULL, 0)");
  add.bind(1, name).bind(2, lo).run();
  write_window_triggers(db);
}

void index_queued(const sql::connection& db, std::int64_t window_messages) {
  sql::statement first(db, "SELECT MIN(message_id) FROM fts_queue");
  if (!first.step() || first.is_null(0)) return;  // nothing queued
  std::int64_t first_id = first.integer(0);
  first.reset();
  // Before schema 19 (a test of old schemas) messages_fts is the one index, never rolled.
  bool windowed = has_windows(db);
  std::vector<window> windows =
      windowed ? read_windows(db) : std::vector<window>{{"messages_fts", 0, std::nullopt, 0}};
  // Newest first: windows[0] is the open one.
  if (windowed && !windows.empty() && !windows[0].hi && windows[0].rows >= window_messages &&
      first_id > windows[0].lo) {
    open_window(db, first_id);
    windows = read_windows(db);
  }
  // Each queued message into the window of its id: the open one, unless a writer put back
  // older ids (db recover rebuilds its own way; this keeps any other case right). Windows that
  // end before the oldest queued id hold none of them.
  for (const window& w : windows) {
    if (w.hi && *w.hi <= first_id) break;
    sql::statement ins(db, fmt::format(R"(INSERT INTO {} (rowid, subject, body_text)
                             SELECT m.id, m.subject, hd_text(m.body_text)
                               FROM fts_queue q JOIN messages m ON m.id = q.message_id
                              WHERE q.message_id >= ?1 AND (?2 IS NULL OR q.message_id < ?2))",
                                       quoted(w.name)));
    ins.bind(1, w.lo).bind(2, w.hi).run();
    std::int64_t n = db.changes();
    if (windowed && n > 0) {
      sql::statement count(db, "UPDATE fts_windows SET rows = rows + ?2 WHERE name = ?1");
      count.bind(1, w.name).bind(2, n).run();
    }
  }
  sql::statement del(db, "DELETE FROM fts_queue");
  del.run();
}

}  // namespace

bool has_windows(const sql::connection& db) {
  sql::statement st(db,
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fts_windows'");
  return st.step();
}

std::vector<window> read_windows(const sql::connection& db) {
  std::vector<window> out;
  sql::statement st(db, "SELECT name, lo, hi, rows FROM fts_windows ORDER BY lo DESC");
  while (st.step()) out.push_back({st.text(0), st.integer(1), st.opt_integer(2), st.integer(3)});
  return out;
}

void write_window_triggers(const sql::connection& db) {
  std::string del, upd_delete, upd_insert;
  for (const window& w : read_windows(db)) {
    std::string range = w.hi ? fmt::format("old.id >= {} AND old.id < {}", w.lo, *w.hi)
                             : fmt::format("old.id >= {}", w.lo);
    std::string t = quoted(w.name);
    del += fmt::format(
        "  INSERT INTO {0} ({0}, rowid, subject, body_text)\n"
        "    SELECT 'delete', old.id, old.subject, hd_text(old.body_text) WHERE {1}\n"
        "      AND NOT EXISTS (SELECT 1 FROM fts_queue WHERE message_id = old.id);\n",
        t, range);
    upd_delete += fmt::format(
        "  INSERT INTO {0} ({0}, rowid, subject, body_text)\n"
        "    SELECT 'delete', old.id, old.subject, hd_text(old.body_text) WHERE {1};\n",
        t, range);
    upd_insert += fmt::format(
        "  INSERT INTO {0} (rowid, subject, body_text)\n"
        "    SELECT new.id, new.subject, hd_text(new.body_text) WHERE {1};\n",
        t, range);
  }
  db.exec("DROP TRIGGER IF EXISTS messages_fts_delete");
  db.exec(fmt::format("CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN\n{}"
                      "  DELETE FROM fts_queue WHERE message_id = old.id;\nEND",
                      del)
              .c_str());
  // A message's id does not change: old.id says the window for both halves.
  db.exec("DROP TRIGGER IF EXISTS messages_fts_update");
  db.exec(fmt::format("CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, body_text ON "
                      "messages\n  WHEN NOT EXISTS (SELECT 1 FROM fts_queue WHERE message_id = "
                      "old.id) BEGIN\n{}{}END",
                      upd_delete, upd_insert)
              .c_str());
}

void enable_deferred_index(const sql::connection& db, std::int64_t window_messages) {
  sql::statement st(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fts_queue'");
  if (!st.step()) return;
  st.reset();
  // The open window's merging (schema 19 made windows; a database made before this build has
  // FTS5's default in its open one).
  std::string open = "messages_fts";
  if (has_windows(db)) {
    for (const window& w : read_windows(db)) {
      if (!w.hi) open = w.name;
    }
  }
  // Read first: a store opened for a view must not wait for the write lock, which the
  // daemon's batch may hold.
  if (!merging_tuned(db, open)) {
    sql::transaction tx(db);
    if (!merging_tuned(db, open)) tune_merging(db, open);
    tx.commit();
  }
  db.set_before_commit(
      [window_messages](const sql::connection& c) { index_queued(c, window_messages); });
  // Rows queued by a writer without the hook (the sqlite3 shell, a restore, the bench's bulk
  // copy) are indexed now.
  sql::statement left(db, "SELECT 1 FROM fts_queue LIMIT 1");
  if (left.step()) {
    left.reset();
    sql::transaction tx(db);
    index_queued(db, window_messages);
    tx.commit();
  }
}

result<std::int64_t, errc> index_queued_messages(store& s) {
  if (on_postgres(s)) return std::int64_t{0};  // PostgreSQL's search column is never behind
  return guarded([&]() -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    sql::statement n(db, "SELECT COUNT(*) FROM fts_queue");
    std::int64_t queued = n.step() ? n.integer(0) : 0;
    n.reset();
    sql::transaction tx(db);  // its commit runs the indexing hook
    tx.commit();
    return queued;
  });
}

result<bool, errc> merge_search_index(store& s, int pages) {
  if (on_postgres(s)) return false;  // PostgreSQL's GIN indexes keep themselves
  return guarded([&]() -> result<bool, errc> {
    const sql::connection& db = connection_of(s);
    if (!has_windows(db)) return false;
    for (const window& w : read_windows(db)) {
      if (!merging_tuned(db, w.name)) continue;
      sql::transaction tx(db);
      // FTS5 counts a step that wrote as two or more changes (its documented way to tell).
      int before = sqlite3_total_changes(db.get());
      sql::statement merge(
          db, fmt::format("INSERT INTO {0} ({0}, rank) VALUES ('merge', ?1)", quoted(w.name)));
      merge.bind(1, pages).run();
      bool worked = sqlite3_total_changes(db.get()) - before >= 2;
      tx.commit();
      if (worked) return true;
    }
    return false;
  });
}

}  // namespace hd::storage
