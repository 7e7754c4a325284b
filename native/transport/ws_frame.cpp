// RFC 6455 frame headers, unmasking and close frames.
#include "transport/ws_frame.h"

#include <cstring>

namespace sb::transport {

std::size_t ws_reader::parse_header(const char* p, std::size_t n, header& h,
                                    std::uint16_t& error) const {
  if (n < 2) return 0;
  auto b0 = static_cast<std::uint8_t>(p[0]);
  auto b1 = static_cast<std::uint8_t>(p[1]);
  h.fin = b0 & 0x80;
  h.opcode = b0 & 0x0F;
  bool masked = b1 & 0x80;
  std::uint64_t len = b1 & 0x7F;
  std::size_t size = 2;
  // No extension is negotiated, so reserved bits must be clear; clients must mask.
  if ((b0 & 0x70) || !masked || (h.opcode > 0x2 && h.opcode < 0x8) || h.opcode > 0xA) {
    error = close_code::protocol_error;
    return 0;
  }
  bool control = h.opcode >= 0x8;
  if (control && (!h.fin || len > 125)) {
    error = close_code::protocol_error;
    return 0;
  }
  if (len == 126) {
    if (n < 4) return 0;
    len = (std::uint64_t(std::uint8_t(p[2])) << 8) | std::uint8_t(p[3]);
    size = 4;
  } else if (len == 127) {
    if (n < 10) return 0;
    len = 0;
    for (int i = 2; i < 10; i++) len = (len << 8) | std::uint8_t(p[i]);
    size = 10;
  }
  // Refuse an oversized frame from its header, before buffering any of it.
  if (len > max_message_) {
    error = close_code::too_big;
    return 0;
  }
  if (n < size + 4) return 0;
  h.mask = p + size;
  h.size = size + 4;
  h.length = len;
  return h.size;
}

void ws_unmask(char* data, std::size_t n, const char* mask) {
  std::uint32_t m32;
  std::memcpy(&m32, mask, 4);
  std::uint64_t m64 = (std::uint64_t(m32) << 32) | m32;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, data + i, 8);
    v ^= m64;
    std::memcpy(data + i, &v, 8);
  }
  for (; i < n; i++) data[i] ^= mask[i & 3];
}

std::size_t ws_frame_header(std::uint8_t opcode, std::size_t payload, char* out) {
  out[0] = static_cast<char>(0x80 | opcode);
  if (payload < 126) {
    out[1] = static_cast<char>(payload);
    return 2;
  }
  if (payload <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<char>(payload >> 8);
    out[3] = static_cast<char>(payload & 0xFF);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; i++)
    out[2 + i] = static_cast<char>((std::uint64_t(payload) >> (56 - 8 * i)) & 0xFF);
  return 10;
}

std::string ws_close_payload(std::uint16_t code, std::string_view reason) {
  if (reason.size() > 123) {
    std::size_t cut = 123;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) cut--;
    reason = reason.substr(0, cut);
  }
  std::string f;
  f.push_back(static_cast<char>(code >> 8));
  f.push_back(static_cast<char>(code & 0xFF));
  f.append(reason);
  return f;
}

}  // namespace sb::transport
