// main.cpp — the load generator's entry point: parses arguments and runs the idle or chat
// mode. Usage:
//   loadgen idle N [--host H] [--port P] [--sources K]
//   loadgen chat P --tokens FILE [--inflight K] [--duration S] [--warmup S] [--size B] ...
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "options.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: loadgen idle N [--host H] [--port P] [--path /ws] [--sources K]\n"
               "                      [--max-pending N] [--setup-timeout S] [--hold-max S]\n"
               "       loadgen chat P --tokens FILE [--host H] [--port P] [--inflight K]\n"
               "                      [--duration S] [--warmup S] [--drain S] [--size BYTES]\n");
}

bool parse(int argc, char** argv, loadgen::options& o) {
  if (argc < 3) return false;
  o.mode = argv[1];
  o.count = std::atoi(argv[2]);
  if ((o.mode != "idle" && o.mode != "chat") || o.count <= 0) return false;
  for (int i = 3; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::atoi(v);
    else if (k == "--path") o.path = v;
    else if (k == "--site") o.site = v;
    else if (k == "--sources") o.sources = std::atoi(v);
    else if (k == "--max-pending") o.max_pending = std::atoi(v);
    else if (k == "--setup-timeout") o.setup_timeout = std::atof(v);
    else if (k == "--hold-max") o.hold_max = std::atof(v);
    else if (k == "--inflight") o.inflight = std::atoi(v);
    else if (k == "--duration") o.duration = std::atof(v);
    else if (k == "--warmup") o.warmup = std::atof(v);
    else if (k == "--drain") o.drain = std::atof(v);
    else if (k == "--size") o.size = std::atoi(v);
    else if (k == "--tokens") o.tokens = v;
    else return false;
  }
  return o.port > 0 && o.inflight > 0 && o.duration > 0 && o.max_pending > 0;
}

}  // namespace

int main(int argc, char** argv) {
  loadgen::options o;
  if (!parse(argc, argv, o)) {
    usage();
    return 64;
  }
  if (o.sources <= 0) {  // the ephemeral port range holds ~28,000 ports per source address
    int conns = o.mode == "idle" ? o.count : 2 * o.count;
    o.sources = (conns + 24999) / 25000;
  }
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  return o.mode == "idle" ? loadgen::run_idle(o) : loadgen::run_chat(o);
}
