#include "chipcert/harness/files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace ch = chipcert::harness;
namespace fs = std::filesystem;

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chipcert-files-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(Files, AtomicWriteCreatesParentsAndReplaces) {
  const std::string p = (dir_ / "a" / "b" / "out.json").string();
  ch::write_file_atomic(p, "first");
  EXPECT_EQ(ch::read_text_file(p, 100), "first");
  ch::write_file_atomic(p, "second, longer");
  EXPECT_EQ(ch::read_text_file(p, 100), "second, longer");
  // No temp files left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "a" / "b")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(Files, ReadLimitsAndErrorsNameTheFile) {
  const std::string p = (dir_ / "big.txt").string();
  ch::write_file_atomic(p, std::string(1000, 'x'));
  try {
    ch::read_text_file(p, 999);
    FAIL();
  } catch (const ch::ReadError& e) {
    EXPECT_NE(std::string(e.what()).find("big.txt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("999-byte limit"), std::string::npos);
  }
  EXPECT_THROW(ch::read_text_file((dir_ / "missing").string(), 10), ch::ReadError);
  EXPECT_THROW(ch::read_text_file(dir_.string(), 10), ch::ReadError);
}

TEST_F(Files, WriteIntoUnwritablePlaceFails) {
  if (::geteuid() == 0) {
    // root ignores permissions; a path under a regular file fails for everyone.
    const std::string f = (dir_ / "file").string();
    ch::write_file_atomic(f, "x");
    EXPECT_THROW(ch::write_file_atomic(f + "/child.json", "y"), ch::FileError);
    return;
  }
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(ch::write_file_atomic((dir_ / "x.json").string(), "y"), ch::FileError);
  fs::permissions(dir_, fs::perms::owner_all);
}

TEST_F(Files, Sha256MatchesKnownVector) {
  const std::string p = (dir_ / "abc").string();
  ch::write_file_atomic(p, "abc");
  EXPECT_EQ(ch::sha256_file(p), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
