// RFC 6455 framing for the server side: an incremental reader of client frames (masked,
// possibly fragmented, split anywhere across reads) and writers of server frame headers.
// Pure code, no I/O: the session feeds it bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::transport {

enum class ws_event { text, binary, ping, pong, close };

/** Close codes the framing layer produces. */
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t policy = 1008;
constexpr std::uint16_t too_big = 1009;
constexpr std::uint16_t malformed = 4400;
constexpr std::uint16_t unauthorized = 4401;
constexpr std::uint16_t hello_timeout = 4408;
}  // namespace close_code

class ws_reader {
 public:
  explicit ws_reader(std::size_t max_message) : max_message_(max_message) {}

  /**
   * Parses as many whole frames as `data` holds, unmasking them in place, and calls
   * `on(ws_event, std::string_view payload)` for each message or control frame (for close, the
   * payload is the raw close body). Returns the number of bytes consumed (the caller keeps the
   * rest for the next call), or sets `error` to a close code and stops.
   * Stop early by returning false from `on`.
   */
  template <class Handler>
  std::size_t feed(char* data, std::size_t n, std::uint16_t& error, Handler&& on);

  /** Bytes held for an unfinished fragmented message. */
  std::size_t fragment_bytes() const { return fragments_.size(); }

 private:
  struct header {
    bool fin;
    std::uint8_t opcode;
    std::uint64_t length;
    std::size_t size;  // header bytes, mask included
    const char* mask;
  };
  /** 0 = need more bytes, otherwise the header size; `error` set on a violation. */
  std::size_t parse_header(const char* p, std::size_t n, header& h, std::uint16_t& error) const;

  std::size_t max_message_;
  std::string fragments_;  // an unfinished fragmented message
  std::uint8_t fragment_opcode_ = 0;
};

/** Unmasks `n` bytes in place with the 4-byte `mask`. */
void ws_unmask(char* data, std::size_t n, const char* mask);

/** Writes the header of an unmasked server frame into `out` (>= 10 bytes); returns its size. */
std::size_t ws_frame_header(std::uint8_t opcode, std::size_t payload, char* out);

/** A close frame's payload: the code and a reason cut to 123 bytes at a UTF-8 boundary. */
std::string ws_close_payload(std::uint16_t code, std::string_view reason);

template <class Handler>
std::size_t ws_reader::feed(char* data, std::size_t n, std::uint16_t& error, Handler&& on) {
  std::size_t used = 0;
  error = 0;
  while (used < n) {
    header h{};
    std::size_t hs = parse_header(data + used, n - used, h, error);
    if (error || hs == 0) break;
    if (n - used - hs < h.length) break;  // payload not complete yet
    char* payload = data + used + hs;
    std::size_t len = static_cast<std::size_t>(h.length);
    ws_unmask(payload, len, h.mask);
    used += hs + len;

    bool keep_going = true;
    switch (h.opcode) {
      case 0x0:  // continuation
        if (!fragment_opcode_) {
          error = close_code::protocol_error;
          return used;
        }
        if (fragments_.size() + len > max_message_) {
          error = close_code::too_big;
          return used;
        }
        fragments_.append(payload, len);
        if (h.fin) {
          auto ev = fragment_opcode_ == 0x1 ? ws_event::text : ws_event::binary;
          fragment_opcode_ = 0;
          std::string whole;
          whole.swap(fragments_);
          keep_going = on(ev, std::string_view(whole));
        }
        break;
      case 0x1:
      case 0x2:
        if (fragment_opcode_) {
          error = close_code::protocol_error;
          return used;
        }
        if (h.fin) {
          keep_going = on(h.opcode == 0x1 ? ws_event::text : ws_event::binary,
                          std::string_view(payload, len));
        } else {
          fragment_opcode_ = h.opcode;
          fragments_.assign(payload, len);
        }
        break;
      case 0x8:
        keep_going = on(ws_event::close, std::string_view(payload, len));
        break;
      case 0x9:
        keep_going = on(ws_event::ping, std::string_view(payload, len));
        break;
      case 0xA:
        keep_going = on(ws_event::pong, std::string_view(payload, len));
        break;
    }
    if (!keep_going) break;
  }
  return used;
}

}  // namespace sb::transport
