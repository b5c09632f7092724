#include <catch2/catch.hpp>

#include "cluster/messages.h"
#include "common/error.h"

using namespace clear_sweep;

TEST_CASE("messages survive encode/decode with every field") {
  TaskMessage task;
  task.task = 42;
  task.is_stage = false;
  task.job.id = "abc2f4cb4a1f1152";
  task.job.method = "npo";
  task.job.modality = Modality::both;
  task.job.forget_fraction = 2.5;
  task.job.seed = 7;
  task.job.hparams = {{"beta", 0.25}, {"epochs", int64_t(5)}};
  task.job.cost = 123.5;
  task.job.needs = {"s1", "s2"};
  TaskMessage back;
  decode(encode(task), back);
  CHECK(back.task == 42);
  CHECK(back.job.id == task.job.id);
  CHECK(back.job.modality == Modality::both);
  CHECK(back.job.forget_fraction == 2.5);
  CHECK(back.job.hparams == task.job.hparams);
  CHECK(std::holds_alternative<int64_t>(back.job.hparams.at("epochs")));  // types survive
  CHECK(back.job.needs == task.job.needs);

  TaskMessage stage;
  stage.task = 1;
  stage.is_stage = true;
  stage.stage.id = "s1";
  stage.stage.kind = StageKind::finetune_gold;
  stage.stage.forget_fraction = 10;
  TaskMessage stage_back;
  decode(encode(stage), stage_back);
  CHECK(stage_back.is_stage);
  CHECK(stage_back.stage.kind == StageKind::finetune_gold);
  CHECK(stage_back.stage.forget_fraction == 10);
  stage.stage.kind = StageKind::train_shadow;  // a shadow model's split travels with it
  stage.stage.shadow_index = 37;
  decode(encode(stage), stage_back);
  CHECK(stage_back.stage.kind == StageKind::train_shadow);
  CHECK(stage_back.stage.shadow_index == 37);

  ResultMessage result;
  result.task = 9;
  result.ok = false;
  result.record.status = RunStatus::failed;
  result.record.error = "boom";
  result.record.metrics = {{"forget_rouge", 0.5}};
  result.record.vectors = {{"tr", {1, 2, 3}}};
  result.record.tokens = 1LL << 40;
  result.record.gpu_name = "NVIDIA H200";
  result.record.gpu_uuid = "GPU-00000000-1111-2222-3333-444444444444";
  result.record.peak_gpu_allocated_mb = 1.5;
  result.record.peak_gpu_reserved_mb = 2.5;
  result.record.tokens_per_second = 3.5;
  result.record.warnings = "out of GPU memory: retried with micro-batch 2 x 4 accumulation";
  ResultMessage result_back;
  decode(encode(result), result_back);
  CHECK(result_back.task == 9);
  CHECK_FALSE(result_back.ok);
  CHECK(result_back.record.status == RunStatus::failed);
  CHECK(result_back.record.error == "boom");
  CHECK(result_back.record.metrics == result.record.metrics);
  CHECK(result_back.record.vectors == result.record.vectors);
  CHECK(result_back.record.tokens == result.record.tokens);
  CHECK(result_back.record.gpu_name == result.record.gpu_name);
  CHECK(result_back.record.gpu_uuid == result.record.gpu_uuid);
  CHECK(result_back.record.peak_gpu_allocated_mb == 1.5);
  CHECK(result_back.record.peak_gpu_reserved_mb == 2.5);
  CHECK(result_back.record.tokens_per_second == 3.5);
  CHECK(result_back.record.warnings == result.record.warnings);

  HelloMessage hello{3, "node-1", 1234, "cpu"};
  HelloMessage hello_back;
  decode(encode(hello), hello_back);
  CHECK(hello_back.rank == 3);
  CHECK(hello_back.host == "node-1");
  CHECK(hello_back.device == "cpu");

  HeartbeatMessage beat{2, 17, 3.5, "epoch 3/12, loss 1.234", 0.25, 3.25};
  HeartbeatMessage beat_back;
  decode(encode(beat), beat_back);
  CHECK(beat_back.task == 17);
  CHECK(beat_back.elapsed_seconds == 3.5);
  CHECK(beat_back.phase == "epoch 3/12, loss 1.234");
  CHECK(beat_back.fraction == 0.25);
  CHECK(beat_back.fraction_at == 3.25);

  ShutdownMessage bye{"sweep complete"};
  ShutdownMessage bye_back;
  decode(encode(bye), bye_back);
  CHECK(bye_back.reason == "sweep complete");
}

TEST_CASE("undecodable bytes are a bug, not silently garbage") {
  ResultMessage m;
  CHECK_THROWS_AS(decode(std::string("\x01\x02", 2), m), InternalError);
}
