#include "cluster/run_sweep.h"

#include <mpi.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "cluster/device_binding.h"
#include "cluster/messages.h"
#include "cluster/model_plugin.h"
#include "cluster/mpi_comm.h"
#include "cluster/noop_runner.h"
#include "cluster/stop_signals.h"
#include "cluster/worker.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "common/version.h"
#include "store/lock_file.h"
#include "store/results_store.h"
#include "sweep/shard.h"
#include "sweep/sweep_expand.h"

namespace clear_sweep {
namespace {

/// MPI_Init_thread / MPI_Finalize. FUNNELED: only a rank's main thread calls MPI.
class MpiSession {
 public:
  MpiSession() {
    int provided = 0;
    mpi_check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    if (provided < MPI_THREAD_FUNNELED) throw ClusterError("this MPI does not support MPI_THREAD_FUNNELED");
  }
  ~MpiSession() { MPI_Finalize(); }
};

/// Rank 0 tells every rank whether to go on: a status code, then (if 0) the sweep
/// (StartMessage).
void broadcast_text(std::string& text, int root) {
  uint64_t size = text.size();
  mpi_check(MPI_Bcast(&size, 1, MPI_UINT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
  text.resize(size);
  mpi_check(MPI_Bcast(text.data(), int(size), MPI_CHAR, root, MPI_COMM_WORLD), "MPI_Bcast");
}

int broadcast_status(int status) {
  mpi_check(MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return status;
}

/// Every rank says how its set-up went (0 or an exit code); all learn the worst.
int worst_status(int status) {
  int worst = 0;
  mpi_check(MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  return worst;
}

std::string default_out(const SweepSpec& spec, const std::optional<Shard>& shard) {
  if (!shard) return "results/" + spec.name + ".h5";
  return "results/" + spec.name + ".shard-" + std::to_string(shard->index) + "-of-" + std::to_string(shard->count) +
         ".h5";
}

}  // namespace

int run_sweep(const RunOptions& options, std::ostream& out, std::ostream& err) {
  // Before MPI starts (seconds on a busy node): a stop signal that arrives this early
  // must be recorded, not kill the rank. Rank 0 acts on it once its loop starts;
  // workers switch to ignoring such signals once they know they are workers.
  stop_signals_install_coordinator();
  MpiSession mpi;
  const int rank = mpi_rank(), size = mpi_size();
  try {
    // Checks every rank can make alone, so every rank stops on its own, cleanly.
    if (const char* tasks = std::getenv("SLURM_NTASKS"); tasks && std::atoi(tasks) != size) {
      if (rank == 0)
        err << "error: SLURM_NTASKS=" << tasks << " but this MPI job has " << size
            << " rank(s) (hint: srun started one-rank copies of clear-sweep; launch with srun --mpi=pmix "
               "or mpirun inside the allocation, see slurm/)\n";
      return kExitBadInput;
    }
    if (size < 2) {
      err << "error: run needs at least 2 MPI ranks, got " << size
          << " (hint: mpirun -np 3 clear-sweep run SWEEP.toml; rank 0 coordinates, the others work)\n";
      return kExitBadInput;
    }

    // Every rank takes part (a collective); only workers use the answer.
    const NodePlacement placement = node_placement();

    if (rank == 0) {
      // Validate and open everything before any worker starts work; on failure every
      // rank is told to stop and nothing has been written.
      std::unique_ptr<ResultsStore> store;
      SweepSpec spec;
      SweepPlan plan;
      std::string out_path;
      try {
        spec = sweep_load(options.sweep_path);
        for (const auto& warning : spec.warnings) std::cerr << "warning: " << warning << "\n";
        plan = sweep_expand(spec);
        std::optional<Shard> shard;
        if (!options.shard.empty()) shard = shard_parse(options.shard, "--shard");
        if (shard) plan = sweep_shard(plan, *shard);
        out_path = options.out_path.empty() ? default_out(spec, shard) : options.out_path;
        if (const auto parent = std::filesystem::path(out_path).parent_path(); !parent.empty()) {
          std::error_code ec;  // a folder that cannot be made is reported by the store, with its path
          std::filesystem::create_directories(parent, ec);
        }
        ResultsHeader header;
        header.sweep_name = spec.name;
        header.sweep_toml = spec.text;
        header.context_hash = results_context(spec, options.dry_run);
        header.program_version = version();
        header.created_at = utc_now_iso();
        header.shard = shard ? shard->text() : "";
        StoreOptions store_options;
        store_options.force = options.force;
        std::vector<std::string> notes;
        store = std::make_unique<ResultsStore>(out_path, header, store_options, notes);
        for (const auto& note : notes) err << "note: " << note << "\n";
      } catch (const Error& e) {
        err << e.what() << "\n";
        broadcast_status(kExitBadInput);
        return kExitBadInput;
      }
      broadcast_status(0);
      std::string start = encode(StartMessage{spec.text, out_path, plan.stages});
      broadcast_text(start, 0);
      // Workers bind their devices first: a device that is not there (cuda without a
      // GPU, or a CPU-only build) stops every rank before any job is handed out.
      if (const int status = worst_status(0); status != 0) {
        store->close();
        err << "error: a worker could not set up (above); no job ran\n";
        return status;
      }
      const int code = coordinator_run(spec, plan, *store, options.coordinator, out);
      store->close();
      out << "results: " << out_path << "\n";
      return code;
    }

    if (const int status = broadcast_status(0); status != 0) return status;
    std::string bytes;
    broadcast_text(bytes, 0);
    StartMessage start;
    decode(bytes, start);
    const SweepSpec spec = sweep_parse(start.sweep_text, options.sweep_path);
    const std::string& out_path = start.out_path;
    stop_signals_ignore();
    std::unique_ptr<JobRunner> runner;
    if (spec.needs_model() && !options.dry_run) {
      // The model module loads here, on workers only, after the signal handlers exist;
      // [resources].device binds with the GPUs libtorch sees.
      int status = 0;
      try {
        ModelPlugin& plugin = model_plugin();
        const DeviceBinding binding =
            device_bind(spec.resources.device, placement, plugin.cuda_devices(), int(spec.resources.threads_per_rank));
        const std::filesystem::path results(out_path);
        const std::string artifacts =
            ((results.has_parent_path() ? results.parent_path() : ".") / "artifacts").string();
        runner = plugin.make_runner(spec, start.stages, artifacts, binding);
      } catch (const Error& e) {
        err << "rank " << rank << " (" << host_name() << "): " << e.what() << "\n";
        err.flush();
        status = kExitBadInput;
      }
      if (const int worst = worst_status(status); worst != 0) return worst;
    } else {
      // noop computes nothing, so it binds to the CPU whatever [resources] asks: a dry
      // run on a CPU-only machine must not fail over a GPU it would not use.
      const DeviceBinding binding = device_bind("cpu", placement, 0, int(spec.resources.threads_per_rank));
      runner = std::make_unique<NoopRunner>(options.dry_run, out_path + ".dry-run", binding);
      if (const int worst = worst_status(0); worst != 0) return worst;
    }
    WorkerOptions worker_options;
    worker_options.heartbeat_seconds = options.heartbeat_seconds;
    worker_run(*runner, worker_options);
    return 0;
  } catch (const ResumableError& e) {
    // A full disk under the results: what is stored is safe, so the run is interrupted
    // (75, requeued by slurm/), not failed.
    err << e.what() << "\n";
    err.flush();
    mpi_abort(kExitInterrupted);
  } catch (const std::exception& e) {
    // Not a job's failure (those are results): this rank cannot go on, so neither can the sweep.
    err << "fatal on rank " << rank << ": " << e.what() << "\n";
    err.flush();
    mpi_abort(dynamic_cast<const InternalError*>(&e) ? kExitInternal : kExitFailure);
  }
}

}  // namespace clear_sweep
