// Leases' routing over its sources (core/leases.h), with a fake source: the
// token source itself is driven end to end in tests/integration/test_leases.py.
#include "core/leases.h"

#include <gtest/gtest.h>

#include <map>

namespace tresor::core {
namespace {

// Leases under "fake/", held in a map; `failing` names one whose revocation
// fails.
class FakeLeaseSource final : public LeaseSource {
 public:
  explicit FakeLeaseSource(std::map<std::string, bool>* leases) : leases_(leases) {}
  bool Owns(std::string_view id) const override { return id.starts_with("fake/"); }
  StatusOr<std::optional<LeaseInfo>> Lookup(std::string_view id) override {
    if (!leases_->contains(std::string(id))) return std::optional<LeaseInfo>();
    LeaseInfo info;
    info.id = std::string(id);
    info.renewable = (*leases_)[std::string(id)];
    return std::optional<LeaseInfo>(info);
  }
  StatusOr<LeaseInfo> Renew(std::string_view id, std::chrono::seconds increment) override {
    TRESOR_ASSIGN_OR_RETURN(auto info, Lookup(id));
    if (!info.has_value()) return InvalidArgumentError("lease not found");
    info->ttl_seconds = increment.count();
    return *info;
  }
  Status Revoke(std::string_view id) override {
    if (id == failing) return IOError("disk on fire");
    leases_->erase(std::string(id));
    return Status::Ok();
  }
  Status ForEachLease(std::string_view prefix,
                      const std::function<Status(const std::string&)>& visit) override {
    for (const auto& [id, renewable] : *leases_) {
      if (id.starts_with(prefix)) TRESOR_RETURN_IF_ERROR(visit(id));
    }
    return Status::Ok();
  }
  Status Tidy() override {
    ++tidies;
    return Status::Ok();
  }

  std::string failing;
  int tidies = 0;

 private:
  std::map<std::string, bool>* leases_;
};

class LeasesTest : public ::testing::Test {
 protected:
  LeasesTest() {
    auto source = std::make_unique<FakeLeaseSource>(&stored_);
    fake_ = source.get();
    leases_.AddSource(std::move(source));
  }
  std::map<std::string, bool> stored_ = {{"fake/a/1", true},
                                         {"fake/a/2", false},
                                         {"fake/a/b/3", true},
                                         {"fake/c/4", true}};
  FakeLeaseSource* fake_;
  Leases leases_;
};

TEST_F(LeasesTest, ListsTheNextSegmentUnderAPrefix) {
  auto top = leases_.List("fake/");
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(*top, (std::vector<std::string>{"a/", "c/"}));
  auto under_a = leases_.List("fake/a/");
  ASSERT_TRUE(under_a.ok());
  EXPECT_EQ(*under_a, (std::vector<std::string>{"1", "2", "b/"}));
  EXPECT_TRUE(leases_.List("other/")->empty());
}

TEST_F(LeasesTest, RoutesByOwnerAndAnswersUnknownLeasesAsVaultDoes) {
  EXPECT_TRUE(leases_.Lookup("fake/a/1").ok());
  EXPECT_EQ(leases_.Lookup("fake/a/9").status().message(), "invalid lease");
  EXPECT_EQ(leases_.Lookup("nobody/x").status().message(), "invalid lease");
  EXPECT_EQ(leases_.Lookup("").status().message(), "lease_id: missing");
  EXPECT_EQ(leases_.Renew("nobody/x", std::chrono::seconds(5)).status().message(),
            "lease not found");
  auto renewed = leases_.Renew("fake/a/1", std::chrono::seconds(5));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->ttl_seconds, 5);
  // Nothing to revoke is not an error.
  EXPECT_TRUE(leases_.Revoke("nobody/x").ok());
  EXPECT_TRUE(leases_.Revoke("fake/a/1").ok());
  EXPECT_FALSE(stored_.contains("fake/a/1"));
}

TEST_F(LeasesTest, RevokePrefixStopsAtAFailureUnlessForced) {
  fake_->failing = "fake/a/2";
  std::size_t failed = 0;
  auto stopped = leases_.RevokePrefix("fake/a/", /*force=*/false, &failed);
  EXPECT_EQ(stopped.status().code(), StatusCode::kIOError);
  EXPECT_TRUE(stored_.contains("fake/a/2"));
  EXPECT_TRUE(stored_.contains("fake/a/b/3"));  // after the failure: untouched
  EXPECT_FALSE(stored_.contains("fake/a/1"));   // before it: revoked

  auto forced = leases_.RevokePrefix("fake/a/", /*force=*/true, &failed);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(*forced, 1u);
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(stored_.size(), 2u);  // the failing one and fake/c/4
  EXPECT_TRUE(stored_.contains("fake/c/4"));
  EXPECT_EQ(leases_.RevokePrefix("", false, nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(LeasesTest, TidyAsksEverySource) {
  ASSERT_TRUE(leases_.Tidy().ok());
  EXPECT_EQ(fake_->tidies, 1);
}

}  // namespace
}  // namespace tresor::core
