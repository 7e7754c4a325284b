// Static files: page aliases, traversal and hidden-file refusal, percent-decoding.
#include "transport/static_files.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace sb::transport;
namespace fs = std::filesystem;

namespace {
class static_files_test : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sb-static-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "demo");
    fs::create_directories(root_ / "console");
    fs::create_directories(root_ / ".git");
    write("demo/index.html", "<p>demo</p>");
    write("console/index.html", "<p>console</p>");
    write("app.js", "x()");
    write(".git/config", "secret");
    std::ofstream(root_.parent_path() / "outside.txt") << "outside";
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& body) {
    std::ofstream(root_ / rel) << body;
  }
  static_file get(const std::string& target) { return load_static(root_.string(), target); }
  fs::path root_;
};
}  // namespace

TEST_F(static_files_test, root_and_console_map_to_their_pages) {
  EXPECT_EQ(get("/").body, "<p>demo</p>");
  EXPECT_EQ(get("/?x=1").body, "<p>demo</p>");
  EXPECT_EQ(get("/console").body, "<p>console</p>");
  EXPECT_EQ(get("/console").content_type, "text/html; charset=utf-8");
}

TEST_F(static_files_test, files_get_their_content_type) {
  auto f = get("/app.js");
  ASSERT_TRUE(f.found);
  EXPECT_EQ(f.content_type, "text/javascript; charset=utf-8");
}

TEST_F(static_files_test, traversal_and_hidden_paths_are_not_found) {
  EXPECT_FALSE(get("/../outside.txt").found);
  EXPECT_FALSE(get("/%2e%2e/outside.txt").found);
  EXPECT_FALSE(get("/demo/%2e%2e/%2e%2e/outside.txt").found);
  EXPECT_FALSE(get("/.git/config").found);
  EXPECT_FALSE(get("/demo\\..\\..\\outside.txt").found);
  EXPECT_FALSE(get("/app.js%00.html").found);
  EXPECT_FALSE(get("/%zz").found);
  EXPECT_FALSE(get("relative").found);
}

TEST_F(static_files_test, missing_file_is_not_found) { EXPECT_FALSE(get("/nope.html").found); }
