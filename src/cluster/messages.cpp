#include "cluster/messages.h"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <sstream>
#include <variant>

#include "common/error.h"

// Non-intrusive serialisers: sweep/ and store/ stay free of Boost.
namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, clear_sweep::Job& j, unsigned) {
  // std::variant is not known to Boost 1.74: hyperparameters travel as (is_int, value).
  ar& j.id& j.method& j.modality& j.forget_fraction& j.seed& j.cost& j.needs;
  ar& j.trial_id& j.rung& j.resume_epochs& j.eval_max_items;
  if constexpr (Archive::is_saving::value) {
    uint64_t n = j.hparams.size();
    ar& n;
    for (const auto& [name, value] : j.hparams) {
      std::string key = name;
      bool is_int = std::holds_alternative<int64_t>(value);
      int64_t i = is_int ? std::get<int64_t>(value) : 0;
      double d = is_int ? 0.0 : std::get<double>(value);
      ar& key& is_int& i& d;
    }
  } else {
    uint64_t n = 0;
    ar& n;
    j.hparams.clear();
    for (uint64_t k = 0; k < n; ++k) {
      std::string key;
      bool is_int = false;
      int64_t i = 0;
      double d = 0;
      ar& key& is_int& i& d;
      if (is_int)
        j.hparams[key] = i;
      else
        j.hparams[key] = d;
    }
  }
}

template <class Archive>
void serialize(Archive& ar, clear_sweep::Stage& s, unsigned) {
  ar& s.id& s.kind& s.forget_fraction& s.shadow_index& s.cost;
}

template <class Archive>
void serialize(Archive& ar, clear_sweep::ResultRecord& r, unsigned) {
  ar& r.job_id& r.method& r.modality& r.forget_fraction& r.seed& r.hparams& r.context_hash& r.status& r.error;
  ar& r.wall_seconds& r.load_seconds& r.unlearn_seconds& r.eval_seconds& r.worker_rank& r.host& r.finished_at;
  ar& r.tokens& r.peak_memory_mb& r.gpu_name& r.gpu_uuid& r.peak_gpu_allocated_mb& r.peak_gpu_reserved_mb;
  ar& r.tokens_per_second& r.metrics& r.vectors;
  ar& r.trial_id& r.rung& r.capped_eval& r.objective& r.constraint_margin;
  ar& r.warnings;
}

template <class Archive>
void serialize(Archive& ar, clear_sweep::HelloMessage& m, unsigned) {
  ar& m.rank& m.host& m.pid& m.device;
}
template <class Archive>
void serialize(Archive& ar, clear_sweep::TaskMessage& m, unsigned) {
  ar& m.task& m.is_stage& m.stage& m.job;
}
template <class Archive>
void serialize(Archive& ar, clear_sweep::ResultMessage& m, unsigned) {
  ar& m.task& m.is_stage& m.ok& m.error& m.record;
}
template <class Archive>
void serialize(Archive& ar, clear_sweep::HeartbeatMessage& m, unsigned) {
  ar& m.rank& m.task& m.elapsed_seconds& m.phase& m.fraction& m.fraction_at;
}
template <class Archive>
void serialize(Archive& ar, clear_sweep::ShutdownMessage& m, unsigned) {
  ar& m.reason;
}
template <class Archive>
void serialize(Archive& ar, clear_sweep::ByeMessage& m, unsigned) {
  ar& m.rank& m.dropped;
}
template <class Archive>
void serialize(Archive& ar, clear_sweep::StartMessage& m, unsigned) {
  ar& m.sweep_text& m.out_path& m.stages;
}

}  // namespace boost::serialization

namespace clear_sweep {
namespace {

// no_header: both ends are this binary; the archive header would only cost bytes.
constexpr unsigned kArchiveFlags = boost::archive::no_header | boost::archive::no_tracking;

template <typename T>
std::string encode_any(const T& m) {
  std::ostringstream out;
  {
    boost::archive::binary_oarchive ar(out, kArchiveFlags);
    ar << m;
  }
  return out.str();
}

template <typename T>
void decode_any(const std::string& bytes, T& m) {
  try {
    std::istringstream in(bytes);
    boost::archive::binary_iarchive ar(in, kArchiveFlags);
    ar >> m;
  } catch (const std::exception& e) {
    CS_ASSERT(false, std::string("undecodable message: ") + e.what());
  }
}

}  // namespace

std::string encode(const HelloMessage& m) { return encode_any(m); }
std::string encode(const TaskMessage& m) { return encode_any(m); }
std::string encode(const ResultMessage& m) { return encode_any(m); }
std::string encode(const HeartbeatMessage& m) { return encode_any(m); }
std::string encode(const ShutdownMessage& m) { return encode_any(m); }
std::string encode(const ByeMessage& m) { return encode_any(m); }
std::string encode(const StartMessage& m) { return encode_any(m); }
void decode(const std::string& bytes, HelloMessage& m) { decode_any(bytes, m); }
void decode(const std::string& bytes, TaskMessage& m) { decode_any(bytes, m); }
void decode(const std::string& bytes, ResultMessage& m) { decode_any(bytes, m); }
void decode(const std::string& bytes, HeartbeatMessage& m) { decode_any(bytes, m); }
void decode(const std::string& bytes, ShutdownMessage& m) { decode_any(bytes, m); }
void decode(const std::string& bytes, ByeMessage& m) { decode_any(bytes, m); }
void decode(const std::string& bytes, StartMessage& m) { decode_any(bytes, m); }

}  // namespace clear_sweep
