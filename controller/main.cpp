#include <malloc.h>
#include <signal.h>

#include <iostream>
#include <string_view>
#include <thread>
#include <vector>

#include "controller/app/manager.h"
#include "controller/app/options.h"
#include "controller/app/version.h"
#include "controller/kube/rest/client.h"

int main(int argc, char** argv) {
  // Signals are taken by one thread with sigwait, never by a handler that
  // could interrupt a lock holder. Blocked first, so that every thread
  // started later (the HTTP pool too) inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  using agentfleet::app::ParseResult;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  ParseResult parsed = agentfleet::app::ParseOptions(args);
  switch (parsed.kind) {
    case ParseResult::Kind::kHelp:
      std::cout << agentfleet::app::Usage(argv[0]);
      return 0;
    case ParseResult::Kind::kVersion:
      std::cout << "agentfleet-controller " << agentfleet::app::Version() << "\n";
      return 0;
    case ParseResult::Kind::kError:
      std::cerr << "agentfleet-controller: " << parsed.error << "\n"
                << "Run '" << argv[0] << " --help' for the list of flags.\n";
      return 2;
    case ParseResult::Kind::kRun:
      break;
  }
  // Few malloc arenas: the cache is long-lived and per-thread arenas would
  // each keep their own high-water mark of freed transfer buffers.
  mallopt(M_ARENA_MAX, 2);
  agentfleet::kube::ConfigureHttpThreads(4);

  auto manager = agentfleet::app::Manager::Create(parsed.options);
  if (!manager) {
    std::cerr << "agentfleet-controller: " << manager.error().ToString() << "\n";
    return 1;
  }
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    (*manager)->Stop();
  });
  int code = (*manager)->Run();
  // Run may end on its own (leadership lost): release the signal thread.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return code;
}
