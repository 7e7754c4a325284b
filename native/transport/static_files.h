// Static files under the web root: safe path resolution (no traversal, no hidden files),
// content types, and the two page aliases ("/" -> demo, "/console" -> console).
#pragma once

#include <string>
#include <string_view>

namespace sb::transport {

struct static_file {
  bool found = false;
  std::string body;
  std::string content_type;
};

/** Resolves `target` (path and optional query) under `root`; never leaves `root`. */
static_file load_static(const std::string& root, std::string_view target);

/** The path part of a request target, percent-decoded; empty if it is malformed. */
std::string decode_path(std::string_view target);

const char* content_type_for(std::string_view path);

}  // namespace sb::transport
