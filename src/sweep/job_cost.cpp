#include "sweep/job_cost.h"

#include <algorithm>
#include <cmath>

namespace clear_sweep {
namespace {

/// Images per person a model trains and is scored on: none for a text-only preset (a
/// model folder's family is not known at plan time; its stages are counted with images).
double seen_images_per_person(const SweepSpec& spec) {
  return spec.model && text_only_preset(spec.model->preset) ? 0.0 : spec.images_per_person();
}

/// Forget items a job iterates over per epoch, for its modality.
double forget_items(const SweepSpec& spec, Modality modality, double forget_fraction) {
  const double persons = double(spec.forget_persons(forget_fraction));
  const double text = persons * kQaPerPerson;
  const double visual = persons * spec.images_per_person();
  switch (modality) {
    case Modality::text:
      return text;
    case Modality::visual:
      return visual;
    case Modality::both:
      return text + visual;
  }
  return text + visual;
}

/// Evaluation: forget text and image sets, face recognition on forget, and five sets
/// capped at max_items (retain QA, retain images, retain faces, holdout faces, real
/// world). Each item is scored on ~6 sequences by forward passes (~2 units) and
/// generated greedily with a KV cache (~1 unit).
double eval_cost(const SweepSpec& spec, double forget_fraction) {
  const double cap = double(spec.eval.max_items);
  const double persons = double(spec.forget_persons(forget_fraction));
  const double items =
      std::min(cap, persons * kQaPerPerson) + 2 * std::min(cap, persons * seen_images_per_person(spec)) + 5 * cap;
  return 3.0 * items;
}

}  // namespace

double job_cost(const SweepSpec& spec, const MethodInfo& method, const Job& job) {
  if (!method.needs.model) {
    const auto seconds = job.hparams.find("seconds");
    const auto epochs = job.hparams.find("epochs");
    return (seconds == job.hparams.end() ? 0.0 : hparam_as_double(seconds->second)) *
           (epochs == job.hparams.end() ? 1.0 : hparam_as_double(epochs->second));
  }
  const double epochs = double(job.integer("epochs"));
  if (method.kind == ModelKind::faces) {
    // Images per epoch: forget (x balance) and retain; each of the 4N shadow models is
    // unlearned the same way. Evaluation embeds every image once per model.
    const double per_person = spec.images_per_person();
    const double forget = double(spec.forget_persons(job.forget_fraction)) * per_person;
    const double retain = double(spec.persons()) * per_person - forget;
    const double models = 1.0 + 4.0 * double(job.integer(kShadowModelsHParam));
    const double all_images = (double(spec.persons()) + std::max(2.0, 0.1 * double(spec.persons()))) * per_person;
    return models *
           (epochs * (forget * double(job.integer("balance")) + retain) * method.passes_per_pair + all_images / 3.0);
  }
  const double train = epochs * forget_items(spec, job.modality, job.forget_fraction) * method.passes_per_pair;
  return train + eval_cost(spec, job.forget_fraction);
}

double stage_cost(const SweepSpec& spec, StageKind kind, double forget_fraction) {
  if (spec.model_kind() == ModelKind::faces) {
    // Images only. A shadow trains on the pool and half the other trained persons.
    double persons = double(spec.persons());
    const double pool = double(spec.forget_persons(forget_fraction));
    if (kind == StageKind::finetune_gold) persons -= pool;
    if (kind == StageKind::train_shadow) persons = pool + std::floor((persons - pool) / 2);
    return double(spec.finetune.epochs) * persons * spec.images_per_person();
  }
  const double per_person = kQaPerPerson + seen_images_per_person(spec);
  double persons = double(spec.persons());
  if (kind == StageKind::finetune_gold) persons -= double(spec.forget_persons(forget_fraction));
  return double(spec.finetune.epochs) * persons * per_person;
}

}  // namespace clear_sweep
