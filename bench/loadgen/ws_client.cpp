// ws_client.cpp — the client WebSocket (RFC 6455) pieces the load generator needs: connect,
// upgrade, masked frames out, unmasked server frames in (partial and batched reads).
#include "ws_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace loadgen {
namespace {

constexpr uint8_t op_cont = 0x0, op_text = 0x1, op_binary = 0x2, op_close = 0x8,
                  op_ping = 0x9, op_pong = 0xA;

uint32_t next_mask(ws_conn& c) {
  uint32_t x = c.mask_seed;  // xorshift32: unpredictable enough for a benchmark client
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  c.mask_seed = x;
  return x;
}

void queue_frame(ws_conn& c, uint8_t opcode, const char* data, size_t len) {
  char hdr[14];
  size_t h = 0;
  hdr[h++] = static_cast<char>(0x80 | opcode);
  if (len < 126) {
    hdr[h++] = static_cast<char>(0x80 | len);
  } else if (len < 65536) {
    hdr[h++] = static_cast<char>(0x80 | 126);
    hdr[h++] = static_cast<char>(len >> 8);
    hdr[h++] = static_cast<char>(len);
  } else {
    hdr[h++] = static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) hdr[h++] = static_cast<char>(uint64_t(len) >> (8 * i));
  }
  uint32_t key = next_mask(c);
  std::memcpy(hdr + h, &key, 4);
  const unsigned char* k = reinterpret_cast<const unsigned char*>(hdr + h);
  h += 4;
  size_t at = c.out.size();
  c.out.append(hdr, h);
  c.out.append(data, len);
  char* p = &c.out[at + h];
  for (size_t i = 0; i < len; ++i) p[i] = static_cast<char>(p[i] ^ k[i & 3]);
}

// Parses the HTTP response to the upgrade. Returns bytes consumed (0 if incomplete), or
// SIZE_MAX when the server refused the upgrade.
size_t parse_upgrade(const char* p, size_t n) {
  std::string_view s(p, n);
  size_t end = s.find("\r\n\r\n");
  if (end == std::string_view::npos) return n > 16384 ? SIZE_MAX : 0;
  if (s.substr(0, 13) != "HTTP/1.1 101 ") return SIZE_MAX;
  return end + 4;
}

// Dispatches every complete frame in [p, p+n). Returns bytes consumed; sets `alive` false
// when the server closed.
size_t parse_frames(ws_conn& c, int index, const char* p, size_t n, const ws_events& ev,
                    void* ctx, bool& alive) {
  size_t off = 0;
  while (alive && n - off >= 2) {
    const unsigned char* b = reinterpret_cast<const unsigned char*>(p + off);
    bool fin = b[0] & 0x80;
    uint8_t opcode = b[0] & 0x0f;
    bool masked = b[1] & 0x80;
    uint64_t len = b[1] & 0x7f;
    size_t hdr = 2;
    if (len == 126) {
      if (n - off < 4) break;
      len = (uint64_t(b[2]) << 8) | b[3];
      hdr = 4;
    } else if (len == 127) {
      if (n - off < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      hdr = 10;
    }
    size_t key_at = hdr;
    if (masked) hdr += 4;
    if (len > (64u << 20)) { alive = false; break; }  // nothing the bench sends is this big
    if (n - off < hdr + len) break;
    std::string_view payload(p + off + hdr, len);
    std::string unmasked;
    if (masked) {  // servers must not mask, but be lenient
      unmasked.assign(payload);
      for (size_t i = 0; i < len; ++i) unmasked[i] ^= b[key_at + (i & 3)];
      payload = unmasked;
    }
    switch (opcode) {
      case op_text:
      case op_binary:
        if (fin) {
          ev.on_text(ctx, index, payload);
        } else {
          c.frag.assign(payload);
          c.frag_opcode = opcode;
        }
        break;
      case op_cont:
        c.frag.append(payload);
        if (fin) {
          ev.on_text(ctx, index, c.frag);
          c.frag.clear();
        }
        break;
      case op_ping:
        queue_frame(c, op_pong, payload.data(), payload.size());
        break;
      case op_pong:
        break;
      case op_close:
        if (len >= 2) {
          c.close_code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
          c.close_reason.assign(payload.substr(2));
        }
        queue_frame(c, op_close, payload.data(), len >= 2 ? 2 : 0);
        ws_flush(c);
        alive = false;
        break;
      default:
        alive = false;  // reserved opcode: protocol error
    }
    off += hdr + len;
  }
  return off;
}

}  // namespace

bool ws_connect(ws_conn& c, const sockaddr_in& dst, const sockaddr_in* src) {
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return false;
  int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (src) {
    // Let connect() pick the port so each source address gets its own ephemeral range.
    ::setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (::bind(c.fd, reinterpret_cast<const sockaddr*>(src), sizeof *src) != 0) {
      ::close(c.fd);
      c.fd = -1;
      return false;
    }
  }
  int r = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst);
  if (r != 0 && errno != EINPROGRESS) {
    ::close(c.fd);
    c.fd = -1;
    return false;
  }
  c.state = ws_state::connecting;
  c.mask_seed ^= static_cast<uint32_t>(c.fd) * 2654435761u;
  if (c.mask_seed == 0) c.mask_seed = 1;
  return true;
}

void ws_queue_upgrade(ws_conn& c, std::string_view host_port, std::string_view path) {
  c.out.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_port);
  c.out.append(
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: switchboard.v1\r\n\r\n");
}

void ws_queue_text(ws_conn& c, std::string_view payload) {
  queue_frame(c, op_text, payload.data(), payload.size());
}

bool ws_flush(ws_conn& c) {
  for (int round = 0; round < 64 && c.out_off < c.out.size(); ++round) {
    ssize_t w = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (w > 0) {
      c.out_off += size_t(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      return false;
    }
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  } else if (c.out_off > (1u << 20)) {
    c.out.erase(0, c.out_off);
    c.out_off = 0;
  }
  return true;
}

bool ws_on_readable(ws_conn& c, int index, char* scratch, size_t scratch_len,
                    const ws_events& ev, void* ctx) {
  ssize_t r = ::recv(c.fd, scratch, scratch_len, 0);
  if (r == 0) return false;
  if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  const char* p = scratch;
  size_t n = size_t(r);
  if (!c.in.empty()) {
    c.in.append(scratch, n);
    p = c.in.data();
    n = c.in.size();
  }
  size_t off = 0;
  bool alive = true;
  if (c.state == ws_state::upgrading) {
    size_t used = parse_upgrade(p, n);
    if (used == SIZE_MAX) return false;
    if (used > 0) {
      off = used;
      c.state = ws_state::open;
      ev.on_open(ctx, index);
    }
  }
  if (c.state == ws_state::open) off += parse_frames(c, index, p + off, n - off, ev, ctx, alive);
  if (p == scratch) {
    if (off < n) c.in.assign(p + off, n - off);
  } else {
    c.in.erase(0, off);
  }
  return alive;
}

void ws_close(ws_conn& c) {
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.state = ws_state::closed;
  std::string().swap(c.out);
  std::string().swap(c.in);
  c.out_off = 0;
}

}  // namespace loadgen
