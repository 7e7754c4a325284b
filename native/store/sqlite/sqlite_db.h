// Thin RAII wrappers over the SQLite C API: a connection and a cached prepared statement.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "store/records.h"

namespace sb::store::sqlite {

class stmt {
 public:
  stmt() = default;
  stmt(sqlite3* db, const char* sql);
  ~stmt();
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;
  stmt(stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }

  bool ok() const { return s_ != nullptr; }
  stmt& bind(int i, std::string_view v);
  stmt& bind(int i, std::int64_t v);
  stmt& bind_null(int i);
  /** SQLITE_ROW, SQLITE_DONE or an error code. */
  int step();
  void reset();
  std::string text(int col) const;
  std::int64_t integer(int col) const;
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

/** Opens a connection with the pragmas every connection needs. nullptr + error on failure. */
sqlite3* open_connection(const std::string& path, int busy_timeout_ms, bool synchronous_full,
                         std::string& error);
/** Runs SQL without results; returns false and sets `error` on failure. */
bool exec(sqlite3* db, const char* sql, std::string* error = nullptr);

/** A message row selected as: id, conv, seq, client_id, sender_kind, sender_id, sender_name,
 *  text, ts_ms (the order of every message query). */
message read_message(const stmt& s);

/** Applies every migration newer than the database's version, each in a transaction. */
bool migrate(sqlite3* db, std::string& error);

}  // namespace sb::store::sqlite
