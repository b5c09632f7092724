#include <catch2/catch.hpp>

#include <set>

#include "sweep/shard.h"
#include "test_support.h"

using namespace clear_sweep;

TEST_CASE("shards partition the grid: every job in exactly one") {
  const SweepPlan plan = sweep_expand(sweep_load(source_path("sweeps/clear-paper.toml")));
  std::set<std::string> seen;
  size_t total = 0;
  for (int i = 0; i < 8; ++i) {
    const SweepPlan part = sweep_shard(plan, Shard{i, 8});
    total += part.jobs.size();
    for (const auto& job : part.jobs) {
      CHECK(shard_of(job.id, 8) == i);
      seen.insert(job.id);
    }
    CHECK(part.jobs.size() > 10);  // 180 jobs over 8 shards: none starves
    // A shard keeps exactly the stages its jobs need.
    for (const auto& stage : part.stages) {
      bool used = false;
      for (const auto& job : part.jobs)
        for (const auto& need : job.needs) used = used || need == stage.id;
      CHECK(used);
    }
  }
  CHECK(total == plan.jobs.size());
  CHECK(seen.size() == plan.jobs.size());
  CHECK(sweep_shard(plan, Shard{0, 1}).jobs.size() == plan.jobs.size());
}

TEST_CASE("shard I/N parsing and its errors") {
  const Shard s = shard_parse("3/8", "--shard");
  CHECK(s.index == 3);
  CHECK(s.count == 8);
  CHECK(s.text() == "3/8");
  for (const char* bad : {"8/8", "-1/8", "3", "3/0", "a/b", "3/8/1", "/8", ""}) {
    CAPTURE(bad);
    const Error e = expect_error([&] { shard_parse(bad, "--shard"); });
    CHECK(e.key() == "--shard");
    CHECK(e.message().find("is not a shard I/N") != std::string::npos);
  }
}
