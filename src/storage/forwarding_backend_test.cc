#include "storage/forwarding_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/inmem/inmem_backend.h"

namespace tresor::storage {
namespace {

using ::testing::Return;
using ::testing::StrictMock;

class MockBackend : public Backend {
 public:
  MOCK_METHOD(StatusOr<std::optional<std::string>>, Get, (std::string_view key), (override));
  MOCK_METHOD(Status, Put, (std::string_view key, std::string_view value), (override));
  MOCK_METHOD(Status, Delete, (std::string_view key), (override));
  MOCK_METHOD(StatusOr<std::vector<std::string>>, ListPage,
              (std::string_view prefix, std::string_view after, std::size_t limit), (override));
  MOCK_METHOD(Status, Batch, (const std::vector<Operation>& ops), (override));
  MOCK_METHOD(Status, Close, (), (override));
  MOCK_METHOD(HABackend*, AsHA, (), (override));
  MOCK_METHOD(Snapshotter*, AsSnapshotter, (), (override));
};

// Overrides nothing: every call must reach the target.
class PlainWrapper final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
};

TEST(ForwardingBackend, ForwardsEveryCallWithItsArgumentsAndResult) {
  StrictMock<MockBackend> target;
  PlainWrapper wrapper(&target);
  EXPECT_EQ(wrapper.target(), &target);

  EXPECT_CALL(target, Get(std::string_view("k")))
      .WillOnce(Return(StatusOr<std::optional<std::string>>(std::optional<std::string>("v"))));
  auto got = wrapper.Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(**got, "v");

  EXPECT_CALL(target, Put(std::string_view("k"), std::string_view("v")))
      .WillOnce(Return(IOError("put failed")));
  EXPECT_EQ(wrapper.Put("k", "v").code(), StatusCode::kIOError);

  EXPECT_CALL(target, Delete(std::string_view("k"))).WillOnce(Return(NotFoundError("gone")));
  EXPECT_EQ(wrapper.Delete("k").code(), StatusCode::kNotFound);

  EXPECT_CALL(target, ListPage(std::string_view("p/"), std::string_view("a"), 7u))
      .WillOnce(Return(StatusOr<std::vector<std::string>>(std::vector<std::string>{"b", "c/"})));
  auto page = wrapper.ListPage("p/", "a", 7);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(*page, (std::vector<std::string>{"b", "c/"}));

  const std::vector<Operation> ops = {Operation::Put("x", "1"), Operation::Delete("y")};
  EXPECT_CALL(target, Batch(::testing::Ref(ops))).WillOnce(Return(CorruptionError("torn")));
  EXPECT_EQ(wrapper.Batch(ops).code(), StatusCode::kCorruption);

  EXPECT_CALL(target, Close()).WillOnce(Return(UnavailableError("closing")));
  EXPECT_EQ(wrapper.Close().code(), StatusCode::kUnavailable);

  // HABackend is only declared, so the capability pointers here are markers
  // compared for identity and never dereferenced.
  char ha_marker = 0;
  char snapshotter_marker = 0;
  auto* ha = reinterpret_cast<HABackend*>(&ha_marker);
  auto* snapshotter = reinterpret_cast<Snapshotter*>(&snapshotter_marker);
  EXPECT_CALL(target, AsHA()).WillOnce(Return(ha));
  EXPECT_CALL(target, AsSnapshotter()).WillOnce(Return(snapshotter));
  EXPECT_EQ(wrapper.AsHA(), ha);
  EXPECT_EQ(wrapper.AsSnapshotter(), snapshotter);
}

// The habit the wrapper exists for: a fake overrides one call and inherits
// the rest.
class RefusingPuts final : public ForwardingBackend {
 public:
  RefusingPuts() : ForwardingBackend(&inner_) {}
  Status Put(std::string_view, std::string_view) override { return IOError("refused"); }

 private:
  InmemBackend inner_;
};

TEST(ForwardingBackend, ASubclassOverridesOneCallAndInheritsTheRest) {
  RefusingPuts backend;
  EXPECT_EQ(backend.Put("k", "v").code(), StatusCode::kIOError);
  ASSERT_TRUE(backend.Batch({Operation::Put("k", "v"), Operation::Put("d/e", "f")}).ok());
  EXPECT_EQ(**backend.Get("k"), "v");
  EXPECT_EQ(*backend.List(""), (std::vector<std::string>{"d/", "k"}));
  ASSERT_TRUE(backend.Delete("k").ok());
  EXPECT_FALSE(backend.Get("k")->has_value());
}

}  // namespace
}  // namespace tresor::storage
