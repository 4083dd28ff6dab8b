#include "storage/file/file_backend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/file/posix_filesystem.h"
#include "storage/file/record_format.h"
#include "common/temp_dir_for_test.h"

namespace tresor::storage {
namespace {

std::unique_ptr<FileBackend> OpenOrDie(const std::string& dir) {
  auto backend = FileBackend::Open(dir);
  EXPECT_TRUE(backend.ok()) << backend.status().ToString();
  return backend.ok() ? std::move(*backend) : nullptr;
}

std::string ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteRaw(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

TEST(FileBackend, PutGetDeleteAndSurviveReopen) {
  TempDirForTest tmp;
  {
    auto b = OpenOrDie(tmp.path());
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->Get("a/b")->has_value());
    ASSERT_TRUE(b->Put("a/b", "1").ok());
    EXPECT_EQ(**b->Get("a/b"), "1");
    ASSERT_TRUE(b->Put("a/b", std::string("2\0two", 5)).ok());
    EXPECT_EQ(**b->Get("a/b"), std::string("2\0two", 5));
    ASSERT_TRUE(b->Put("empty", "").ok());
    EXPECT_EQ(**b->Get("empty"), "");
    ASSERT_TRUE(b->Put("gone/deep/key", "x").ok());
    ASSERT_TRUE(b->Delete("gone/deep/key").ok());
    EXPECT_TRUE(b->Delete("gone/deep/key").ok());  // Deleting a missing key is OK.
    EXPECT_FALSE(b->Get("gone/deep/key")->has_value());
    ASSERT_TRUE(b->Close().ok());
    EXPECT_TRUE(b->Close().ok());  // Idempotent.
    EXPECT_EQ(b->Get("a/b").status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(b->Put("a/b", "3").code(), StatusCode::kFailedPrecondition);
  }
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  EXPECT_EQ(**b->Get("a/b"), std::string("2\0two", 5));
  EXPECT_EQ(**b->Get("empty"), "");
  // Deleting the last key of a folder removes the now-empty folders.
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/data/gone"));
  EXPECT_EQ(*b->List(""), (std::vector<std::string>{"a/", "empty"}));
}

TEST(FileBackend, ListShowsImmediateChildrenWithPagination) {
  TempDirForTest tmp;
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  for (const char* k : {"x/a", "x/b/c", "x/b/d", "x/c", "y", "x/b"}) {
    ASSERT_TRUE(b->Put(k, "v").ok()) << k;
  }
  EXPECT_EQ(*b->List("x/"), (std::vector<std::string>{"a", "b", "b/", "c"}));
  EXPECT_EQ(*b->ListPage("", {}, 0), (std::vector<std::string>{"x/", "y"}));
  EXPECT_EQ(*b->ListPage("x/", "a", 1), (std::vector<std::string>{"b"}));
  EXPECT_EQ(*b->ListPage("x/", "b", 2), (std::vector<std::string>{"b/", "c"}));
  EXPECT_EQ(*b->ListPage("x/", "b/", 0), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(b->List("nothing/")->empty());
  EXPECT_EQ(b->List("x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*ListRecursive(*b, "x/"),
            (std::vector<std::string>{"x/a", "x/b", "x/b/c", "x/b/d", "x/c"}));
}

TEST(FileBackend, ListSortsByDecodedBytesNotFileNames) {
  TempDirForTest tmp;
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  // Encoded, " " is "%20" and sorts before "-"; decoded, it sorts before too,
  // but "~" (encoded "%7E") must sort after "z" and "\xff" after everything.
  for (const char* k : {"p/z", "p/~", "p/-", "p/ ", "p/A", "p/\xff", "p/_"}) {
    ASSERT_TRUE(b->Put(k, "v").ok());
  }
  EXPECT_EQ(*b->List("p/"), (std::vector<std::string>{" ", "-", "A", "_", "z", "~", "\xff"}));
  EXPECT_EQ(*b->ListPage("p/", "_", 0), (std::vector<std::string>{"z", "~", "\xff"}));
}

TEST(FileBackend, BatchAppliesEveryOpOrNone) {
  TempDirForTest tmp;
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->Put("k", "old").ok());
  ASSERT_TRUE(b->Put("gone", "x").ok());
  EXPECT_EQ(b->Batch({Operation::Put("k", "new"), Operation::Put("../evil", "x")}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(**b->Get("k"), "old");
  ASSERT_TRUE(b->Batch({Operation::Put("k", "new"), Operation::Delete("gone"),
                        Operation::Put("n/1", "a"), Operation::Put("n/1", "b")})
                  .ok());
  EXPECT_EQ(**b->Get("k"), "new");
  EXPECT_FALSE(b->Get("gone")->has_value());
  EXPECT_EQ(**b->Get("n/1"), "b");
  EXPECT_TRUE(b->Batch({}).ok());
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/batch.journal"));
}

TEST(FileBackend, HostileKeysStayInsideTheDirectory) {
  TempDirForTest parent;
  std::string dir = parent.path() + "/store";
  auto b = OpenOrDie(dir);
  ASSERT_TRUE(b);
  std::vector<std::string> hostile{
      "..%2f..%2fetc",     "%2e%2e",       "a/..%2f", "...",  ".hidden", "LOCK",
      "batch.journal",     "data",         "_x",      "x/_y", "%",       "sp ace/t\tab",
      "\xc3\xa9t\xc3\xa9", "\x01\x7f\xff", "~user",   "a\\b"};
  for (const std::string& key : hostile) {
    ASSERT_TRUE(b->Put(key, "v:" + key).ok()) << key;
  }
  for (const std::string& key : hostile) {
    auto v = b->Get(key);
    ASSERT_TRUE(v.ok() && v->has_value()) << key;
    EXPECT_EQ(**v, "v:" + key);
  }
  for (const std::string& bad : {std::string("../x"), std::string("a/../b"), std::string("/abs"),
                                 std::string("a//b"), std::string("x/."), std::string("a\0b", 3)}) {
    EXPECT_EQ(b->Put(bad, "v").code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(b->Get(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(b->Delete(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  // Internal files never show up as keys, and every key does.
  auto top = b->List("");
  ASSERT_TRUE(top.ok());
  EXPECT_TRUE(std::find(top->begin(), top->end(), "LOCK") != top->end());  // The key "LOCK".
  auto all = ListRecursive(*b, "");
  ASSERT_TRUE(all.ok());
  std::vector<std::string> expected = hostile;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*all, expected);
  // Nothing was created beside the storage directory.
  std::vector<std::string> siblings;
  for (const auto& entry : std::filesystem::directory_iterator(parent.path())) {
    siblings.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(siblings, std::vector<std::string>{"store"});
  for (const std::string& path : parent.AllPathsBelow()) {
    EXPECT_TRUE(path == dir || path.starts_with(dir + "/")) << path;
  }
}

TEST(FileBackend, RefusesOverlongSegmentsAndKeys) {
  TempDirForTest tmp;
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  std::string longest(254, 's');
  ASSERT_TRUE(b->Put(longest, "v").ok());
  EXPECT_EQ(**b->Get(longest), "v");
  EXPECT_EQ(b->Put(longest + "s", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b->Put(std::string(100, '/'), "v").code(), StatusCode::kInvalidArgument);
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += std::string(100, 'd') + "/";
  EXPECT_EQ(b->Put(deep + "leaf", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b->Batch({Operation::Put("ok", "v"), Operation::Put(deep + "leaf", "v")}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(b->Get("ok")->has_value());
}

TEST(FileBackend, DamagedValueFileIsCorruptionNotData) {
  TempDirForTest tmp;
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->Put("sec/ret", "ciphertext bytes").ok());
  std::string path = tmp.path() + "/data/sec/_ret";
  std::string content = ReadRaw(path);
  ASSERT_FALSE(content.empty());
  content[content.size() - 3] ^= 0x20;  // Bit rot in the value.
  WriteRaw(path, content);
  EXPECT_EQ(b->Get("sec/ret").status().code(), StatusCode::kCorruption);
  WriteRaw(path, content.substr(0, 20));  // Truncation.
  EXPECT_EQ(b->Get("sec/ret").status().code(), StatusCode::kCorruption);
  // Writing the key again heals it.
  ASSERT_TRUE(b->Put("sec/ret", "fresh").ok());
  EXPECT_EQ(**b->Get("sec/ret"), "fresh");
}

TEST(FileBackend, SecondOpenOfTheSameDirectoryFails) {
  TempDirForTest tmp;
  auto first = OpenOrDie(tmp.path());
  ASSERT_TRUE(first);
  auto second = FileBackend::Open(tmp.path() + "/");
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.status().message(),
            "storage directory " + tmp.path() + " is in use by another process");
  ASSERT_TRUE(first->Close().ok());
  EXPECT_TRUE(FileBackend::Open(tmp.path()).ok());
}

TEST(FileBackend, OpenRemovesLeftoverTempFilesAndEmptyDirectories) {
  TempDirForTest tmp;
  { ASSERT_TRUE(OpenOrDie(tmp.path())->Put("a/b", "v").ok()); }
  std::filesystem::create_directories(tmp.path() + "/data/empty/nested");
  WriteRaw(tmp.path() + "/data/a/.tmp-crashed", "half a value");
  WriteRaw(tmp.path() + "/data/stray.txt", "not ours");  // Foreign: kept, hidden.
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/data/a/.tmp-crashed"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/data/empty"));
  EXPECT_TRUE(std::filesystem::exists(tmp.path() + "/data/stray.txt"));
  EXPECT_EQ(*b->List(""), std::vector<std::string>{"a/"});
  EXPECT_EQ(**b->Get("a/b"), "v");
}

TEST(FileBackend, OpenReplaysACompleteJournalAndDropsAnIncompleteOne) {
  TempDirForTest tmp;
  {
    auto b = OpenOrDie(tmp.path());
    ASSERT_TRUE(b);
    ASSERT_TRUE(b->Put("k", "old").ok());
    ASSERT_TRUE(b->Put("d", "doomed").ok());
  }
  std::string journal = EncodeJournal(
      {Operation::Put("k", "new"), Operation::Delete("d"), Operation::Put("n/m", "added")});
  // A torn journal: the batch was never acknowledged, so nothing changes.
  WriteRaw(tmp.path() + "/batch.journal", journal.substr(0, journal.size() - 1));
  {
    auto b = OpenOrDie(tmp.path());
    ASSERT_TRUE(b);
    EXPECT_EQ(**b->Get("k"), "old");
    EXPECT_EQ(**b->Get("d"), "doomed");
    EXPECT_FALSE(b->Get("n/m")->has_value());
    EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/batch.journal"));
  }
  // A complete journal: the crash happened while applying it; finish it.
  WriteRaw(tmp.path() + "/batch.journal", journal);
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  EXPECT_EQ(**b->Get("k"), "new");
  EXPECT_FALSE(b->Get("d")->has_value());
  EXPECT_EQ(**b->Get("n/m"), "added");
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/batch.journal"));
}

TEST(FileBackend, JournalWithAnEscapingKeyIsRefused) {
  TempDirForTest tmp;
  WriteRaw(tmp.path() + "/batch.journal", EncodeJournal({Operation::Put("../../evil", "x")}));
  auto b = FileBackend::Open(tmp.path());
  EXPECT_EQ(b.status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/../evil"));
}

TEST(FileBackend, ConcurrentWritersAndReadersSeeWholeValues) {
  TempDirForTest tmp;
  auto b = OpenOrDie(tmp.path());
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->Put("shared", std::string(1000, 'a')).ok());
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        if (t % 2 == 0) {
          char c = static_cast<char>('a' + (i + t) % 26);
          if (!b->Batch({Operation::Put("shared", std::string(1000, c)),
                         Operation::Put("t/" + std::to_string(t), std::string(1, c))})
                   .ok()) {
            ++bad;
          }
        } else {
          auto v = b->Get("shared");
          if (!v.ok() || !v->has_value() || (*v)->size() != 1000 ||
              std::count((*v)->begin(), (*v)->end(), (**v)[0]) != 1000) {
            ++bad;
          }
          if (!b->List("t/").ok()) ++bad;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(*b->List("t/"), (std::vector<std::string>{"0", "2"}));
}

}  // namespace
}  // namespace tresor::storage
