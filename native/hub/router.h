// Routing of frames to the connections of a principal (visitor or agent). The hub never
// assumes a participant is connected to this process: it addresses principals, and a cluster
// implementation of this interface can forward to other nodes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "hub/client.h"

namespace sb::hub {

class router {
 public:
  /** Called when a connection's copy of a conversation has a gap to fill from the store. */
  using gap_handler = std::function<void(const client_ptr&, const std::string& conv)>;

  virtual ~router() = default;

  virtual void attach(const client_ptr& c) = 0;
  virtual void detach(const client_ptr& c) = 0;

  /** Sends a frame without seq to every connection of `principal`. */
  virtual void send(const std::string& principal, const frame_ptr& frame) = 0;
  /** Sends message `seq` of `conv` to every connection of `principal`, in order per
   *  connection; connections with a gap are handed to the gap handler. */
  virtual void send_msg(const std::string& principal, const std::string& conv, std::uint64_t seq,
                        const frame_ptr& frame) = 0;
  /** Sends to every visitor connection of a site (presence changes). */
  virtual void send_site_visitors(const std::string& site, const frame_ptr& frame) = 0;
  /** Starts seq tracking of `conv` at `after` on every connection of `principal`. */
  virtual void track(const std::string& principal, const std::string& conv,
                     std::uint64_t after) = 0;

  /** Connections of `principal` on this node. */
  virtual std::size_t local_connections(const std::string& principal) = 0;
  virtual std::size_t total_connections() = 0;

  void on_gap(gap_handler h) { on_gap_ = std::move(h); }

 protected:
  gap_handler on_gap_;
};

}  // namespace sb::hub
