#include "sweep/modality.h"

namespace clear_sweep {

const char* modality_name(Modality modality) {
  switch (modality) {
    case Modality::text:
      return "text";
    case Modality::visual:
      return "visual";
    case Modality::both:
      return "both";
  }
  return "?";
}

std::optional<Modality> modality_parse(std::string_view name) {
  for (Modality m : {Modality::text, Modality::visual, Modality::both})
    if (name == modality_name(m)) return m;
  return std::nullopt;
}

}  // namespace clear_sweep
