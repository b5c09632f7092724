#include "cluster/stop_signals.h"

#include <csignal>

namespace clear_sweep {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int signal) { g_stop_signal = signal; }

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2};

}  // namespace

void stop_signals_install_coordinator() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int s : kSignals) sigaction(s, &action, nullptr);
}

void stop_signals_ignore() {
  for (int s : kSignals) std::signal(s, SIG_IGN);
}

int stop_signal_received() { return g_stop_signal; }

}  // namespace clear_sweep
