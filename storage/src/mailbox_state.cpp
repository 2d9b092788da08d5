#include "hd/storage/mailbox_state.hpp"

#include "store_impl.hpp"

namespace hd::storage {

result<std::optional<checkpoint>, errc> read_checkpoint(store& s, std::string_view mailbox,
                                                        std::string_view folder) {
  return guarded([&]() -> result<std::optional<checkpoint>, errc> {
    sql::statement st(connection_of(s),
                      "SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?1 AND "
                      "folder = ?2");
    st.bind(1, mailbox).bind(2, folder);
    if (!st.step()) return std::optional<checkpoint>();
    return std::optional<checkpoint>(checkpoint{st.integer(0), st.integer(1)});
  });
}

result<void, errc> record_poll_success(store& s, std::string_view mailbox, std::int64_t now,
                                       std::int64_t backlog) {
  return guarded([&]() -> result<void, errc> {
    sql::statement st(connection_of(s),
                      R"(INSERT INTO mailbox_status (mailbox, last_success_at, backlog, updated_at)
           VALUES (?1, ?2, ?3, ?2)
           ON CONFLICT (mailbox) DO UPDATE SET last_success_at = ?2, backlog = ?3, updated_at = ?2)");
    st.bind(1, mailbox).bind(2, now).bind(3, backlog).run();
    return {};
  });
}

result<void, errc> record_poll_error(store& s, std::string_view mailbox, std::int64_t now,
                                     std::string_view error) {
  return guarded([&]() -> result<void, errc> {
    sql::statement st(connection_of(s),
                      R"(INSERT INTO mailbox_status (mailbox, last_error_at, last_error, updated_at)
           VALUES (?1, ?2, ?3, ?2)
           ON CONFLICT (mailbox) DO UPDATE SET last_error_at = ?2, last_error = ?3, updated_at = ?2)");
    st.bind(1, mailbox).bind(2, now).bind(3, error).run();
    return {};
  });
}

result<std::vector<mailbox_status>, errc> list_mailbox_status(store& s) {
  return guarded([&]() -> result<std::vector<mailbox_status>, errc> {
    sql::statement st(connection_of(s), R"(
      WITH names AS (SELECT mailbox FROM mailbox_status UNION SELECT mailbox FROM mailbox_state)
      SELECT n.mailbox, ms.last_success_at, ms.last_error_at, COALESCE(ms.last_error, ''),
             COALESCE(ms.backlog, 0),
             (SELECT uidvalidity FROM mailbox_state x WHERE x.mailbox = n.mailbox ORDER BY folder LIMIT 1),
             (SELECT last_uid FROM mailbox_state x WHERE x.mailbox = n.mailbox ORDER BY folder LIMIT 1),
             COALESCE((SELECT stored FROM mailbox_counts c WHERE c.mailbox = n.mailbox), 0)
      FROM names n LEFT JOIN mailbox_status ms ON ms.mailbox = n.mailbox
      ORDER BY n.mailbox)");
    std::vector<mailbox_status> out;
    while (st.step()) {
      mailbox_status m;
      m.mailbox = st.text(0);
      m.last_success_at = st.opt_integer(1);
      m.last_error_at = st.opt_integer(2);
      m.last_error = st.text(3);
      m.backlog = st.integer(4);
      if (!st.is_null(5)) m.state = checkpoint{st.integer(5), st.integer(6)};
      m.stored = st.integer(7);
      out.push_back(std::move(m));
    }
    return out;
  });
}

result<outbox_counts, errc> count_outbox(store& s) {
  return guarded([&]() -> result<outbox_counts, errc> {
    sql::statement st(connection_of(s), "SELECT status, SUM(n) FROM outbox_counts GROUP BY status");
    outbox_counts c;
    while (st.step()) {
      std::string status = st.text(0);
      std::int64_t n = st.integer(1);
      if (status == "queued") c.queued = n;
      if (status == "sending") c.sending = n;
      if (status == "sent") c.sent = n;
      if (status == "failed") c.failed = n;
    }
    return c;
  });
}

result<void, errc> fold_outbox_counts(store& s) {
  if (!on_postgres(s)) return {};
  return guarded([&]() -> result<void, errc> {
    // The rows this statement sees are deleted and come back as their sums; rows other
    // transactions add meanwhile are not seen and stay. Two folds at once: the second skips
    // the rows the first deleted.
    sql::statement st(connection_of(s), R"(WITH gone AS (DELETE FROM outbox_counts
                                                         RETURNING status, n)
                                           INSERT INTO outbox_counts (status, n)
                                           SELECT status, SUM(n) FROM gone GROUP BY status)");
    st.run();
    return {};
  });
}

}  // namespace hd::storage
