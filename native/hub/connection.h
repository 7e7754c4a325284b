// What the hub needs from a transport connection: queue a frame, close. The transport's
// WebSocket session implements it; tests implement it in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sb::hub {

/** A serialised text frame, shared by every connection it is fanned out to. */
using frame_ptr = std::shared_ptr<const std::string>;

inline frame_ptr make_frame(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

class connection {
 public:
  virtual ~connection() = default;
  /** Queues one text frame. Thread-safe, never blocks; a connection over its outbound byte cap
   *  is dropped by the transport instead of queueing more. */
  virtual void send(frame_ptr frame) = 0;
  /** Sends a close frame with `code` and `reason`, then closes. Thread-safe. */
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
};

}  // namespace sb::hub
