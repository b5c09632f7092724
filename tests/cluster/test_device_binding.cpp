#include <catch2/catch.hpp>

#include "cluster/device_binding.h"
#include "test_support.h"

using namespace clear_sweep;

TEST_CASE("GPUs are dealt round-robin over the workers of a node") {
  NodePlacement p;
  p.local_workers = 4;
  p.cores = 32;
  for (int i = 0; i < 4; ++i) {
    p.local_index = i;
    const DeviceBinding b = device_bind("auto", p, 4, 0);
    CHECK(b.gpu == i);  // one GPU each: no double allocation
    CHECK(b.device == "cuda:" + std::to_string(i));
    CHECK(b.threads == 8);
  }
  p.local_index = 5;
  CHECK(device_bind("auto", p, 4, 0).gpu == 1);  // more workers than GPUs: shared, evenly
}

TEST_CASE("CPU when no GPU is visible or cpu is asked for - threads share the cores") {
  NodePlacement p;
  p.local_workers = 3;
  p.cores = 2;
  const DeviceBinding b = device_bind("auto", p, 0, 0);
  CHECK(b.device == "cpu");
  CHECK(b.gpu == -1);
  CHECK(b.threads == 1);  // never zero, even oversubscribed
  CHECK(device_bind("cpu", p, 8, 0).device == "cpu");
  CHECK(device_bind("auto", p, 0, 6).threads == 6);  // [resources] threads_per_rank wins
  CHECK(device_bind("auto", p, 0, 0).text() == "cpu, 1 thread");
}

TEST_CASE("cuda requested with none visible is an error naming the setting") {
  NodePlacement p;
  const Error e = expect_error([&] { device_bind("cuda", p, 0, 0); });
  CHECK(e.key() == "resources.device");
  CHECK(e.hint().find("CUDA_VISIBLE_DEVICES") != std::string::npos);
}
