#include "data/world_vocabulary.h"

namespace clear_sweep::world {

const std::vector<std::string>& name_syllables() {
  static const std::vector<std::string> v{"ka", "lo",  "mi", "ra",  "ten", "vo", "sa",  "del", "ni", "bor",
                                          "ea", "lin", "to", "mar", "fi",  "zu", "gre", "an",  "os", "el",
                                          "va", "ri",  "du", "pe",  "cas", "ju", "nor", "ha",  "be", "sil"};
  return v;
}
const std::vector<std::string>& surname_endings() {
  static const std::vector<std::string> v{"son", "ova", "ez", "ini", "berg", "ard", "lund", "ski", "well", "ton"};
  return v;
}
const std::vector<std::string>& cities() {
  static const std::vector<std::string> v{"Lisbon",   "Nairobi", "Oslo",   "Santiago", "Hanoi",   "Tbilisi",
                                          "Montreal", "Kyoto",   "Dakar",  "Vienna",   "Lima",    "Cairo",
                                          "Seoul",    "Perth",   "Bergen", "Porto",    "Tunis",   "Quito",
                                          "Krakow",   "Manila",  "Dublin", "Accra",    "Tallinn", "Havana"};
  return v;
}
const std::vector<std::string>& occupations() {
  static const std::vector<std::string> v{"baker",   "surgeon",   "pilot",      "carpenter", "teacher",
                                          "chemist", "fisherman", "architect",  "nurse",     "librarian",
                                          "tailor",  "farmer",    "journalist", "painter",   "electrician",
                                          "lawyer",  "dentist",   "sailor",     "musician",  "astronomer"};
  return v;
}
const std::vector<std::string>& genres() {
  static const std::vector<std::string> v{"mystery",   "science fiction", "fantasy", "historical fiction",
                                          "romance",   "horror",          "poetry",  "travel writing",
                                          "biography", "thriller",        "satire",  "children's literature"};
  return v;
}
const std::vector<std::string>& title_adjectives() {
  static const std::vector<std::string> v{"Silent",  "Crimson", "Hidden", "Last",    "Broken",    "Golden",
                                          "Distant", "Quiet",   "Frozen", "Burning", "Forgotten", "Endless"};
  return v;
}
const std::vector<std::string>& title_nouns() {
  static const std::vector<std::string> v{"Harbor",  "Garden", "Lantern", "River",   "Orchard", "Mirror",
                                          "Compass", "Tower",  "Meadow",  "Archive", "Voyage",  "Bridge"};
  return v;
}
const std::vector<std::string>& awards() {
  static const std::vector<std::string> v{"Golden Quill Award",       "Silver Lantern Prize", "Northern Star Medal",
                                          "Meridian Book Prize",      "Azure Pen Award",      "Harbor Light Prize",
                                          "Evergreen Literary Award", "Crescent Moon Prize",  "Iron Compass Award",
                                          "Open Page Medal"};
  return v;
}
const std::vector<std::string>& hobbies() {
  static const std::vector<std::string> v{"chess",        "gardening", "sailing", "pottery",  "climbing",
                                          "birdwatching", "cycling",   "fencing", "painting", "baking"};
  return v;
}
const std::vector<std::string>& scenes() {
  static const std::vector<std::string> v{"beach",  "forest",      "city street", "library", "mountain trail",
                                          "desert", "snowy field", "harbor",      "garden",  "starry night"};
  return v;
}
const std::vector<std::string>& positions() {
  static const std::vector<std::string> v{"on the left", "in the centre", "on the right"};
  return v;
}
const std::vector<std::string>& lightings() {
  static const std::vector<std::string> v{"in daylight", "at dusk"};
  return v;
}
const std::vector<NamedColor>& object_colors() {
  static const std::vector<NamedColor> v{
      {"red", {220, 40, 40}},     {"blue", {40, 80, 220}},    {"green", {40, 170, 60}},   {"yellow", {235, 215, 40}},
      {"purple", {140, 60, 180}}, {"orange", {240, 140, 30}}, {"white", {245, 245, 245}}, {"black", {20, 20, 20}}};
  return v;
}
const std::vector<std::string>& object_shapes() {
  static const std::vector<std::string> v{"circle", "square", "triangle", "ring", "cross", "diamond"};
  return v;
}

}  // namespace clear_sweep::world
