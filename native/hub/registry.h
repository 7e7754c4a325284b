// The single-node router: connections indexed by principal in hash shards (no global lock),
// and visitor connections indexed by site for presence broadcasts.
#pragma once

#include <array>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hub/router.h"

namespace sb::hub {

class registry final : public router {
 public:
  void attach(const client_ptr& c) override;
  void detach(const client_ptr& c) override;
  void send(const std::string& principal, const frame_ptr& frame) override;
  void send_msg(const std::string& principal, const std::string& conv, std::uint64_t seq,
                const frame_ptr& frame) override;
  void send_site_visitors(const std::string& site, const frame_ptr& frame) override;
  void track(const std::string& principal, const std::string& conv, std::uint64_t after) override;
  std::size_t local_connections(const std::string& principal) override;
  std::size_t total_connections() override;

 private:
  static constexpr std::size_t shard_count = 64;
  struct shard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<client_ptr>> by_principal;  // guarded by mu
  };
  shard& shard_of(const std::string& principal) {
    return shards_[std::hash<std::string>{}(principal) % shard_count];
  }

  std::array<shard, shard_count> shards_;
  std::mutex sites_mu_;
  std::unordered_map<std::string, std::unordered_set<client_ptr>> visitors_by_site_;  // sites_mu_
};

}  // namespace sb::hub
