// Static file serving for web/: demo page, console page, widget assets.
#include "transport/static_files.h"

#include <sys/stat.h>
#include <fstream>
#include <sstream>

namespace sb::transport {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

std::string decode_path(std::string_view target) {
  auto q = target.find_first_of("?#");
  std::string_view raw = target.substr(0, q);
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); i++) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return {};
      int hi = hex_value(raw[i + 1]), lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) return {};
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return {};
    out.push_back(c);
  }
  return out;
}

const char* content_type_for(std::string_view path) {
  if (ends_with(path, ".html")) return "text/html; charset=utf-8";
  if (ends_with(path, ".js") || ends_with(path, ".mjs")) return "text/javascript; charset=utf-8";
  if (ends_with(path, ".css")) return "text/css; charset=utf-8";
  if (ends_with(path, ".json")) return "application/json";
  if (ends_with(path, ".svg")) return "image/svg+xml";
  if (ends_with(path, ".png")) return "image/png";
  if (ends_with(path, ".ico")) return "image/x-icon";
  if (ends_with(path, ".woff2")) return "font/woff2";
  if (ends_with(path, ".mp3")) return "audio/mpeg";
  return "application/octet-stream";
}

static_file load_static(const std::string& root, std::string_view target) {
  static_file out;
  if (root.empty()) return out;
  std::string path = decode_path(target);
  if (path.empty() || path[0] != '/') return out;
  if (path == "/") path = "/demo/index.html";
  if (path == "/console" || path == "/console/") path = "/console/index.html";
  // Refuse any segment that is empty-dot, dot-dot or hidden, and backslashes.
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view seg(path.data() + start, end - start);
    if ((!seg.empty() && seg[0] == '.') || seg.find('\\') != std::string_view::npos) return out;
    start = end + 1;
  }
  if (path.back() == '/') path += "index.html";
  std::string file = root + path;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return out;
  if (S_ISDIR(st.st_mode)) {
    file += "/index.html";
    path += "/index.html";
    if (::stat(file.c_str(), &st) != 0) return out;
  }
  if (!S_ISREG(st.st_mode)) return out;
  std::ifstream in(file, std::ios::binary);
  if (!in) return out;
  std::ostringstream ss;
  ss << in.rdbuf();
  out.body = ss.str();
  out.content_type = content_type_for(path);
  out.found = true;
  return out;
}

}  // namespace sb::transport
