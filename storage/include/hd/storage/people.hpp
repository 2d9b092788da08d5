#pragma once
// Persons (customers, found by any of their addresses) and companies (which persons belong to,
// and which can own mail domains so that new persons land under them).

#include "hd/storage/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::storage {

struct person_summary {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> addresses;  ///< lower-case, the first one seen first
  std::optional<std::int64_t> company_id;
  std::string company;  ///< empty when none
  std::int64_t request_count = 0;
  std::int64_t created_at = 0;
};

struct person_filter {
  std::optional<std::int64_t> company_id;
  int limit = 1000;
};

/// Persons, by id.
result<std::vector<person_summary>, errc> list_persons(store& s, const person_filter& f = {});

struct person_detail {
  person_summary person;
  std::optional<std::string> language;
  std::vector<request_summary> requests;  ///< the requests they raised, oldest first
};

/// Person ID with their requests. errc::not_found when none.
result<person_detail, errc> show_person(store& s, std::int64_t id);
/// The person owning ADDRESS (compared case-insensitively). errc::not_found when none.
result<std::int64_t, errc> find_person(store& s, std::string_view address);

struct company_summary {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> domains;
  std::int64_t person_count = 0;
  std::int64_t request_count = 0;
  std::int64_t created_at = 0;
};

/// Companies, by name.
result<std::vector<company_summary>, errc> list_companies(store& s);

struct company_detail {
  company_summary company;
  std::vector<person_summary> persons;
  std::vector<request_summary> requests;  ///< requests of its persons, oldest first
};

/// Company ID with its persons and their requests. errc::not_found when none.
result<company_detail, errc> show_company(store& s, std::int64_t id);
/// The company named NAME (exactly), or with id NAME when NAME is all digits. errc::not_found.
result<std::int64_t, errc> find_company(store& s, std::string_view name_or_id);

/// Creates company NAME (trimmed, non-empty, unique). Returns its id; errc::invalid when the
/// name is empty or taken. Recorded as an event by ACTOR.
result<std::int64_t, errc> add_company(store& s, std::string_view name, std::string_view actor,
                                       std::int64_t now);

/// Gives DOMAIN (e.g. "bigcorp.nl"; lower-cased, a leading "@" dropped) to company ID: persons
/// created later from that domain land under it, and existing persons of that domain with no
/// company are moved under it now (the number moved is returned). errc::invalid when the domain
/// is malformed or belongs to another company; errc::not_found when there is no company ID.
result<std::int64_t, errc> add_company_domain(store& s, std::int64_t id, std::string_view domain,
                                              std::string_view actor, std::int64_t now);

}  // namespace hd::storage
