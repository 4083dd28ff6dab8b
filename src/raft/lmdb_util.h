// Small helpers for the LMDB C API shared by raft/state_store*.cc: views of
// MDB_val and RAII owners of transactions and cursors. Internal to raft/.
// Threads: stateless.
#pragma once

#include <lmdb.h>

#include <memory>
#include <string_view>

namespace tresor::raft {

inline MDB_val ToVal(std::string_view bytes) {
  // LMDB never writes through a key or data argument, only reads it.
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

inline std::string_view FromVal(const MDB_val& val) {
  return std::string_view(static_cast<const char*>(val.mv_data), val.mv_size);
}

// RAII for LMDB handles: a transaction that was not committed is aborted,
// a cursor is closed (cursors are declared after their transaction, so they
// go first).
struct TxnAborter {
  void operator()(MDB_txn* txn) const { mdb_txn_abort(txn); }
};
using TxnPtr = std::unique_ptr<MDB_txn, TxnAborter>;
struct CursorCloser {
  void operator()(MDB_cursor* cursor) const { mdb_cursor_close(cursor); }
};
using CursorPtr = std::unique_ptr<MDB_cursor, CursorCloser>;
}  // namespace tresor::raft
