// HCL1, the configuration language of Vault's server config files and ACL
// policies, parsed into a tree of hcl::Value. The JSON form of the same files
// parses into the same tree.
//
// Who calls it: server/config.cc for `tresor server -config=FILE`; the ACL
// policy parser; anything else that reads operator-written HCL.
// Thread safety: the parse functions are stateless and may run concurrently;
// a Value is an ordinary value type (const access from many threads is safe).
//
// The tree follows HCL1's decoding rules:
//   key = value                    -> entry key: value
//   name { body }, name = { body } -> entry name: object(body)
//   name "a" "b" { body }          -> entry name: {a: {b: object(body)}}
// Objects are ORDERED LISTS of entries, not maps, because HCL repeats keys
// (`listener "tcp" {...}` twice; `path "..." {...}` once per rule in a policy).
// Every value and every entry records the 1-based line and column where it
// starts (columns count bytes) so callers can report "config.hcl:12: ...".
// Values parsed from JSON have position 0:0 (unknown).
//
// Supported syntax: identifiers (letters, digits, '_', '-', '.') and quoted
// strings as keys; strings with \n \r \t \" \\ \/ \uXXXX \UXXXXXXXX escapes;
// heredocs (<<EOF ... EOF, and <<-EOF which strips the common indentation);
// integers (int64) and floats (with fraction and/or exponent), optionally
// negative; true/false; lists (may span lines, trailing comma allowed);
// nested objects; comments (#, //, /* */). Commas between entries are
// optional. Nesting deeper than kMaxNestingDepth is refused so that hostile
// input (policies arrive over the API) cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace tresor::hcl {

inline constexpr int kMaxNestingDepth = 100;

enum class Type { kNull, kBool, kInt, kFloat, kString, kList, kObject };

// "null", "a bool", "an integer", "a fractional number", "a string",
// "a list", "an object": for messages such as "expected a bool, got a string".
std::string_view TypeName(Type type);

// Where something starts in the source text. 0 means unknown (JSON input).
struct Position {
  int line = 0;
  int column = 0;
};

struct ObjectEntry;

class Value {
 public:
  using List = std::vector<Value>;
  using Object = std::vector<ObjectEntry>;

  // A null value at an unknown position.
  Value() = default;

  static Value Null(Position position = {});
  static Value Bool(bool value, Position position = {});
  static Value Int(int64_t value, Position position = {});
  static Value Float(double value, Position position = {});
  static Value String(std::string value, Position position = {});
  static Value MakeList(List items, Position position = {});
  static Value MakeObject(Object entries, Position position = {});

  Type type() const;
  const Position& position() const { return position_; }
  int line() const { return position_.line; }

  bool IsNull() const { return type() == Type::kNull; }
  bool IsBool() const { return type() == Type::kBool; }
  bool IsInt() const { return type() == Type::kInt; }
  bool IsFloat() const { return type() == Type::kFloat; }
  // True for integers and floats.
  bool IsNumber() const { return IsInt() || IsFloat(); }
  bool IsString() const { return type() == Type::kString; }
  bool IsList() const { return type() == Type::kList; }
  bool IsObject() const { return type() == Type::kObject; }

  // Checked accessors. Each returns the value when the type matches, else
  // InvalidArgument "expected <wanted>, got <actual>" (no position: callers
  // add "file:line: key:" in front). Strict: no conversion between types,
  // except that AsDouble() accepts integers.
  StatusOr<bool> AsBool() const;
  StatusOr<int64_t> AsInt() const;
  StatusOr<double> AsDouble() const;
  StatusOr<std::string> AsString() const;
  // The returned pointer stays valid as long as this Value is alive and
  // unmodified.
  StatusOr<const List*> AsList() const;
  StatusOr<const Object*> AsObject() const;

  // Unchecked accessors. REQUIRES: the matching Is*() is true (aborts
  // otherwise). References stay valid while this Value is alive.
  bool bool_value() const;
  int64_t int_value() const;
  double float_value() const;
  const std::string& string_value() const;
  const List& list() const;
  const Object& object() const;

  // For objects: the value of the first entry named `key`, or nullptr when
  // there is none or this is not an object. The pointer stays valid while
  // this Value is alive and unmodified.
  const Value* Find(std::string_view key) const;
  // For objects: every entry named `key`, in source order (empty otherwise).
  std::vector<const ObjectEntry*> FindAll(std::string_view key) const;

  // A compact, ordered rendering for tests and debugging, e.g.
  // `{a = 1, b = [true, "x"], c = {d = 1.5}}`. Keys that are not plain
  // identifiers are quoted. Positions are not shown.
  std::string DebugString() const;

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, List, Object> data_;
  Position position_;
};

// One `key = value` (or block) in an object. `position` is where the key
// starts; `value.position()` is where the value starts.
struct ObjectEntry {
  std::string key;
  Position position;
  Value value;
};

// Parses HCL1 text. The result is always an object (the file's top level).
// On error returns InvalidArgument "line N, column M: <what is wrong>". The
// message may quote a short piece of the input (a key, a bad escape) but
// never a whole string value.
StatusOr<Value> ParseHcl(std::string_view text);

// Parses a JSON document into the same tree (objects keep document order;
// positions are 0). Numbers that fit int64 become kInt, others kFloat;
// unsigned integers above INT64_MAX are refused. Errors are InvalidArgument
// "line N, column M: <what is wrong>" without echoing the input.
StatusOr<Value> ParseJson(std::string_view text);

// Picks ParseJson when `filename` ends in ".json", else ParseHcl. When
// `filename` is not empty, error messages start with "<filename>: ".
StatusOr<Value> Parse(std::string_view text, std::string_view filename);

// Renders the tree as JSON the way Vault's HCL decoding presents it: a key
// repeated within one object becomes an array of its values in source order
// (so two `path "..." {}` rules become "path": [{...}, {...}]); a key seen
// once keeps its plain value.
nlohmann::json ToJson(const Value& value);

// A labelled block after normalising the shapes HCL and JSON allow for it.
// For `listener "tcp" { ... }`, all of
//   HCL:  listener "tcp" { ... }        listener { tcp { ... } }
//   JSON: "listener": {"tcp": {...}}    "listener": [{"tcp": {...}}]
//         "listener": {"tcp": [{...}]}
// give one Block with labels {"tcp"} and body pointing at the { ... } object.
struct Block {
  std::vector<std::string> labels;
  // Always an object. Points into the Value passed to ExpandBlock; valid as
  // long as it is alive and unmodified.
  const Value* body = nullptr;
  // Where the last label (or, with no labels, the key) starts.
  Position position;
};

// Expands `entry` into the blocks it holds, each with exactly `label_count`
// labels (0 for an unlabelled block such as `retry_join { ... }`). Returns
// an empty vector for an empty object (`listener {}`). Returns
// InvalidArgument "expected a block ..., got <type>" (no position) when the
// shape is wrong, e.g. `listener = "tcp"`.
StatusOr<std::vector<Block>> ExpandBlock(const ObjectEntry& entry, int label_count);

}  // namespace tresor::hcl
