#include "hd/storage/leases.hpp"

#include "store_impl.hpp"

#include <algorithm>
#include <string_view>

namespace hd::storage {

namespace {

// FNV-1a over mailbox and daemon: the same on every host and build (std::hash is not
// promised to be), so every daemon breaks ties alike.
std::uint64_t tie_hash(const std::string& mailbox, const std::string& daemon) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(mailbox);
  mix(std::string_view("\n", 1));
  mix(daemon);
  return h;
}

}  // namespace

std::map<std::string, std::string> assign_mailboxes(
    const std::map<std::string, std::vector<std::string>>& served_by,
    const std::map<std::string, std::string>& holder) {
  std::set<std::string> daemons;
  for (const auto& [m, ds] : served_by) daemons.insert(ds.begin(), ds.end());
  std::map<std::string, std::string> out;
  if (daemons.empty()) return out;
  const std::size_t share = (served_by.size() + daemons.size() - 1) / daemons.size();
  std::map<std::string, std::size_t> load;
  // A holder keeps its mailboxes up to its share, in name order.
  for (const auto& [m, ds] : served_by) {
    auto h = holder.find(m);
    if (h == holder.end() || std::find(ds.begin(), ds.end(), h->second) == ds.end()) continue;
    if (load[h->second] >= share) continue;
    out[m] = h->second;
    ++load[h->second];
  }
  // The rest: those with the fewest candidates first (a mailbox only one daemon serves must
  // not find that daemon's share used up by mailboxes others could have taken).
  std::vector<std::pair<std::size_t, std::string>> rest;
  for (const auto& [m, ds] : served_by) {
    if (!out.contains(m) && !ds.empty()) rest.emplace_back(ds.size(), m);
  }
  std::sort(rest.begin(), rest.end());
  for (const auto& [n, m] : rest) {
    const std::vector<std::string>& ds = served_by.at(m);
    const std::string* best = nullptr;
    for (const std::string& d : ds) {
      if (best == nullptr || load[d] < load[*best] ||
          (load[d] == load[*best] && tie_hash(m, d) < tie_hash(m, *best))) {
        best = &d;
      }
    }
    out[m] = *best;
    ++load[*best];
  }
  return out;
}

result<lease_round_result, errc> take_leases(store& s, const daemon_info& daemon,
                                             const std::vector<std::string>& mailboxes,
                                             std::int64_t now, int lease_s) {
  if (!on_postgres(s)) {
    return lease_round_result{std::set<std::string>(mailboxes.begin(), mailboxes.end()), {}};
  }
  return guarded([&]() -> result<lease_round_result, errc> {
    const sql::connection& db = connection_of(s);
    const std::set<std::string> mine(mailboxes.begin(), mailboxes.end());
    sql::transaction tx(db);
    sql::statement alive(db, R"(INSERT INTO daemons (id, host, pid, started_at, heartbeat_at)
                                VALUES (?1, ?2, ?3, ?4, ?5)
                                ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at)");
    alive.bind(1, daemon.id).bind(2, daemon.host).bind(3, daemon.pid);
    alive.bind(4, daemon.started_at).bind(5, now).run();
    // A daemon killed without a clean stop is listed (status) for ten lease times, then gone
    // (with its list of mailboxes).
    sql::statement gone(db, "DELETE FROM daemons WHERE heartbeat_at < ?1");
    gone.bind(1, now - std::int64_t{10} * lease_s).run();
    // The list this daemon serves, written again when the configuration changed it.
    std::set<std::string> listed;
    {
      sql::statement st(db, "SELECT mailbox FROM daemon_mailboxes WHERE daemon = ?1");
      st.bind(1, daemon.id);
      while (st.step()) listed.insert(st.text(0));
    }
    if (listed != mine) {
      sql::statement clear(db, "DELETE FROM daemon_mailboxes WHERE daemon = ?1");
      clear.bind(1, daemon.id).run();
      sql::statement add(db, "INSERT INTO daemon_mailboxes (daemon, mailbox) VALUES (?1, ?2)");
      for (const std::string& m : mine) {
        add.bind(1, daemon.id).bind(2, m).run();
        add.reset();
      }
    }
    // The spread, from the live daemons' lists and the live leases.
    std::map<std::string, std::vector<std::string>> served_by;
    {
      sql::statement st(db, R"(SELECT dm.mailbox, dm.daemon FROM daemon_mailboxes dm
                                 JOIN daemons d ON d.id = dm.daemon
                                WHERE d.heartbeat_at > ?1 OR d.id = ?2
                                ORDER BY dm.mailbox, dm.daemon)");
      st.bind(1, now - lease_s).bind(2, daemon.id);
      while (st.step()) served_by[st.text(0)].push_back(st.text(1));
    }
    std::map<std::string, std::string> holder;
    {
      sql::statement st(db, "SELECT mailbox, holder FROM mailbox_leases WHERE expires_at > ?1");
      st.bind(1, now);
      while (st.step()) holder[st.text(0)] = st.text(1);
    }
    const std::map<std::string, std::string> plan = assign_mailboxes(served_by, holder);
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
    // Given up: expired now, so the daemon the spread names takes it at its next round.
    sql::statement give(db, R"(UPDATE mailbox_leases SET expires_at = ?3
                                WHERE mailbox = ?1 AND holder = ?2 AND expires_at > ?3)");
    lease_round_result r;
    for (const std::string& m : mine) {
      auto p = plan.find(m);
      if (p != plan.end() && p->second == daemon.id) {
        take.bind(1, m).bind(2, daemon.id).bind(3, now).bind(4, now + lease_s);
        if (take.step()) r.held.insert(take.text(0));
        take.reset();
      } else {
        give.bind(1, m).bind(2, daemon.id).bind(3, now).run();
        if (db.changes() > 0) r.handed_over.insert(m);
        give.reset();
      }
    }
    tx.commit();
    return r;
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
