// Thin RAII helpers over the SQLite C API, throwing hearth::Error on failure.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "core/error.h"

namespace hearth::memory {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql);
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, const std::string& v);
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, double v);
  Stmt& bind_blob(int i, const void* data, size_t n);
  Stmt& bind_null(int i);
  bool step();  // true while a row is available
  void run() { while (step()) {} }
  void reset();
  std::string text(int col) const;
  int64_t i64(int col) const { return sqlite3_column_int64(st_, col); }
  double dbl(int col) const { return sqlite3_column_double(st_, col); }
  bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  const void* blob(int col) const { return sqlite3_column_blob(st_, col); }
  sqlite3_stmt* handle() const { return st_; }
  int bytes(int col) const { return sqlite3_column_bytes(st_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

[[noreturn]] void sqlite_fail(sqlite3* db, const std::string& what);

}  // namespace hearth::memory
