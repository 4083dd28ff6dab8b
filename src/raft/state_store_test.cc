#include "raft/state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "raft/state_store_fixture_for_test.h"

namespace tresor::raft {
namespace {

TEST_F(StateStoreTest, NewStoreIsEmptyAtIndexZeroInAPrivateDirectory) {
  EXPECT_EQ(store_->AppliedIndex(), 0u);
  EXPECT_FALSE(store_->HasStaged());
  EXPECT_EQ(Read("a"), std::nullopt);
  EXPECT_TRUE(List("").empty());
  struct stat info;
  ASSERT_EQ(::stat(StoreDir().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((StoreDir() + "/data.mdb").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0077, 0u);
}

TEST_F(StateStoreTest, OpenFailsWithIOErrorWhenTheParentIsMissing) {
  auto store = StateStore::Open(dir_.path() + "/missing/state", kMapSize);
  EXPECT_EQ(store.status().code(), StatusCode::kIOError);
}

TEST_F(StateStoreTest, PutGetDelete) {
  Apply(1, {StateOp::Put("a/b", "1"), StateOp::Put("bin", std::string("\0\xff\n", 3))});
  EXPECT_EQ(Read("a/b"), "1");
  EXPECT_EQ(Read("bin"), std::string("\0\xff\n", 3));
  Apply(2, {StateOp::Put("a/b", "2")});
  EXPECT_EQ(Read("a/b"), "2");
  Apply(3, {StateOp::Delete("a/b"), StateOp::Delete("never-there")});
  EXPECT_EQ(Read("a/b"), std::nullopt);
  EXPECT_EQ(Read("bin"), std::string("\0\xff\n", 3));
  EXPECT_EQ(store_->AppliedIndex(), 3u);
}

TEST_F(StateStoreTest, OpsOfOneEntryApplyInOrder) {
  Apply(1, {StateOp::Put("k", "1"), StateOp::Delete("k"), StateOp::Put("j", "x"),
            StateOp::Put("j", "y")});
  EXPECT_EQ(Read("k"), std::nullopt);
  EXPECT_EQ(Read("j"), "y");
}

TEST_F(StateStoreTest, LargeValuesRoundTrip) {
  std::string big(3 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  Apply(1, {StateOp::Put("big", big)});
  EXPECT_EQ(Read("big"), big);
}

struct ListCase {
  std::string prefix;
  std::string after;
  std::size_t limit;
  Names want;
};

TEST_F(StateStoreTest, ListPageFollowsTheBackendContract) {
  std::vector<StateOp> ops;
  for (const char* key : {"x/a", "x/b", "x/b/c", "x/b/d", "x/b/e/f", "x/c", "y", "x0", "w/z"}) {
    ops.push_back(StateOp::Put(key, "v"));
  }
  // Bytes that sort around '/' (0x2f) and above 0x7f.
  for (std::string name : {" ", "-", "A", "_", "z", "~", "\xff", ".", "0"}) {
    ops.push_back(StateOp::Put("p/" + name, "v"));
  }
  ops.push_back(StateOp::Put("p/./deeper", "v"));  // Storage rejects it; the store need not.
  Apply(1, ops);

  const std::vector<ListCase> cases = {
      {"x/", "", 0, {"a", "b", "b/", "c"}},
      {"", "", 0, {"p/", "w/", "x/", "x0", "y"}},
      {"x/", "a", 1, {"b"}},
      {"x/", "b", 2, {"b/", "c"}},
      {"x/", "b/", 0, {"c"}},
      {"x/", "", 2, {"a", "b"}},
      {"x/", "c", 0, {}},
      {"x/", "zzz", 0, {}},
      {"x/b/", "", 0, {"c", "d", "e/"}},
      {"x/b/e/", "", 0, {"f"}},
      {"", "p/", 0, {"w/", "x/", "x0", "y"}},
      {"", "", 1, {"p/"}},
      {"nothing/", "", 0, {}},
      {"p/", "", 0, {" ", "-", ".", "./", "0", "A", "_", "z", "~", "\xff"}},
      {"p/", "_", 0, {"z", "~", "\xff"}},
      {"p/", ".", 0, {"./", "0", "A", "_", "z", "~", "\xff"}},
  };
  for (const ListCase& c : cases) {
    EXPECT_EQ(List(c.prefix, c.after, c.limit), c.want)
        << "prefix=" << c.prefix << " after=" << c.after << " limit=" << c.limit;
  }
  EXPECT_EQ(store_->ListPage("x", "", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StateStoreTest, StagedChangesAreInvisibleUntilCommit) {
  Apply(1, {StateOp::Put("k", "old"), StateOp::Put("gone", "v")});
  ASSERT_TRUE(store_->Stage(2, {StateOp::Put("k", "new"), StateOp::Delete("gone")}).ok());
  ASSERT_TRUE(store_->Stage(3, {StateOp::Put("added/x", "v")}).ok());
  EXPECT_TRUE(store_->HasStaged());
  EXPECT_EQ(Read("k"), "old");
  EXPECT_EQ(Read("gone"), "v");
  EXPECT_EQ(List(""), (Names{"gone", "k"}));
  EXPECT_EQ(store_->AppliedIndex(), 1u);

  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_FALSE(store_->HasStaged());
  EXPECT_EQ(Read("k"), "new");
  EXPECT_EQ(Read("gone"), std::nullopt);
  EXPECT_EQ(List(""), (Names{"added/", "k"}));
  EXPECT_EQ(store_->AppliedIndex(), 3u);
  EXPECT_TRUE(store_->Commit().ok());  // Nothing staged: a no-op.
  EXPECT_EQ(store_->AppliedIndex(), 3u);
}

TEST_F(StateStoreTest, ReopenKeepsCommittedDataAndIndexAndDropsStaged) {
  Apply(1, {StateOp::Put("a", "1")});
  Apply(2, {StateOp::Put("b/c", "2")});
  ASSERT_TRUE(store_->Stage(3, {StateOp::Put("staged", "x")}).ok());
  store_.reset();  // Closing aborts what was staged.

  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->AppliedIndex(), 2u);
  EXPECT_EQ(Read("a"), "1");
  EXPECT_EQ(Read("b/c"), "2");
  EXPECT_EQ(Read("staged"), std::nullopt);
}

TEST_F(StateStoreTest, StageSkipsEntriesTheStoreAlreadyHolds) {
  Apply(1, {StateOp::Put("a", "first")});
  Apply(2, {StateOp::Put("b", "first")});
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);

  // Raft replays its log from the start after a restart.
  EXPECT_TRUE(store_->Stage(1, {StateOp::Put("a", "replayed")}).ok());
  EXPECT_TRUE(store_->Stage(2, {StateOp::Delete("b")}).ok());
  EXPECT_FALSE(store_->HasStaged());
  ASSERT_TRUE(store_->Stage(3, {StateOp::Put("c", "new")}).ok());
  // An index at or below one staged in the open group is a replay too.
  EXPECT_TRUE(store_->Stage(3, {StateOp::Put("c", "again")}).ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(Read("a"), "first");
  EXPECT_EQ(Read("b"), "first");
  EXPECT_EQ(Read("c"), "new");
  EXPECT_EQ(store_->AppliedIndex(), 3u);
}

TEST_F(StateStoreTest, AFailingEntryKeepsTheRestOfItsGroup) {
  std::string too_long(512, 'k');
  ASSERT_TRUE(store_->Stage(1, {StateOp::Put("a", "1")}).ok());
  Status failed = store_->Stage(2, {StateOp::Put("b", "2"), StateOp::Put(too_long, "x")});
  EXPECT_EQ(failed.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(failed.message().find("511"), std::string::npos) << failed.message();
  EXPECT_EQ(failed.message().find(too_long), std::string::npos);  // Keys stay out of errors.
  EXPECT_EQ(store_->Stage(3, {StateOp::Put("", "x")}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->Stage(4, {StateOp::Put("c", "3")}).ok());
  ASSERT_TRUE(store_->Commit().ok());

  EXPECT_EQ(Read("a"), "1");
  EXPECT_EQ(Read("b"), std::nullopt);  // Nothing of the failed entry.
  EXPECT_EQ(Read("c"), "3");
  EXPECT_EQ(Read(too_long), std::nullopt);
  EXPECT_EQ(store_->AppliedIndex(), 4u);  // The failed entries count as applied.
  // A key of exactly the limit works.
  std::string longest(511, 'k');
  Apply(5, {StateOp::Put(longest, "ok")});
  EXPECT_EQ(Read(longest), "ok");
  EXPECT_EQ(List(""), (Names{"a", "c", longest}));
}

TEST_F(StateStoreTest, MarkAppliedRecordsAnIndexWithoutData) {
  ASSERT_TRUE(store_->MarkApplied(1).ok());
  EXPECT_TRUE(store_->HasStaged());
  EXPECT_EQ(store_->AppliedIndex(), 0u);
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->AppliedIndex(), 1u);
  EXPECT_TRUE(List("").empty());

  EXPECT_TRUE(store_->MarkApplied(1).ok());  // Replayed: skipped.
  EXPECT_FALSE(store_->HasStaged());
  ASSERT_TRUE(store_->Stage(2, {StateOp::Put("a", "1")}).ok());
  ASSERT_TRUE(store_->MarkApplied(3).ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->AppliedIndex(), 3u);
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->AppliedIndex(), 3u);
  EXPECT_EQ(Read("a"), "1");
}

TEST_F(StateStoreTest, ImageRoundTripsIntoAnotherStore) {
  Apply(1, {StateOp::Put("a", "1"), StateOp::Put("b/c", std::string("\0x", 2))});
  Apply(2, {StateOp::Put("big", std::string(100000, 'z'))});
  ASSERT_TRUE(store_->MarkApplied(7).ok());
  ASSERT_TRUE(store_->Commit().ok());
  auto image = store_->SaveImage();
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(StateStore::ImageIndex(*image).value(), 7u);

  TempDirForTest other_dir;
  auto other = StateStore::Open(other_dir.path() + "/state", kMapSize);
  ASSERT_TRUE(other.ok());
  StateStore& second = **other;
  ASSERT_TRUE(second.Stage(1, {StateOp::Put("only-here", "x")}).ok());
  ASSERT_TRUE(second.Commit().ok());
  ASSERT_TRUE(second.LoadImage(*image).ok());
  EXPECT_EQ(second.AppliedIndex(), 7u);
  EXPECT_EQ(*second.Get("a").value(), "1");
  EXPECT_EQ(*second.Get("b/c").value(), std::string("\0x", 2));
  EXPECT_EQ(*second.Get("big").value(), std::string(100000, 'z'));
  EXPECT_FALSE(second.Get("only-here")->has_value());  // Replaced, not merged.
  EXPECT_EQ(second.ListPage("", "", 0).value(), (Names{"a", "b/", "big"}));
  // The same state gives the same image, and entries continue from its index.
  EXPECT_EQ(second.SaveImage().value(), *image);
  EXPECT_TRUE(second.Stage(7, {StateOp::Put("a", "replayed")}).ok());
  ASSERT_TRUE(second.Stage(8, {StateOp::Put("a", "8")}).ok());
  ASSERT_TRUE(second.Commit().ok());
  EXPECT_EQ(*second.Get("a").value(), "8");
}

TEST_F(StateStoreTest, ImageOfAnEmptyStoreEmptiesTheTarget) {
  auto empty_image = store_->SaveImage();
  ASSERT_TRUE(empty_image.ok());
  Apply(4, {StateOp::Put("a", "1")});
  ASSERT_TRUE(store_->LoadImage(*empty_image).ok());
  EXPECT_EQ(store_->AppliedIndex(), 0u);
  EXPECT_TRUE(List("").empty());
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->AppliedIndex(), 0u);
  EXPECT_EQ(Read("a"), std::nullopt);
}

TEST_F(StateStoreTest, BadImagesAreRejectedAndChangeNothing) {
  Apply(1, {StateOp::Put("keep", "me")});
  auto image = store_->SaveImage();
  ASSERT_TRUE(image.ok());
  Apply(2, {StateOp::Put("keep", "newer"), StateOp::Put("x/y", "z")});

  std::vector<std::string> bad_images = {"", "TRSTATE1", image->substr(0, image->size() - 1),
                                         image->substr(0, image->size() / 2)};
  for (std::size_t i : {std::size_t{0}, std::size_t{9}, image->size() / 2, image->size() - 1}) {
    std::string flipped = *image;
    flipped[i] ^= 0x40;
    bad_images.push_back(flipped);
  }
  for (const std::string& bad : bad_images) {
    Status status = store_->LoadImage(bad);
    EXPECT_TRUE(status.code() == StatusCode::kInvalidArgument ||
                status.code() == StatusCode::kCorruption)
        << status.ToString();
    EXPECT_FALSE(StateStore::ImageIndex(bad).ok());
    EXPECT_EQ(Read("keep"), "newer");
    EXPECT_EQ(Read("x/y"), "z");
    EXPECT_EQ(store_->AppliedIndex(), 2u);
    EXPECT_FALSE(store_->HasStaged());
  }
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->AppliedIndex(), 2u);
  EXPECT_EQ(Read("keep"), "newer");
}

TEST_F(StateStoreTest, ImagesNeedNothingStaged) {
  auto image = store_->SaveImage();
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE(store_->Stage(1, {StateOp::Put("a", "1")}).ok());
  EXPECT_EQ(store_->SaveImage().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->LoadImage(*image).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(Read("a"), "1");
}

TEST_F(StateStoreTest, ImageIndexReadsAVerifiedImage) {
  ASSERT_TRUE(store_->MarkApplied(0x1234567890).ok());
  ASSERT_TRUE(store_->Commit().ok());
  auto image = store_->SaveImage();
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(StateStore::ImageIndex(*image).value(), 0x1234567890u);
  std::string flipped = *image;
  flipped[12] ^= 0x01;  // Inside the index itself.
  EXPECT_EQ(StateStore::ImageIndex(flipped).status().code(), StatusCode::kCorruption);
}

// One writer stages and commits in a loop while readers read. Every entry
// moves the single key under "one/" to a new name and writes the same number
// to "a" and "b", so a reader that saw a partial entry, or a staged entry
// before its commit, would see zero or two names under "one/", or a number
// larger than any the writer had begun to commit.
TEST_F(StateStoreTest, ReadersSeeOnlyCommittedStatesWhileTheWriterRuns) {
  constexpr std::uint64_t kEntries = 1200;
  Apply(1, {StateOp::Put("a", "1"), StateOp::Put("b", "1"), StateOp::Put("one/1", "")});
  std::atomic<std::uint64_t> commit_bound{1};  // Highest value that may be committed.
  std::atomic<bool> writer_done{false};
  std::atomic<int> failures{0};
  std::atomic<std::uint64_t> reads{0};

  std::thread writer([&] {
    for (std::uint64_t i = 2; i <= kEntries; ++i) {
      std::string v = std::to_string(i);
      Status s = store_->Stage(
          i, {StateOp::Put("a", v), StateOp::Put("b", v),
              StateOp::Delete("one/" + std::to_string(i - 1)), StateOp::Put("one/" + v, "")});
      if (!s.ok()) ++failures;
      if (i % 3 == 0 || i == kEntries) {  // Group commits of up to three entries.
        commit_bound.store(i);
        if (!store_->Commit().ok()) ++failures;
      }
    }
    writer_done.store(true);
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      std::uint64_t last_seen = 0;
      // Keep reading until the writer has finished, and at least a little.
      for (int n = 0; !writer_done.load() || n < 100; ++n) {
        auto b = store_->Get("b");
        auto a = store_->Get("a");  // Read after b, so a >= b.
        auto names = store_->ListPage("one/", "", 0);
        std::uint64_t bound = commit_bound.load();
        if (!a.ok() || !b.ok() || !names.ok() || !a->has_value() || !b->has_value()) {
          ++failures;
          continue;
        }
        std::uint64_t av = std::stoull(**a), bv = std::stoull(**b);
        if (av < bv || av > bound || bv < last_seen || names->size() != 1) ++failures;
        last_seen = bv;
        ++reads;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(reads.load(), 400u);
  EXPECT_EQ(Read("a"), std::to_string(kEntries));
  EXPECT_EQ(List("one/"), Names{std::to_string(kEntries)});
  EXPECT_EQ(store_->AppliedIndex(), kEntries);
}

// A store opened with a small map fills up: the failing entry reports
// ResourceExhausted naming the map size, what was committed stays readable,
// and the store keeps working for reads and for entries that free space.
TEST_F(StateStoreTest, AFullMapIsResourceExhaustedAndLosesNothingCommitted) {
  store_.reset();
  TempDirForTest small_dir;
  constexpr std::size_t kSmallMap = 256 << 10;
  auto opened = StateStore::Open(small_dir.path() + "/state", kSmallMap);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StateStore& store = **opened;

  const std::string value(8 << 10, 'v');
  std::uint64_t index = 0;
  std::uint64_t last_committed = 0;
  Status failure;
  while (failure.ok() && index < 1000) {
    ++index;
    failure = store.Stage(index, {StateOp::Put("k/" + std::to_string(index), value)});
    if (failure.ok()) failure = store.Commit();
    if (failure.ok()) last_committed = index;
  }
  ASSERT_EQ(failure.code(), StatusCode::kResourceExhausted) << failure.ToString();
  EXPECT_NE(failure.message().find(std::to_string(kSmallMap)), std::string::npos)
      << failure.message();
  ASSERT_GT(last_committed, 3u);

  for (std::uint64_t i = 1; i <= last_committed; ++i) {
    auto got = store.Get("k/" + std::to_string(i));
    ASSERT_TRUE(got.ok() && got->has_value()) << i;
    EXPECT_EQ(**got, value);
  }
  EXPECT_EQ(store.ListPage("k/", "", 0)->size(), last_committed);
  EXPECT_EQ(store.Get("k/" + std::to_string(index))->has_value(), false);
  // Whatever happened to the failing group, the store is consistent again.
  ASSERT_TRUE(store.Commit().ok());
  EXPECT_FALSE(store.HasStaged());

  // Freeing space makes room again.
  std::vector<StateOp> deletes;
  for (std::uint64_t i = 1; i <= last_committed / 2; ++i) {
    deletes.push_back(StateOp::Delete("k/" + std::to_string(i)));
  }
  std::uint64_t next = store.AppliedIndex() + 1;
  Status freed = store.Stage(next, deletes);
  ASSERT_TRUE(freed.ok()) << freed.ToString();
  ASSERT_TRUE(store.Commit().ok());
  // LMDB reuses a page only two transactions after the one that freed it
  // (the previous state must stay readable), so one more entry goes by first.
  ASSERT_TRUE(store.MarkApplied(next + 1).ok());
  ASSERT_TRUE(store.Commit().ok());
  Status after = store.Stage(next + 2, {StateOp::Put("after", value)});
  ASSERT_TRUE(after.ok()) << after.ToString();
  ASSERT_TRUE(store.Commit().ok());
  EXPECT_EQ(*store.Get("after").value(), value);
  EXPECT_EQ(store.AppliedIndex(), next + 2);
}

// An entry too big for the map fails on its own: the entries staged before
// and after it in the same group are committed, and its index counts.
TEST_F(StateStoreTest, AnEntryThatFillsTheMapKeepsTheRestOfItsGroup) {
  store_.reset();
  TempDirForTest small_dir;
  constexpr std::size_t kSmallMap = 256 << 10;
  auto opened = StateStore::Open(small_dir.path() + "/state", kSmallMap);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StateStore& store = **opened;

  ASSERT_TRUE(store.Stage(1, {StateOp::Put("before", "1")}).ok());
  Status full =
      store.Stage(2, {StateOp::Put("small", "x"), StateOp::Put("huge", std::string(1 << 20, 'h'))});
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted) << full.ToString();
  ASSERT_TRUE(store.Stage(3, {StateOp::Put("after", "3")}).ok());
  ASSERT_TRUE(store.Commit().ok());

  EXPECT_EQ(*store.Get("before").value(), "1");
  EXPECT_EQ(*store.Get("after").value(), "3");
  EXPECT_FALSE(store.Get("small")->has_value());
  EXPECT_FALSE(store.Get("huge")->has_value());
  EXPECT_EQ(store.AppliedIndex(), 3u);
}

}  // namespace
}  // namespace tresor::raft
