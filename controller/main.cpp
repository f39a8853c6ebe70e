#include <malloc.h>
#include <signal.h>

#include <iostream>
#include <string_view>
#include <thread>
#include <vector>

#include "controller/app/manager.h"
#include "controller/app/options.h"
#include "controller/app/version.h"
#include "controller/base/fd_limit.h"
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

  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = agentfleet::app::ParseOptions(args);
  if (auto code =
          agentfleet::ExitCodeForFlags(parsed,
                                       {.name = "agentfleet-controller",
                                        .invoked_as = argv[0],
                                        .version = agentfleet::app::Version()},
                                       agentfleet::app::Usage(argv[0]), std::cout, std::cerr)) {
    return *code;
  }
  // Few malloc arenas: the cache is long-lived and per-thread arenas would
  // each keep their own high-water mark of freed transfer buffers.
  mallopt(M_ARENA_MAX, 2);
  agentfleet::RaiseOpenFileLimit();
  agentfleet::kube::rest::ConfigureHttpThreads(4);

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
