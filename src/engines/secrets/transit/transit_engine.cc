#include "engines/secrets/transit/transit_engine.h"

#include <mutex>

#include "common/encoding.h"
#include "common/path_segments.h"
#include "engines/field_reader.h"
#include "engines/secrets/transit/transit_keys.h"

namespace tresor::engines::transit {
namespace {

using logical::Operation;
using logical::Request;
using logical::Response;

Status RefuseTrue(FieldReader& fields, std::string_view name, std::string_view why) {
  TRESOR_ASSIGN_OR_RETURN(auto value, fields.Bool(name));
  if (value.value_or(false)) {
    return InvalidArgumentError(std::string(name) + " is not supported: " + std::string(why));
  }
  return Status::Ok();
}

Status RefuseSet(FieldReader& fields, std::string_view name, std::string_view why) {
  const nlohmann::json& raw = fields.Raw(name);
  bool empty = raw.is_null() || (raw.is_string() && raw.get<std::string>().empty()) ||
               (raw.is_number() && raw.get<double>() == 0);
  if (!empty) return InvalidArgumentError(std::string(name) + " is not supported: " + std::string(why));
  return Status::Ok();
}

nlohmann::json KeyData(const TransitKey& key) {
  nlohmann::json versions = nlohmann::json::object();
  for (const auto& [v, version] : key.versions) {
    versions[std::to_string(v)] =
        std::chrono::duration_cast<std::chrono::seconds>(version.created.time_since_epoch())
            .count();
  }
  return {{"name", key.name},
          {"type", key.type},
          {"keys", std::move(versions)},
          {"latest_version", key.latest_version},
          {"min_decryption_version", key.min_decryption_version},
          {"min_encryption_version", key.min_encryption_version},
          {"min_available_version", 0},
          {"deletion_allowed", key.deletion_allowed},
          {"derived", false},
          {"exportable", false},
          {"allow_plaintext_backup", false},
          {"auto_rotate_period", 0},
          {"imported_key", false},
          {"supports_encryption", true},
          {"supports_decryption", true},
          {"supports_derivation", false},
          {"supports_signing", false}};
}

// One item of an encrypt or decrypt: the fields, and where an error goes.
struct Item {
  std::string input;  // plaintext (base64) or ciphertext
  std::string aad;    // decoded associated_data
  std::string reference;
};

class TransitEngine final : public logical::Engine {
 public:
  explicit TransitEngine(const logical::EngineContext& context)
      : keys_(context.storage, context.clock) {}

  StatusOr<Response> Handle(const Request& request) override {
    std::vector<std::string> parts = PathSegments(request.path);
    if (parts.empty()) return NotFoundError("unsupported path");
    const std::string& head = parts[0];
    if (head == "keys" && parts.size() == 1 && request.operation == Operation::kList) {
      return ListKeys();
    }
    if (parts.size() < 2 || parts[1].empty()) return UnsupportedPath(request);
    const std::string& name = parts[1];
    if (head == "keys" && parts.size() == 2) return HandleKey(request, name);
    if (head == "keys" && parts.size() == 3 && parts[2] == "config" && IsWrite(request)) {
      return Configure(request, name);
    }
    if (head == "keys" && parts.size() == 3 && parts[2] == "rotate" && IsWrite(request)) {
      return RotateKey(name);
    }
    if (head == "encrypt" && parts.size() == 2 && IsWrite(request)) return Encrypt(request, name);
    if (head == "decrypt" && parts.size() == 2 && IsWrite(request)) return Decrypt(request, name);
    return UnsupportedPath(request);
  }

  // encrypt/<name> on a missing key is a create (Vault's upsert), so the ACL
  // asks for the create capability there.
  StatusOr<std::optional<bool>> Exists(const Request& request) override {
    std::vector<std::string> parts = PathSegments(request.path);
    if (parts.size() == 2 && (parts[0] == "encrypt" || parts[0] == "keys")) {
      TRESOR_ASSIGN_OR_RETURN(auto key, keys_.Get(parts[1]));
      return std::optional<bool>(key.has_value());
    }
    return std::optional<bool>();
  }

 private:
  static bool IsWrite(const Request& r) {
    return r.operation == Operation::kCreate || r.operation == Operation::kUpdate;
  }
  static StatusOr<Response> UnsupportedPath(const Request& r) {
    return UnsupportedOperationError(std::string(logical::OperationName(r.operation)) +
                                     " is not supported on this transit path: " + r.path);
  }

  StatusOr<Response> ListKeys() {
    TRESOR_ASSIGN_OR_RETURN(auto names, keys_.List());
    if (names.empty()) return NotFoundError("");
    return Response::Data({{"keys", names}});
  }

  StatusOr<TransitKey> Require(const std::string& name) {
    TRESOR_ASSIGN_OR_RETURN(auto key, keys_.Get(name));
    if (!key.has_value()) return InvalidArgumentError("encryption key not found: " + name);
    return std::move(*key);
  }

  StatusOr<Response> HandleKey(const Request& request, const std::string& name) {
    switch (request.operation) {
      case Operation::kRead: {
        TRESOR_ASSIGN_OR_RETURN(auto key, keys_.Get(name));
        if (!key.has_value()) return NotFoundError("");
        return Response::Data(KeyData(*key));
      }
      case Operation::kCreate:
      case Operation::kUpdate:
        return CreateKey(request, name);
      case Operation::kDelete:
        return DeleteKey(name);
      default:
        return UnsupportedPath(request);
    }
  }

  StatusOr<Response> CreateKey(const Request& request, const std::string& name) {
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    TRESOR_ASSIGN_OR_RETURN(auto type, fields.String("type"));
    TRESOR_RETURN_IF_ERROR(RefuseTrue(fields, "derived", "key derivation is not implemented"));
    TRESOR_RETURN_IF_ERROR(RefuseTrue(fields, "convergent_encryption", "needs derived keys"));
    TRESOR_RETURN_IF_ERROR(RefuseTrue(fields, "exportable", "transit keys never leave the server"));
    TRESOR_RETURN_IF_ERROR(RefuseTrue(fields, "allow_plaintext_backup", "transit keys never leave the server"));
    TRESOR_RETURN_IF_ERROR(RefuseSet(fields, "auto_rotate_period", "rotate with keys/<name>/rotate"));
    TRESOR_RETURN_IF_ERROR(RefuseSet(fields, "context", "key derivation is not implemented"));
    if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
      return InvalidArgumentError(*unknown);
    }
    std::lock_guard lock(write_mu_);
    TRESOR_ASSIGN_OR_RETURN(auto existing, keys_.Get(name));
    if (existing.has_value()) return Response::Data(KeyData(*existing));  // Vault: no change
    TRESOR_ASSIGN_OR_RETURN(TransitKey key, keys_.Create(name, type.value_or("aes256-gcm96")));
    return Response::Data(KeyData(key));
  }

  StatusOr<Response> DeleteKey(const std::string& name) {
    std::lock_guard lock(write_mu_);
    TRESOR_ASSIGN_OR_RETURN(auto key, keys_.Get(name));
    if (!key.has_value()) return Response::Empty();
    if (!key->deletion_allowed) {
      return InvalidArgumentError("deletion is not allowed for this key: set deletion_allowed "
                                  "with keys/" + name + "/config first");
    }
    TRESOR_RETURN_IF_ERROR(keys_.Delete(name));
    return Response::Empty();
  }

  StatusOr<Response> Configure(const Request& request, const std::string& name) {
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    TRESOR_ASSIGN_OR_RETURN(auto min_decrypt, fields.Int("min_decryption_version"));
    TRESOR_ASSIGN_OR_RETURN(auto min_encrypt, fields.Int("min_encryption_version"));
    TRESOR_ASSIGN_OR_RETURN(auto deletion, fields.Bool("deletion_allowed"));
    TRESOR_RETURN_IF_ERROR(RefuseTrue(fields, "exportable", "transit keys never leave the server"));
    TRESOR_RETURN_IF_ERROR(RefuseTrue(fields, "allow_plaintext_backup", "transit keys never leave the server"));
    TRESOR_RETURN_IF_ERROR(RefuseSet(fields, "auto_rotate_period", "rotate with keys/<name>/rotate"));
    if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
      return InvalidArgumentError(*unknown);
    }
    std::lock_guard lock(write_mu_);
    TRESOR_ASSIGN_OR_RETURN(TransitKey key, Require(name));
    if (min_decrypt.has_value()) {
      if (*min_decrypt < 1 || *min_decrypt > key.latest_version) {
        return InvalidArgumentError("min_decryption_version must be 1 to the latest version (" +
                                    std::to_string(key.latest_version) + ")");
      }
      key.min_decryption_version = static_cast<int>(*min_decrypt);
    }
    if (min_encrypt.has_value()) {
      if (*min_encrypt < 0 || *min_encrypt > key.latest_version) {
        return InvalidArgumentError("min_encryption_version must be 0 (the latest) to the latest "
                                    "version (" + std::to_string(key.latest_version) + ")");
      }
      key.min_encryption_version = static_cast<int>(*min_encrypt);
    }
    if (key.min_encryption_version > 0 &&
        key.min_encryption_version < key.min_decryption_version) {
      return InvalidArgumentError("min_encryption_version cannot be below min_decryption_version");
    }
    if (deletion.has_value()) key.deletion_allowed = *deletion;
    TRESOR_RETURN_IF_ERROR(keys_.Put(key));
    return Response::Data(KeyData(key));
  }

  StatusOr<Response> RotateKey(const std::string& name) {
    std::lock_guard lock(write_mu_);
    TRESOR_ASSIGN_OR_RETURN(TransitKey key, Require(name));
    keys_.Rotate(key);
    TRESOR_RETURN_IF_ERROR(keys_.Put(key));
    return Response::Data(KeyData(key));
  }

  // The items of a request: batch_input's, or the single one in the body.
  static StatusOr<std::vector<Item>> ReadItems(FieldReader& fields, const char* input_name,
                                               bool& batch) {
    const nlohmann::json& batch_input = fields.Raw("batch_input");
    std::vector<Item> items;
    auto read_one = [&](FieldReader& f) -> StatusOr<Item> {
      TRESOR_RETURN_IF_ERROR(RefuseSet(f, "context", "key derivation is not implemented"));
      TRESOR_RETURN_IF_ERROR(RefuseSet(f, "nonce", "convergent encryption is not implemented"));
      TRESOR_ASSIGN_OR_RETURN(auto input, f.String(input_name));
      TRESOR_ASSIGN_OR_RETURN(auto aad, f.String("associated_data"));
      TRESOR_ASSIGN_OR_RETURN(auto reference, f.String("reference"));
      Item item;
      item.input = input.value_or("");
      item.reference = reference.value_or("");
      if (aad.has_value() && !aad->empty()) {
        auto decoded = Base64Decode(*aad);
        if (!decoded.ok()) return InvalidArgumentError("associated_data must be base64");
        item.aad = std::move(*decoded);
      }
      return item;
    };
    batch = !batch_input.is_null();
    if (!batch) {
      TRESOR_ASSIGN_OR_RETURN(Item item, read_one(fields));
      items.push_back(std::move(item));
      return items;
    }
    if (!batch_input.is_array() || batch_input.empty()) {
      return InvalidArgumentError("batch_input must be a non-empty list of objects");
    }
    for (const auto& entry : batch_input) {
      TRESOR_ASSIGN_OR_RETURN(FieldReader f, FieldReader::FromObject(entry, "batch_input"));
      TRESOR_ASSIGN_OR_RETURN(Item item, read_one(f));
      items.push_back(std::move(item));
    }
    return items;
  }

  StatusOr<Response> Encrypt(const Request& request, const std::string& name) {
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    TRESOR_ASSIGN_OR_RETURN(auto version, fields.Int("key_version"));
    TRESOR_ASSIGN_OR_RETURN(auto type, fields.String("type"));
    bool batch = false;
    TRESOR_ASSIGN_OR_RETURN(std::vector<Item> items, ReadItems(fields, "plaintext", batch));
    if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
      return InvalidArgumentError(*unknown);
    }
    // Encryptions of an existing key run in parallel; only creating a
    // missing one (Vault's upsert) takes the write lock.
    TRESOR_ASSIGN_OR_RETURN(std::optional<TransitKey> key, keys_.Get(name));
    if (!key.has_value()) {
      std::lock_guard lock(write_mu_);
      TRESOR_ASSIGN_OR_RETURN(key, keys_.Get(name));
      if (!key.has_value()) {
        TRESOR_ASSIGN_OR_RETURN(TransitKey created,
                                keys_.Create(name, type.value_or("aes256-gcm96")));
        key = std::move(created);
      }
    }
    auto encrypt_one = [&](Item& item) -> StatusOr<std::string> {
      auto plaintext = Base64Decode(item.input);
      if (!plaintext.ok()) return InvalidArgumentError("failed to base64-decode plaintext");
      auto ciphertext = TransitKeys::Encrypt(*key, *plaintext, item.aad,
                                             static_cast<int>(version.value_or(0)));
      SecureWipe(*plaintext);
      return ciphertext;
    };
    int used_version = version.value_or(0) != 0 ? static_cast<int>(*version) : key->latest_version;
    return Answer(items, batch, "ciphertext", "missing plaintext to encrypt", encrypt_one,
                  used_version);
  }

  StatusOr<Response> Decrypt(const Request& request, const std::string& name) {
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    bool batch = false;
    TRESOR_ASSIGN_OR_RETURN(std::vector<Item> items, ReadItems(fields, "ciphertext", batch));
    if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
      return InvalidArgumentError(*unknown);
    }
    TRESOR_ASSIGN_OR_RETURN(TransitKey key, Require(name));
    auto decrypt_one = [&](Item& item) -> StatusOr<std::string> {
      TRESOR_ASSIGN_OR_RETURN(std::string plaintext,
                              TransitKeys::Decrypt(key, item.input, item.aad));
      std::string encoded = Base64Encode(plaintext);
      SecureWipe(plaintext);
      return encoded;
    };
    return Answer(items, batch, "plaintext", "missing ciphertext to decrypt", decrypt_one, 0);
  }

  // The single answer, or batch_results with each item's result or error
  // (as Vault: one bad item does not fail the others).
  template <typename Fn>
  static StatusOr<Response> Answer(std::vector<Item>& items, bool batch, const char* output,
                                   const char* missing, Fn&& one, int key_version) {
    auto run = [&](Item& item) -> StatusOr<std::string> {
      if (item.input.empty()) return InvalidArgumentError(missing);
      return one(item);
    };
    if (!batch) {
      TRESOR_ASSIGN_OR_RETURN(std::string result, run(items[0]));
      nlohmann::json data = {{output, std::move(result)}};
      if (key_version > 0) data["key_version"] = key_version;
      return Response::Data(std::move(data));
    }
    nlohmann::json results = nlohmann::json::array();
    for (Item& item : items) {
      nlohmann::json entry = nlohmann::json::object();
      auto result = run(item);
      if (result.ok()) {
        entry[output] = std::move(*result);
        if (key_version > 0) entry["key_version"] = key_version;
      } else {
        entry["error"] = result.status().message();
      }
      if (!item.reference.empty()) entry["reference"] = item.reference;
      results.push_back(std::move(entry));
    }
    return Response::Data({{"batch_results", std::move(results)}});
  }

  TransitKeys keys_;
  std::mutex write_mu_;
};

}  // namespace

std::unique_ptr<logical::Engine> NewTransitEngine(const logical::EngineContext& context) {
  return std::make_unique<TransitEngine>(context);
}

}  // namespace tresor::engines::transit
