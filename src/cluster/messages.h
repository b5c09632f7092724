// What ranks say to each other. Each message is a plain struct sent as bytes made by
// Boost.Serialization (binary archive: ranks run one build of one program), tagged by
// its type. Workers speak first and only when ready, so scheduling is pull-based:
//
//   worker -> coordinator   Hello      a worker is up (and ready for tasks)
//                           Result     a task finished (and the worker has room again)
//                           Heartbeat  still busy with a task (every few seconds, and
//                                      when its phase changes: epoch k of n, eval)
//                           Bye        leaving, after Shutdown; names the queued tasks
//                                      it dropped without starting them
//   coordinator -> worker   Task       run this stage or job (after those already sent)
//                           Shutdown   no more work: finish the running task, then go
//
// A worker may hold a task or two beyond the one it runs (prefetch): it starts the next
// as soon as one ends, so the round trip to the coordinator hides behind work.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/result_record.h"
#include "sweep/job.h"
#include "sweep/stage.h"

namespace clear_sweep {

enum MessageTag : int { kTagHello = 1, kTagResult = 2, kTagHeartbeat = 3, kTagTask = 4, kTagShutdown = 5, kTagBye = 6 };

struct HelloMessage {
  int32_t rank = 0;
  std::string host;
  int64_t pid = 0;
  std::string device;  ///< what the worker computes on ("cpu", "cuda:0 GPU-<uuid>")
};

struct TaskMessage {
  uint64_t task = 0;  ///< index in the coordinator's TaskQueue
  bool is_stage = false;
  Stage stage;  ///< when is_stage
  Job job;      ///< otherwise
};

struct ResultMessage {
  uint64_t task = 0;
  bool is_stage = false;
  bool ok = true;
  std::string error;    ///< stage failures (a job's error is in its record)
  ResultRecord record;  ///< jobs only
};

struct HeartbeatMessage {
  int32_t rank = 0;
  uint64_t task = 0;
  double elapsed_seconds = 0;  ///< time spent on the task so far
  std::string phase;           ///< what the task is doing ("epoch 3/12, loss 1.234, 41 s/epoch"); "" unsaid
  double fraction = -1;        ///< of the task done, 0..1, as its runner reckons; < 0 unsaid
  double fraction_at = 0;      ///< seconds into the task when `fraction` was reported
};

struct ShutdownMessage {
  std::string reason;
};

/// Rank 0 to every rank at the start, by broadcast: what the sweep is, where its results
/// go, and the stages of the plan as rank 0 expanded (and sharded) it. Workers parse the
/// text once and look their stages up here instead of expanding the plan again.
struct StartMessage {
  std::string sweep_text;
  std::string out_path;
  std::vector<Stage> stages;
};

struct ByeMessage {
  int32_t rank = 0;
  std::vector<uint64_t> dropped;  ///< queued tasks never started (they run on resume)
};

/// Bytes <-> message. Decoding bytes that are not the message throws InternalError:
/// ranks run the same binary, so a mismatch is a bug, not bad input.
std::string encode(const HelloMessage& m);
std::string encode(const TaskMessage& m);
std::string encode(const ResultMessage& m);
std::string encode(const HeartbeatMessage& m);
std::string encode(const ShutdownMessage& m);
std::string encode(const ByeMessage& m);
std::string encode(const StartMessage& m);
void decode(const std::string& bytes, HelloMessage& m);
void decode(const std::string& bytes, TaskMessage& m);
void decode(const std::string& bytes, ResultMessage& m);
void decode(const std::string& bytes, HeartbeatMessage& m);
void decode(const std::string& bytes, ShutdownMessage& m);
void decode(const std::string& bytes, ByeMessage& m);
void decode(const std::string& bytes, StartMessage& m);

}  // namespace clear_sweep
