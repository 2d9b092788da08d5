#include "hd/storage/leases.hpp"

#include "store_impl.hpp"

namespace hd::storage {

result<std::set<std::string>, errc> take_leases(store& s, const daemon_info& daemon,
                                                const std::vector<std::string>& mailboxes,
                                                std::int64_t now, int lease_s) {
  if (!on_postgres(s)) return std::set<std::string>(mailboxes.begin(), mailboxes.end());
  return guarded([&]() -> result<std::set<std::string>, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement alive(db, R"(INSERT INTO daemons (id, host, pid, started_at, heartbeat_at)
                                VALUES (?1, ?2, ?3, ?4, ?5)
                                ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at)");
    alive.bind(1, daemon.id).bind(2, daemon.host).bind(3, daemon.pid);
    alive.bind(4, daemon.started_at).bind(5, now).run();
    // A daemon killed without a clean stop is listed (status) for ten lease times, then gone.
    sql::statement gone(db, "DELETE FROM daemons WHERE heartbeat_at < ?1");
    gone.bind(1, now - std::int64_t{10} * lease_s).run();
    // The row is ours when it is new, ours already, or expired: the WHERE of DO UPDATE is
    // checked against the row as it is when the statement gets its lock, so of two daemons
    // taking an expired lease at once the second finds the first's fresh expiry and gets no
    // row back.
    sql::statement take(db,
                        R"(INSERT INTO mailbox_leases (mailbox, holder, heartbeat_at, expires_at)
                               VALUES (?1, ?2, ?3, ?4)
                               ON CONFLICT (mailbox) DO UPDATE
                                 SET holder = excluded.holder, heartbeat_at = excluded.heartbeat_at,
                                     expires_at = excluded.expires_at
                                 WHERE mailbox_leases.holder = excluded.holder
                                    OR mailbox_leases.expires_at <= excluded.heartbeat_at
                               RETURNING mailbox)");
    std::set<std::string> held;
    for (const std::string& m : mailboxes) {
      take.bind(1, m).bind(2, daemon.id).bind(3, now).bind(4, now + lease_s);
      if (take.step()) held.insert(take.text(0));
      take.reset();
    }
    tx.commit();
    return held;
  });
}

result<void, errc> release_leases(store& s, const std::string& daemon_id) {
  if (!on_postgres(s)) return {};
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement leases(db, "DELETE FROM mailbox_leases WHERE holder = ?1");
    leases.bind(1, daemon_id).run();
    sql::statement gone(db, "DELETE FROM daemons WHERE id = ?1");
    gone.bind(1, daemon_id).run();
    tx.commit();
    return {};
  });
}

result<std::vector<lease_info>, errc> list_leases(store& s) {
  if (!on_postgres(s)) return std::vector<lease_info>{};
  return guarded([&]() -> result<std::vector<lease_info>, errc> {
    sql::statement st(connection_of(s), R"(SELECT mailbox, holder, heartbeat_at, expires_at
                                             FROM mailbox_leases ORDER BY mailbox)");
    std::vector<lease_info> out;
    while (st.step()) out.push_back({st.text(0), st.text(1), st.integer(2), st.integer(3)});
    return out;
  });
}

result<std::vector<daemon_info>, errc> list_daemons(store& s) {
  if (!on_postgres(s)) return std::vector<daemon_info>{};
  return guarded([&]() -> result<std::vector<daemon_info>, errc> {
    sql::statement st(connection_of(s), R"(SELECT id, host, pid, started_at, heartbeat_at
                                             FROM daemons ORDER BY id)");
    std::vector<daemon_info> out;
    while (st.step()) {
      out.push_back({st.text(0), st.text(1), st.integer(2), st.integer(3), st.integer(4)});
    }
    return out;
  });
}

}  // namespace hd::storage
