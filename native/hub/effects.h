// What a conversation change decided under the hub's locks and carries out after releasing
// them (frames, store writes, events, queue notices). Private to the hub's .cpp files.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "hub/hub.h"

namespace sb::hub {

struct hub::effects {
  struct pending {
    store::conversation rec;
    frame_ptr frame;
    std::vector<std::string> recipients;
    std::vector<std::string> events;
    std::string agent;  // for assigned events
  };
  std::vector<pending> persists;
  std::vector<std::tuple<std::string, std::string, std::uint64_t>> tracks;  // principal, conv
  std::set<std::string> queue_sites;
  std::vector<std::pair<std::string, frame_ptr>> site_visitor_sends;
  std::vector<std::pair<std::string, frame_ptr>> sends;
  std::vector<std::pair<std::string, const char*>> stop_bots;  // conv, reason
  std::string greet_conv, greeting, bot_id, bot_name;          // a new conversation's greeting
};

}  // namespace sb::hub
