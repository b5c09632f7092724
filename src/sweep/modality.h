// Which forget items a job unlearns: text QA only, image items only, or both.
#pragma once

#include <optional>
#include <string_view>

namespace clear_sweep {

enum class Modality { text, visual, both };

const char* modality_name(Modality modality);
std::optional<Modality> modality_parse(std::string_view name);

}  // namespace clear_sweep
