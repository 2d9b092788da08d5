#pragma once
// The private PostgreSQL of tests/integration/test_pg_connection.sh, for the doctest cases of
// test_pg_connection: its URL comes in HD_PG_URL; without it every case fails (never a silent
// skip).
#include "pg.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

namespace pg_test {

inline hd::storage::pg::connection open_test_db() {
  const char* url = std::getenv("HD_PG_URL");
  REQUIRE_MESSAGE(url != nullptr,
                  "HD_PG_URL is not set (run tests/integration/test_pg_connection.sh)");
  return hd::storage::pg::connection::open(url);
}

}  // namespace pg_test
