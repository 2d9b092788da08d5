// Deferred full-text indexing (schema: "full-text index written once per commit").
//
// FTS5 writes its pending terms out as a new index segment at every savepoint, and SQLite
// opens a statement savepoint for nearly every write inside a transaction. Indexing each
// message from its insert trigger therefore produced several tiny segments per ingested mail
// (and the merging work that follows): about half of ingest's instructions. The insert
// trigger now only queues the message id; the queue is indexed in one statement right before
// the outermost COMMIT, so a batch of 100 mails makes one segment. A rolled-back message
// leaves the queue with it: the index never sees it.
#include "store_impl.hpp"

namespace hd::storage {
namespace {

void index_queued(const sql::connection& db) {
  sql::statement ins(db, R"(INSERT INTO messages_fts (rowid, subject, body_text)
                              SELECT m.id, m.subject, hd_text(m.body_text)
                                FROM fts_queue q JOIN messages m ON m.id = q.message_id)");
  ins.run();
  sql::statement del(db, "DELETE FROM fts_queue");
  del.run();
}

}  // namespace

void enable_deferred_index(const sql::connection& db) {
  sql::statement st(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fts_queue'");
  if (!st.step()) return;
  db.set_before_commit(index_queued);
  // Rows queued by a writer without the hook (the sqlite3 shell, a restore) are indexed now.
  sql::statement left(db, "SELECT 1 FROM fts_queue LIMIT 1");
  if (left.step()) {
    left.reset();
    sql::transaction tx(db);
    index_queued(db);
    tx.commit();
  }
}

}  // namespace hd::storage
