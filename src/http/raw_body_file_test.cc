#include "http/raw_body_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/temp_dir_for_test.h"

namespace tresor::http {
namespace {

std::string ReadBack(const core::RawBody& body, std::vector<std::size_t>* piece_sizes = nullptr) {
  std::string out;
  Status status = body.ReadAll([&](std::string_view piece) {
    out.append(piece);
    if (piece_sizes != nullptr) piece_sizes->push_back(piece.size());
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

TEST(RawBodyFileTest, AppendedPiecesComeBackInOrderTwice) {
  TempDirForTest dir;
  auto file = RawBodyFile::Create(dir.path());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const std::string first(core::RawBody::kReadChunkBytes, 'a');
  const std::string second = "tail";
  ASSERT_TRUE(file->Append(first).ok());
  ASSERT_TRUE(file->Append("").ok());
  ASSERT_TRUE(file->Append(second).ok());
  EXPECT_EQ(file->size(), first.size() + second.size());
  std::shared_ptr<const core::RawBody> body = file->Finish();
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->size(), first.size() + second.size());
  std::vector<std::size_t> pieces;
  EXPECT_EQ(ReadBack(*body, &pieces), first + second);
  EXPECT_EQ(pieces, (std::vector<std::size_t>{core::RawBody::kReadChunkBytes, 4}));
  EXPECT_EQ(ReadBack(*body), first + second);
}

TEST(RawBodyFileTest, TheFileHasNoNameInItsDirectory) {
  TempDirForTest dir;
  auto file = RawBodyFile::Create(dir.path());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->Append("secret-ish").ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(RawBodyFileTest, EmptyBodyCallsTheSinkNever) {
  auto file = RawBodyFile::Create();  // the system's temporary directory
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto body = file->Finish();
  int calls = 0;
  EXPECT_TRUE(body->ReadAll([&calls](std::string_view) {
                    ++calls;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(calls, 0);
}

TEST(RawBodyFileTest, SinkErrorStopsReading) {
  auto file = RawBodyFile::Create();
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->Append(std::string(3 * core::RawBody::kReadChunkBytes, 'x')).ok());
  auto body = file->Finish();
  int calls = 0;
  Status status = body->ReadAll([&calls](std::string_view) {
    ++calls;
    return InvalidArgumentError("not a snapshot");
  });
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "not a snapshot");
  EXPECT_EQ(calls, 1);
}

TEST(RawBodyFileTest, MissingDirectoryIsAnIOError) {
  auto file = RawBodyFile::Create("/nonexistent/tresor-test-dir");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kIOError);
  EXPECT_NE(file.status().message().find("/nonexistent/tresor-test-dir"), std::string::npos);
}

TEST(RawBodyTest, FileShorterThanItsSizeIsAnIOError) {
  TempDirForTest dir;
  std::string path = dir.File("short");
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "abc", 3), 3);
  core::RawBody body(fd, 10);  // claims more than the file holds
  std::string seen;
  Status status = body.ReadAll([&seen](std::string_view piece) {
    seen.append(piece);
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kIOError);
  EXPECT_EQ(seen, "abc");
}

}  // namespace
}  // namespace tresor::http
