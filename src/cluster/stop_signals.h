// Stopping a sweep early. Slurm sends SIGTERM (or the signal asked for with
// --signal, USR1 by default in slurm/) before a time limit; a user presses Ctrl-C.
// The coordinator then hands out no more work, lets running jobs finish within the
// grace period, flushes, and exits with kExitInterrupted, which means "resumable".
// Workers ignore these signals: mpirun and srun forward them to every rank, and only
// the coordinator decides when the sweep ends.
#pragma once

namespace clear_sweep {

/// Installs handlers that record SIGTERM, SIGINT, SIGUSR1 and SIGUSR2. Every rank
/// installs them before MPI starts; the coordinator keeps them.
void stop_signals_install_coordinator();
/// Makes a worker ignore them.
void stop_signals_ignore();

/// The signal that asked to stop, or 0.
int stop_signal_received();

}  // namespace clear_sweep
