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
/// The one person named NAME (compared case-insensitively for ASCII, surrounding space
/// ignored). errc::not_found when none; errc::invalid, listing their ids, when several are.
result<std::int64_t, errc> find_person_by_name(store& s, std::string_view name);
/// The person owning ADDRESS (compared case-insensitively). errc::not_found when none.
result<std::int64_t, errc> find_person(store& s, std::string_view address);

struct company_summary {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> domains;
  std::int64_t person_count = 0;
  std::int64_t request_count = 0;
  std::int64_t created_at = 0;
  std::string category;  ///< one of the config's [companies] categories, or empty
  std::string industry;  ///< one of the config's [companies] industries, or empty
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

/// Creates company NAME (trimmed, non-empty, unique) owning DOMAINS (as add_company_domain),
/// in one transaction: nothing is created when a domain is malformed or taken. Returns its id;
/// errc::invalid when the name is empty or taken. Recorded as events by ACTOR.
result<std::int64_t, errc> add_company(store& s, std::string_view name, std::string_view actor,
                                       std::int64_t now,
                                       const std::vector<std::string>& domains = {});

/// Gives DOMAIN (e.g. "bigcorp.nl"; lower-cased, a leading "@" dropped) to company ID: persons
/// created later from that domain land under it, and existing persons of that domain with no
/// company are moved under it now (the number moved is returned). errc::invalid when the domain
/// is malformed or belongs to another company; errc::not_found when there is no company ID.
result<std::int64_t, errc> add_company_domain(store& s, std::int64_t id, std::string_view domain,
                                              std::string_view actor, std::int64_t now);

/// What `persons edit` changes; fields left unset stay as they are.
struct person_changes {
  std::optional<std::string> name;
  std::optional<std::string> language;     ///< "" forgets it (learned again from the next mail)
  std::optional<std::int64_t> company_id;  ///< move under this company
  bool clear_company = false;              ///< belong to no company
  std::vector<std::string> add_addresses;  ///< must not belong to another person
  std::vector<std::string> remove_addresses;
};

/// Applies C to person ID in one transaction and records a "person.edited" event by ACTOR.
/// errc::not_found for no such person or company; errc::invalid for a malformed address, one
/// that belongs to another person, removing an address the person does not have, or removing
/// their last address.
result<void, errc> edit_person(store& s, std::int64_t id, const person_changes& c,
                               std::string_view actor, std::int64_t now);

/// Merges person FROM into INTO (a duplicate: two addresses of one customer): FROM's
/// addresses, requests and messages move to INTO, which keeps its name, language and company
/// unless it has none; FROM is deleted. One transaction; a "person.merged" event, and a
/// "person_merged" event on every request that moved. errc::invalid when FROM == INTO.
result<void, errc> merge_persons(store& s, std::int64_t from, std::int64_t into,
                                 std::string_view actor, std::int64_t now);

/// What `companies edit` changes; fields left unset stay as they are. The caller checks
/// category and industry against the config's lists ("" clears them).
struct company_changes {
  std::optional<std::string> name;
  std::optional<std::string> category;
  std::optional<std::string> industry;
  std::vector<std::string> add_domains;  ///< as add_company_domain (persons move under it)
  std::vector<std::string> remove_domains;
};

/// Applies C to company ID in one transaction with a "company.edited" event by ACTOR.
/// errc::not_found for no such company; errc::invalid for a taken name, a malformed or taken
/// domain, or removing a domain the company does not own.
result<void, errc> edit_company(store& s, std::int64_t id, const company_changes& c,
                                std::string_view actor, std::int64_t now);

/// Merges company FROM into INTO: its persons and domains move to INTO, which keeps its
/// category and industry unless it has none; FROM is deleted. One transaction, a
/// "company.merged" event. errc::invalid when FROM == INTO.
result<void, errc> merge_companies(store& s, std::int64_t from, std::int64_t into,
                                   std::string_view actor, std::int64_t now);

}  // namespace hd::storage
