// StateStore's replication log (raft/replication_log.h has the format).
#include <chrono>
#include <cstring>

#include "common/sha256.h"
#include "raft/command.h"
#include "raft/lmdb_util.h"
#include "raft/state_store.h"

namespace tresor::raft {
namespace {

constexpr std::string_view kWalHeadMetaKey = "wal_head";

void PutU64(std::string* out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

std::uint64_t GetU64(std::string_view bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string EntryKey(std::uint64_t index) {
  std::string key;
  PutU64(&key, index);
  return key;
}

// A kWalNextKey op's position; nullopt when it is malformed.
std::optional<WalPosition> DecodeNext(std::string_view value) {
  if (value.size() != 8 + kWalHashBytes) return std::nullopt;
  return WalPosition{GetU64(value), std::string(value.substr(8))};
}

// Whether key is under one of the NUL-separated prefixes.
bool UnderAny(std::string_view key, std::string_view prefixes) {
  while (!prefixes.empty()) {
    std::size_t nul = prefixes.find('\0');
    std::string_view prefix = prefixes.substr(0, nul);
    if (!prefix.empty() && key.substr(0, prefix.size()) == prefix) return true;
    if (nul == std::string_view::npos) break;
    prefixes.remove_prefix(nul + 1);
  }
  return false;
}

}  // namespace

StateOp WalConfigOp(std::uint64_t retain, std::string_view start_hash,
                    std::string_view excluded_prefix) {
  std::string value;
  PutU64(&value, retain);
  value.append(start_hash);
  value.append(excluded_prefix);
  return StateOp::Put(std::string(kWalConfigKey), std::move(value));
}

StateOp WalTimeOp(std::int64_t unix_ns) {
  std::string value;
  PutU64(&value, static_cast<std::uint64_t>(unix_ns));
  return StateOp::Put(std::string(kWalTimeKey), std::move(value));
}

StateOp WalNextOp(const WalPosition& position) {
  std::string value;
  PutU64(&value, position.index);
  value.append(position.hash);
  return StateOp::Put(std::string(kWalNextKey), std::move(value));
}

bool IsWalControlOp(const StateOp& op) {
  return op.type == StateOp::Type::kPut &&
         (op.key == kWalConfigKey || op.key == kWalNextKey || op.key == kWalTimeKey);
}

std::string WalChainHash(std::string_view previous, std::string_view encoded_ops) {
  Sha256 sha;
  sha.Update(previous);
  sha.Update(encoded_ops);
  return sha.Finish();
}

std::string EncodeWalHead(const WalHead& head) {
  std::string out;
  PutU64(&out, head.last.index);
  out += head.last.hash;
  PutU64(&out, head.floor.index);
  out += head.floor.hash;
  PutU64(&out, head.retain);
  out += head.excluded_prefix;
  return out;
}

StatusOr<WalHead> DecodeWalHead(std::string_view bytes) {
  constexpr std::size_t kFixed = 3 * 8 + 2 * kWalHashBytes;
  if (bytes.size() < kFixed) return CorruptionError("state store: malformed replication log head");
  WalHead head;
  head.last = {GetU64(bytes), std::string(bytes.substr(8, kWalHashBytes))};
  bytes.remove_prefix(8 + kWalHashBytes);
  head.floor = {GetU64(bytes), std::string(bytes.substr(8, kWalHashBytes))};
  bytes.remove_prefix(8 + kWalHashBytes);
  head.retain = GetU64(bytes);
  head.excluded_prefix = std::string(bytes.substr(8));
  if (head.retain == 0 || head.floor.index > head.last.index) {
    return CorruptionError("state store: malformed replication log head");
  }
  return head;
}

// ---- writer ----

StatusOr<std::optional<WalHead>> StateStore::ReadWalHeadIn(MDB_txn* txn) const {
  MDB_val key = ToVal(kWalHeadMetaKey), value;
  int rc = mdb_get(txn, meta_dbi_, &key, &value);
  if (rc == MDB_NOTFOUND) return std::optional<WalHead>();
  if (rc != 0) return LmdbError(rc, "reading the replication log head");
  TRESOR_ASSIGN_OR_RETURN(WalHead head, DecodeWalHead(FromVal(value)));
  return std::optional<WalHead>(std::move(head));
}

Status StateStore::WriteWalHead(MDB_txn* txn, const std::optional<WalHead>& head) const {
  // A hint for proposers (WalOn), not the truth: the transaction may still
  // abort, and a proposal that misses the hint only loses its stamp's
  // precision (the entry is stamped when applied instead).
  wal_on_.store(head.has_value(), std::memory_order_relaxed);
  MDB_val key = ToVal(kWalHeadMetaKey);
  int rc = 0;
  if (!head) {
    rc = mdb_del(txn, meta_dbi_, &key, nullptr);
    if (rc == MDB_NOTFOUND) rc = 0;
  } else {
    std::string encoded = EncodeWalHead(*head);
    MDB_val value = ToVal(encoded);
    rc = mdb_put(txn, meta_dbi_, &key, &value, 0);
  }
  return rc == 0 ? Status::Ok() : LmdbError(rc, "writing the replication log head");
}

Status StateStore::StageWal(MDB_txn* txn, std::uint64_t raft_index,
                            const std::vector<StateOp>& ops, bool replaced) {
  const StateOp* config = nullptr;
  const StateOp* next = nullptr;
  std::int64_t proposed_ns = 0;
  std::vector<StateOp> logged;
  for (const StateOp& op : ops) {
    if (op.type == StateOp::Type::kPut && op.key == kWalConfigKey) {
      config = &op;
    } else if (op.type == StateOp::Type::kPut && op.key == kWalNextKey) {
      next = &op;
    } else if (op.type == StateOp::Type::kPut && op.key == kWalTimeKey) {
      if (op.value.size() == 8) proposed_ns = static_cast<std::int64_t>(GetU64(op.value));
    } else if (op.type == StateOp::Type::kPut || op.type == StateOp::Type::kDelete) {
      logged.push_back(op);
    }
  }
  TRESOR_ASSIGN_OR_RETURN(std::optional<WalHead> head, ReadWalHeadIn(txn));
  bool changed = false;
  if (config != nullptr) {
    std::string_view value = config->value;
    if (value.size() < 8 + kWalHashBytes) {
      return InvalidArgumentError("state store: malformed replication log setting");
    }
    const std::uint64_t retain = GetU64(value);
    if (retain == 0) {
      head.reset();
    } else if (!head) {
      // Switched on: the log starts from the setting's random hash.
      WalPosition start{0, std::string(value.substr(8, kWalHashBytes))};
      head = WalHead{start, start, retain, std::string(value.substr(8 + kWalHashBytes))};
    } else {
      head->retain = retain;
      head->excluded_prefix = std::string(value.substr(8 + kWalHashBytes));
    }
    if (!head) {
      int rc = mdb_drop(txn, wal_dbi_, 0);
      if (rc != 0) return LmdbError(rc, "emptying the replication log");
    }
    changed = true;
  }
  if (!head) {
    if (next != nullptr) {
      return FailedPreconditionError("state store: the replication log is off");
    }
    return changed ? WriteWalHead(txn, head) : Status::Ok();
  }
  auto restart_at = [&](const WalPosition& position) -> Status {
    head->last = head->floor = position;
    int rc = mdb_drop(txn, wal_dbi_, 0);
    return rc == 0 ? Status::Ok() : LmdbError(rc, "emptying the replication log");
  };
  if (replaced) {
    // The history breaks: nothing before the restore can be followed.
    TRESOR_RETURN_IF_ERROR(restart_at(
        {head->last.index + 1, WalChainHash(head->last.hash, "restore")}));
    return WriteWalHead(txn, head);
  }
  std::erase_if(logged, [&](const StateOp& op) { return UnderAny(op.key, head->excluded_prefix); });
  std::optional<WalPosition> target;
  if (next != nullptr) {
    target = DecodeNext(next->value);
    if (!target) return InvalidArgumentError("state store: malformed replication log position");
    if (logged.empty()) {
      TRESOR_RETURN_IF_ERROR(restart_at(*target));
      return WriteWalHead(txn, head);
    }
  }
  if (logged.empty()) return changed ? WriteWalHead(txn, head) : Status::Ok();

  const std::string encoded = EncodeCommand(logged);
  WalPosition position{head->last.index + 1, WalChainHash(head->last.hash, encoded)};
  if (target && !(*target == position)) {
    // A replicated entry that does not continue this log: applying it
    // would fork the history. The DR client resyncs instead.
    return FailedPreconditionError(
        "state store: a replicated entry does not follow the replication log (expected index " +
        std::to_string(position.index) + ", got " + std::to_string(target->index) + ")");
  }
  if (proposed_ns == 0) {
    proposed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  }
  std::string key = EntryKey(position.index);
  std::string value = position.hash;
  value.push_back(kWalStampTag);
  PutU64(&value, raft_index);
  PutU64(&value, static_cast<std::uint64_t>(proposed_ns));
  value += encoded;
  MDB_val k = ToVal(key), v = ToVal(value);
  int rc = mdb_put(txn, wal_dbi_, &k, &v, MDB_APPEND);
  if (rc != 0) return LmdbError(rc, "appending to the replication log");
  head->last = position;
  // Trim the oldest entries beyond the retained count; the new floor keeps
  // its hash so that a node standing exactly there can still follow.
  while (head->last.index - head->floor.index > head->retain) {
    std::string floor_key = EntryKey(head->floor.index + 1);
    MDB_val fk = ToVal(floor_key), fv;
    rc = mdb_get(txn, wal_dbi_, &fk, &fv);
    if (rc == MDB_NOTFOUND) {
      head->floor = {head->floor.index + 1, std::string(kWalHashBytes, '\0')};
      continue;
    }
    if (rc != 0) return LmdbError(rc, "trimming the replication log");
    head->floor = {head->floor.index + 1, std::string(FromVal(fv).substr(0, kWalHashBytes))};
    if ((rc = mdb_del(txn, wal_dbi_, &fk, nullptr)) != 0) {
      return LmdbError(rc, "trimming the replication log");
    }
  }
  return WriteWalHead(txn, head);
}

// ---- readers ----

namespace {
// A read transaction that aborts itself.
StatusOr<TxnPtr> BeginRead(MDB_env* env) {
  MDB_txn* raw = nullptr;
  int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &raw);
  if (rc != 0) return IOError(std::string("state store: beginning a read: ") + mdb_strerror(rc));
  return TxnPtr(raw);
}
}  // namespace

StatusOr<std::optional<WalHead>> StateStore::ReadWalHead() const {
  TRESOR_ASSIGN_OR_RETURN(TxnPtr txn, BeginRead(env_));
  return ReadWalHeadIn(txn.get());
}

Status StateStore::ReadWal(
    std::uint64_t after, std::size_t max_bytes,
    const std::function<Status(const WalPosition&, const WalStamp&, std::string_view)>& visit)
    const {
  TRESOR_ASSIGN_OR_RETURN(TxnPtr txn, BeginRead(env_));
  TRESOR_ASSIGN_OR_RETURN(std::optional<WalHead> head, ReadWalHeadIn(txn.get()));
  if (!head) return FailedPreconditionError("state store: the replication log is off");
  if (after < head->floor.index) {
    return NotFoundError("state store: the replication log no longer holds entry " +
                           std::to_string(after + 1));
  }
  MDB_cursor* raw_cursor = nullptr;
  int rc = mdb_cursor_open(txn.get(), wal_dbi_, &raw_cursor);
  if (rc != 0) return LmdbError(rc, "opening a cursor");
  CursorPtr cursor(raw_cursor);
  std::string from = EntryKey(after + 1);
  MDB_val key = ToVal(from), value;
  std::size_t bytes = 0;
  for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    std::string_view v = FromVal(value);
    if (bytes > 0 && bytes + v.size() > max_bytes) break;
    bytes += v.size();
    WalPosition position{GetU64(FromVal(key)), std::string(v.substr(0, kWalHashBytes))};
    std::string_view encoded = v.substr(kWalHashBytes);
    WalStamp stamp;
    if (encoded.size() >= 17 && encoded.front() == kWalStampTag) {
      stamp.raft_index = GetU64(encoded.substr(1));
      stamp.unix_ns = static_cast<std::int64_t>(GetU64(encoded.substr(9)));
      encoded.remove_prefix(17);
    }
    TRESOR_RETURN_IF_ERROR(visit(position, stamp, encoded));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "reading the replication log");
  return Status::Ok();
}

StatusOr<bool> StateStore::WalHolds(const WalPosition& position) const {
  TRESOR_ASSIGN_OR_RETURN(TxnPtr txn, BeginRead(env_));
  TRESOR_ASSIGN_OR_RETURN(std::optional<WalHead> head, ReadWalHeadIn(txn.get()));
  if (!head) return false;
  if (position == head->floor || position == head->last) return true;
  if (position.index <= head->floor.index || position.index > head->last.index) return false;
  std::string k = EntryKey(position.index);
  MDB_val key = ToVal(k), value;
  int rc = mdb_get(txn.get(), wal_dbi_, &key, &value);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return LmdbError(rc, "reading the replication log");
  return FromVal(value).substr(0, kWalHashBytes) == position.hash;
}

bool StateStore::WaitForCommitPast(std::uint64_t index, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(commit_mutex_);
  return committed_.wait_for(lock, timeout, [&] {
    return committed_applied_index_.load(std::memory_order_acquire) > index;
  });
}

}  // namespace tresor::raft
