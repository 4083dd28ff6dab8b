#include "barrier/barrier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/aes_gcm.h"
#include "common/random.h"
#include "storage/forwarding_backend.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::barrier {
namespace {

using storage::Operation;

// Forwards to an InmemBackend but can be told to fail Puts of one path, to
// prove that a failed keyring write leaves the barrier unchanged.
class FailingPutBackend final : public storage::ForwardingBackend {
 public:
  FailingPutBackend() : ForwardingBackend(&inner_) {}
  Status Put(std::string_view key, std::string_view value) override {
    if (key == fail_path_) return IOError("injected failure");
    return ForwardingBackend::Put(key, value);
  }
  void FailPutsOfForTest(std::string path) { fail_path_ = std::move(path); }

 private:
  storage::InmemBackend inner_;
  std::string fail_path_;
};

class BarrierTest : public ::testing::Test {
 protected:
  BarrierTest() : root_key_(RandomSecureBytes(32)), barrier_(physical_, clock_) {}

  void InitAndUnseal() {
    ASSERT_TRUE(barrier_.Initialize(root_key_).ok());
    ASSERT_TRUE(barrier_.Unseal(root_key_).ok());
  }

  std::string Raw(std::string_view path) {
    auto value = physical_.Get(path);
    EXPECT_TRUE(value.ok() && value->has_value()) << path;
    return value.ok() && value->has_value() ? **value : std::string();
  }

  std::string Read(AesGcmBarrier& barrier, std::string_view path) {
    auto value = barrier.Get(path);
    EXPECT_TRUE(value.ok()) << value.status().ToString();
    EXPECT_TRUE(value.ok() && value->has_value()) << path;
    return value.ok() && value->has_value() ? **value : std::string();
  }

  FakeClock clock_;
  storage::InmemBackend physical_;
  SecureBytes root_key_;
  AesGcmBarrier barrier_;
};

void ExpectCode(const Status& status, StatusCode code) {
  EXPECT_EQ(status.code(), code) << status.ToString();
}

TEST_F(BarrierTest, LifecycleStates) {
  auto initialized = barrier_.Initialized();
  ASSERT_TRUE(initialized.ok());
  EXPECT_FALSE(*initialized);
  EXPECT_TRUE(barrier_.Sealed());
  ExpectCode(barrier_.Unseal(root_key_), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(barrier_.Initialize(root_key_).ok());
  EXPECT_TRUE(*barrier_.Initialized());
  EXPECT_TRUE(barrier_.Sealed()) << "Initialize must leave the barrier sealed";
  ExpectCode(barrier_.Initialize(root_key_), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(barrier_.Unseal(root_key_).ok());
  EXPECT_FALSE(barrier_.Sealed());
  EXPECT_TRUE(barrier_.Unseal(root_key_).ok()) << "unsealing twice with the same key is OK";
  barrier_.Seal();
  EXPECT_TRUE(barrier_.Sealed());
}

TEST_F(BarrierTest, RootKeyMustBe32Bytes) {
  SecureBytes short_key = RandomSecureBytes(16);
  ExpectCode(barrier_.Initialize(short_key), StatusCode::kInvalidArgument);
  ASSERT_TRUE(barrier_.Initialize(root_key_).ok());
  ExpectCode(barrier_.Unseal(short_key), StatusCode::kInvalidArgument);
}

TEST_F(BarrierTest, KeyringIsStoredSealedUnderTheRootKey) {
  ASSERT_TRUE(barrier_.Initialize(root_key_).ok());
  std::string stored = Raw(kKeyringPath);
  EXPECT_EQ(stored.find("terms"), std::string::npos) << "keyring must not be stored in the clear";
  auto json = AesGcmOpen(root_key_, stored, kKeyringPath);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"term\":1"), std::string::npos);
}

TEST_F(BarrierTest, RoundTripsValues) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/a", "alpha").ok());
  ASSERT_TRUE(barrier_.Put("logical/empty", "").ok());
  std::string binary = RandomBytes(4096);
  ASSERT_TRUE(barrier_.Put("logical/dir/bin", binary).ok());
  EXPECT_EQ(Read(barrier_, "logical/a"), "alpha");
  EXPECT_EQ(Read(barrier_, "logical/empty"), "");
  EXPECT_EQ(Read(barrier_, "logical/dir/bin"), binary);

  auto missing = barrier_.Get("logical/none");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  auto listed = barrier_.List("logical/");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<std::string>{"a", "dir/", "empty"}));

  ASSERT_TRUE(barrier_.Delete("logical/a").ok());
  EXPECT_FALSE(barrier_.Get("logical/a")->has_value());
  ExpectCode(barrier_.Put("/bad", "x"), StatusCode::kInvalidArgument);
}

TEST_F(BarrierTest, BatchEncryptsEveryPut) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/old", "old").ok());
  ASSERT_TRUE(
      barrier_
          .Batch({Operation::Put("logical/x", "plain-x-value"),
                  Operation::Put("logical/y", "plain-y-value"), Operation::Delete("logical/old")})
          .ok());
  EXPECT_EQ(Read(barrier_, "logical/x"), "plain-x-value");
  EXPECT_EQ(Read(barrier_, "logical/y"), "plain-y-value");
  EXPECT_FALSE(barrier_.Get("logical/old")->has_value());
  EXPECT_EQ(Raw("logical/x").find("plain-x"), std::string::npos);
  EXPECT_EQ(Raw("logical/y").find("plain-y"), std::string::npos);
}

TEST_F(BarrierTest, PhysicalStorageNeverHoldsPlaintext) {
  InitAndUnseal();
  const std::string secret = "correct horse battery staple";
  ASSERT_TRUE(barrier_.Put("logical/one", secret).ok());
  ASSERT_TRUE(barrier_.Batch({Operation::Put("logical/two", secret)}).ok());
  ASSERT_TRUE(barrier_.Rotate().ok());
  ASSERT_TRUE(barrier_.Put("logical/three", secret).ok());
  auto keys = storage::ListRecursive(physical_, "");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 4u);  // core/keyring + three values.
  for (const std::string& key : *keys) {
    std::string raw = Raw(key);
    EXPECT_EQ(raw.find("horse"), std::string::npos) << key;
    EXPECT_EQ(raw.find("battery"), std::string::npos) << key;
  }
}

TEST_F(BarrierTest, ValueLayoutIsVersionTermNonceCiphertextTag) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/v", "12345").ok());
  std::string raw = Raw("logical/v");
  ASSERT_EQ(raw.size(), kValueHeaderSize + kAesGcmNonceSize + 5 + kAesGcmTagSize);
  EXPECT_EQ(raw.substr(0, 5), std::string("\x01\x00\x00\x00\x01", 5));
}

TEST_F(BarrierTest, EveryFlippedBitOfAStoredValueIsDetected) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/target", "a secret value").ok());
  const std::string original = Raw("logical/target");
  for (std::size_t i = 0; i < original.size(); ++i) {
    for (int bit : {0, 3, 7}) {
      std::string tampered = original;
      tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
      ASSERT_TRUE(physical_.Put("logical/target", tampered).ok());
      auto read = barrier_.Get("logical/target");
      ASSERT_FALSE(read.ok()) << "byte " << i << " bit " << bit;
      ASSERT_EQ(read.status().code(), StatusCode::kCorruption);
      EXPECT_EQ(read.status().message().find("a secret value"), std::string::npos);
    }
  }
  ASSERT_TRUE(physical_.Put("logical/target", original).ok());
  EXPECT_EQ(Read(barrier_, "logical/target"), "a secret value");
}

TEST_F(BarrierTest, TruncatedValuesAreRefused) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/target", "value").ok());
  const std::string original = Raw("logical/target");
  for (std::size_t len = 0; len < original.size(); ++len) {
    ASSERT_TRUE(physical_.Put("logical/target", original.substr(0, len)).ok());
    ExpectCode(barrier_.Get("logical/target").status(), StatusCode::kCorruption);
  }
}

TEST_F(BarrierTest, ValueCopiedToAnotherPathIsRefused) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/alice", "alice's secret").ok());
  ASSERT_TRUE(physical_.Put("logical/bob", Raw("logical/alice")).ok());
  auto read = barrier_.Get("logical/bob");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status(), CorruptionError("value at logical/bob failed authentication"));
}

TEST_F(BarrierTest, ChangedTermIsRefused) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/v", "value").ok());
  ASSERT_TRUE(barrier_.Rotate().ok());
  std::string raw = Raw("logical/v");
  raw[4] = 2;  // Claim term 2, which exists, but the AAD was for term 1.
  ASSERT_TRUE(physical_.Put("logical/v", raw).ok());
  ExpectCode(barrier_.Get("logical/v").status(), StatusCode::kCorruption);
  raw[4] = 9;  // A term that does not exist.
  ASSERT_TRUE(physical_.Put("logical/v", raw).ok());
  ExpectCode(barrier_.Get("logical/v").status(), StatusCode::kCorruption);
}

TEST_F(BarrierTest, OldTermsStayReadableAfterRotation) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/t1", "written under term 1").ok());
  clock_.Advance(std::chrono::hours(24));
  auto rotated = barrier_.Rotate();
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->term, 2u);
  EXPECT_EQ(rotated->install_time, clock_.Now());
  ASSERT_TRUE(barrier_.Put("logical/t2", "written under term 2").ok());
  EXPECT_EQ(Raw("logical/t1")[4], 1);
  EXPECT_EQ(Raw("logical/t2")[4], 2);
  EXPECT_EQ(Read(barrier_, "logical/t1"), "written under term 1");
  EXPECT_EQ(Read(barrier_, "logical/t2"), "written under term 2");
}

TEST_F(BarrierTest, KeyStatusCountsEncryptionsUnderTheActiveTerm) {
  InitAndUnseal();
  auto status = barrier_.ActiveKeyStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->term, 1u);
  EXPECT_EQ(status->install_time, clock_.Now());
  EXPECT_EQ(status->encryptions, 0u);
  ASSERT_TRUE(barrier_.Put("logical/a", "1").ok());
  ASSERT_TRUE(barrier_
                  .Batch({Operation::Put("logical/b", "2"), Operation::Put("logical/c", "3"),
                          Operation::Delete("logical/a")})
                  .ok());
  EXPECT_EQ(barrier_.ActiveKeyStatus()->encryptions, 3u);
  ASSERT_TRUE(barrier_.Rotate().ok());
  EXPECT_EQ(barrier_.ActiveKeyStatus()->term, 2u);
  EXPECT_EQ(barrier_.ActiveKeyStatus()->encryptions, 0u);
}

TEST_F(BarrierTest, RotationSurvivesRestart) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Put("logical/t1", "one").ok());
  ASSERT_TRUE(barrier_.Rotate().ok());
  ASSERT_TRUE(barrier_.Put("logical/t2", "two").ok());
  ASSERT_TRUE(barrier_.Rotate().ok());
  ASSERT_TRUE(barrier_.Put("logical/t3", "three").ok());
  barrier_.Seal();

  AesGcmBarrier restarted(physical_, clock_);
  EXPECT_TRUE(restarted.Sealed());
  ASSERT_TRUE(restarted.Unseal(root_key_).ok());
  auto status = restarted.ActiveKeyStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->term, 3u);
  EXPECT_EQ(Read(restarted, "logical/t1"), "one");
  EXPECT_EQ(Read(restarted, "logical/t2"), "two");
  EXPECT_EQ(Read(restarted, "logical/t3"), "three");
  ASSERT_TRUE(restarted.Put("logical/t4", "four").ok());
  EXPECT_EQ(Raw("logical/t4")[4], 3);
}

TEST(BarrierRotateTest, FailedKeyringWriteLeavesTheOldTermActive) {
  FakeClock clock;
  FailingPutBackend physical;
  SecureBytes root_key = RandomSecureBytes(32);
  AesGcmBarrier barrier(physical, clock);
  ASSERT_TRUE(barrier.Initialize(root_key).ok());
  ASSERT_TRUE(barrier.Unseal(root_key).ok());
  physical.FailPutsOfForTest(std::string(kKeyringPath));
  ExpectCode(barrier.Rotate().status(), StatusCode::kIOError);
  EXPECT_EQ(barrier.ActiveKeyStatus()->term, 1u);
  ASSERT_TRUE(barrier.Put("logical/v", "value").ok());
  EXPECT_EQ((**physical.Get("logical/v"))[4], 1);

  // The stored keyring was not changed either: a restart still reads it.
  AesGcmBarrier restarted(physical, clock);
  ASSERT_TRUE(restarted.Unseal(root_key).ok());
  EXPECT_EQ(restarted.ActiveKeyStatus()->term, 1u);
  EXPECT_EQ(**restarted.Get("logical/v"), "value");
}

TEST_F(BarrierTest, WrongRootKeyIsRefusedAndBarrierStaysSealed) {
  ASSERT_TRUE(barrier_.Initialize(root_key_).ok());
  SecureBytes wrong = RandomSecureBytes(32);
  Status status = barrier_.Unseal(wrong);
  EXPECT_EQ(status, PermissionDeniedError("root key does not open the keyring"));
  EXPECT_TRUE(barrier_.Sealed());
  ExpectCode(barrier_.Get("logical/a").status(), StatusCode::kSealed);

  // Once unsealed, a different key is still refused and the state is kept.
  ASSERT_TRUE(barrier_.Unseal(root_key_).ok());
  ExpectCode(barrier_.Unseal(wrong), StatusCode::kPermissionDenied);
  EXPECT_FALSE(barrier_.Sealed());
}

TEST_F(BarrierTest, OpenWithRootKeyInvertsSealWithRootKey) {
  InitAndUnseal();
  auto sealed = barrier_.SealWithRootKey("sums", "snapshot/SHA256SUMS");
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  auto opened = barrier_.OpenWithRootKey(*sealed, "snapshot/SHA256SUMS");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "sums");

  // Another aad, a flipped byte, or another cluster's root key: refused.
  EXPECT_EQ(barrier_.OpenWithRootKey(*sealed, "other").status(),
            PermissionDeniedError("not sealed by this cluster's root key"));
  std::string flipped = *sealed;
  flipped[flipped.size() / 2] ^= 0x01;
  ExpectCode(barrier_.OpenWithRootKey(flipped, "snapshot/SHA256SUMS").status(),
             StatusCode::kPermissionDenied);
  storage::InmemBackend other_physical;
  AesGcmBarrier other(other_physical, clock_);
  SecureBytes other_key = RandomSecureBytes(32);
  ASSERT_TRUE(other.Initialize(other_key).ok());
  ASSERT_TRUE(other.Unseal(other_key).ok());
  ExpectCode(other.OpenWithRootKey(*sealed, "snapshot/SHA256SUMS").status(),
             StatusCode::kPermissionDenied);

  barrier_.Seal();
  ExpectCode(barrier_.OpenWithRootKey(*sealed, "snapshot/SHA256SUMS").status(),
             StatusCode::kSealed);
}

TEST_F(BarrierTest, SealedBarrierRefusesEverything) {
  // Before initialisation, after initialisation, and after a seal.
  for (int phase = 0; phase < 3; ++phase) {
    if (phase == 1) {
      ASSERT_TRUE(barrier_.Initialize(root_key_).ok());
    }
    if (phase == 2) {
      ASSERT_TRUE(barrier_.Unseal(root_key_).ok());
      ASSERT_TRUE(barrier_.Put("logical/a", "x").ok());
      barrier_.Seal();
    }
    ExpectCode(barrier_.Get("logical/a").status(), StatusCode::kSealed);
    ExpectCode(barrier_.Put("logical/a", "y"), StatusCode::kSealed);
    ExpectCode(barrier_.Delete("logical/a"), StatusCode::kSealed);
    ExpectCode(barrier_.List("logical/").status(), StatusCode::kSealed);
    ExpectCode(barrier_.ListPage("", "a", 1).status(), StatusCode::kSealed);
    ExpectCode(barrier_.Batch({Operation::Put("logical/b", "z")}), StatusCode::kSealed);
    ExpectCode(barrier_.Rotate().status(), StatusCode::kSealed);
    ExpectCode(barrier_.ActiveKeyStatus().status(), StatusCode::kSealed);
  }
  // Nothing was written while sealed.
  EXPECT_FALSE(physical_.Get("logical/b")->has_value());
}

TEST_F(BarrierTest, KeyringPathIsReserved) {
  InitAndUnseal();
  const std::string before = Raw(kKeyringPath);
  ExpectCode(barrier_.Put(kKeyringPath, "x"), StatusCode::kInvalidArgument);
  ExpectCode(barrier_.Delete(kKeyringPath), StatusCode::kInvalidArgument);
  ExpectCode(barrier_.Get(kKeyringPath).status(), StatusCode::kInvalidArgument);
  ExpectCode(barrier_.Batch(
                 {Operation::Put("logical/ok", "x"), Operation::Delete(std::string(kKeyringPath))}),
             StatusCode::kInvalidArgument);
  EXPECT_EQ(Raw(kKeyringPath), before);
  EXPECT_FALSE(physical_.Get("logical/ok")->has_value()) << "a refused batch applies nothing";
}

TEST_F(BarrierTest, CloseSeals) {
  InitAndUnseal();
  ASSERT_TRUE(barrier_.Close().ok());
  EXPECT_TRUE(barrier_.Sealed());
  ExpectCode(barrier_.Get("logical/a").status(), StatusCode::kSealed);
}

// Writers and readers run while the key is rotated: every read must return a
// value some writer wrote to that path, never an error or garbage.
TEST_F(BarrierTest, ConcurrentReadersAndWritersAcrossRotation) {
  InitAndUnseal();
  constexpr int kWriters = 3;
  constexpr int kReaders = 3;
  constexpr int kKeysPerWriter = 8;
  constexpr int kRounds = 60;
  constexpr int kRotations = 3;

  auto path = [](int writer, int key) {
    return "logical/w" + std::to_string(writer) + "/k" + std::to_string(key);
  };
  auto value = [](int writer, int key, int round) {
    return "value-w" + std::to_string(writer) + "-k" + std::to_string(key) + "-r" +
           std::to_string(round);
  };
  for (int w = 0; w < kWriters; ++w) {
    for (int k = 0; k < kKeysPerWriter; ++k)
      ASSERT_TRUE(barrier_.Put(path(w, k), value(w, k, 0)).ok());
  }

  std::atomic<int> writes{0};
  std::atomic<int> writers_done{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 1; round <= kRounds; ++round) {
        for (int k = 0; k < kKeysPerWriter; ++k) {
          if (round % 2 == 0) {
            if (!barrier_.Put(path(w, k), value(w, k, round)).ok()) ++failures;
          } else if (!barrier_.Batch({Operation::Put(path(w, k), value(w, k, round))}).ok()) {
            ++failures;
          }
          ++writes;
        }
      }
      ++writers_done;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      int k = r;
      while (writers_done.load() < kWriters) {
        int w = k % kWriters;
        int key = k % kKeysPerWriter;
        auto read = barrier_.Get(path(w, key));
        std::string expected_prefix = value(w, key, 0);
        expected_prefix.resize(expected_prefix.size() - 1);  // Drop the round number.
        if (!read.ok() || !read->has_value() || (*read)->rfind(expected_prefix, 0) != 0) {
          ++failures;
        }
        ++k;
      }
    });
  }
  // Rotate while the writers are spread across their work: wait (yielding,
  // not sleeping) for a share of the writes before each rotation.
  const int total_writes = kWriters * kKeysPerWriter * kRounds;
  for (int i = 1; i <= kRotations; ++i) {
    while (writes.load() < total_writes * i / (kRotations + 1)) std::this_thread::yield();
    auto rotated = barrier_.Rotate();
    if (!rotated.ok()) ++failures;
  }
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(barrier_.ActiveKeyStatus()->term, 1u + kRotations);
  for (int w = 0; w < kWriters; ++w) {
    for (int k = 0; k < kKeysPerWriter; ++k)
      EXPECT_EQ(Read(barrier_, path(w, k)), value(w, k, kRounds));
  }
}

}  // namespace
}  // namespace tresor::barrier
