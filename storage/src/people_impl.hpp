#pragma once
// What people.cpp and people_edit.cpp share: company rows, events, domain ownership.

#include "hd/storage/people.hpp"
#include "sql.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::storage::people_detail {

/// Company ID (every company when nullopt), with domains.
std::vector<company_summary> read_companies(const sql::connection& db,
                                            std::optional<std::int64_t> id);
/// Records an event that belongs to no request (persons, companies).
void add_event(const sql::connection& db, std::string_view actor, std::string_view kind,
               std::string_view detail, std::int64_t now);
/// S without surrounding white space.
std::string trim(std::string_view s);
/// The lower-case domain, or empty when malformed.
std::string normalize_domain(std::string_view d);
/// Gives DOMAIN to company ID inside the caller's transaction: see add_company_domain.
result<std::int64_t, errc> give_domain(const sql::connection& db, std::int64_t id,
                                       std::string_view domain, std::string_view actor,
                                       std::int64_t now);

}  // namespace hd::storage::people_detail
