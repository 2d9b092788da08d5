#pragma once
// The PostgreSQL schema, kept side by side with SQLite's (schema.cpp; issue 18,
// docs/scale-out.md). PostgreSQL has no installed base older than SQLite's schema 17, so its
// list starts with a baseline numbered 17 that creates what SQLite's migrations 1-17 made;
// every later SQLite migration N gets a PostgreSQL migration N (a unit test holds the two
// lists to the same last number, and an integration test compares their tables and columns).

#include "pg.hpp"

#include <string>
#include <vector>

namespace hd::storage::pg {

struct migration {
  int version;       ///< the SQLite schema version this brings PostgreSQL to
  std::string name;  ///< what it does, for logs
  std::string sql;   ///< DDL, run with connection::exec inside the migration's transaction
};

/// The PostgreSQL migrations, oldest first; the first is the baseline (version 17).
const std::vector<migration>& migrations();

/// The version the newest migration brings a database to (equal to SQLite's schema_version()).
int schema_version();

/// The database's version: 0 for an empty database (no schema_version table yet).
int version_of(const connection& c);

/// Brings the database up to schema_version() in one transaction, under a lock on the
/// version table, so that several daemons starting at once migrate it once. Throws pg_error
/// on failure (nothing is left half-done) and std::runtime_error when the database is newer
/// than this build. Returns the version it found. TARGET (tests only) stops at an earlier
/// version, to build a database as that version left it.
int migrate(const connection& c, int target = schema_version());

}  // namespace hd::storage::pg
