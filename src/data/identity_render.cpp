#include "data/identity_render.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "data/world_vocabulary.h"

namespace clear_sweep {
namespace {

using Rgb = std::array<int, 3>;

const Rgb kSkins[] = {{255, 224, 189}, {234, 192, 134}, {198, 134, 66}, {141, 85, 36}, {92, 56, 30}, {250, 200, 200}};
const Rgb kHairs[] = {{20, 20, 20},    {90, 55, 25}, {200, 160, 60}, {170, 40, 20},
                      {200, 200, 200}, {60, 30, 90}, {30, 90, 160},  {220, 90, 150}};
const Rgb kEyes[] = {{40, 90, 200}, {60, 140, 60}, {90, 60, 30}, {20, 20, 20}, {150, 150, 150}};
const Rgb kCloth[] = {{200, 30, 30},  {30, 60, 200}, {30, 160, 60},   {230, 200, 30}, {140, 40, 170},
                      {240, 130, 20}, {20, 20, 20},  {240, 240, 240}, {20, 170, 170}, {120, 70, 40}};

constexpr int kHairStyles = 4, kHeadShapes = 3, kPatterns = 4, kAccessories = 4;

/// Drawing on a canvas whose design coordinates run 0..64 whatever its pixel size.
class Canvas {
 public:
  Canvas(Image& image) : image_(image), scale_(image.width / 64.0) {}

  void pixel(int x, int y, const Rgb& c) {
    if (x < 0 || y < 0 || x >= image_.width || y >= image_.height) return;
    uint8_t* p = image_.at(x, y);
    for (int i = 0; i < 3; ++i) p[i] = uint8_t(std::clamp(c[i], 0, 255));
  }
  /// Axis-aligned rectangle [x0, x1) x [y0, y1) in design units.
  void rect(double x0, double y0, double x1, double y1, const Rgb& c) {
    for (int y = px(y0); y < px(y1); ++y)
      for (int x = px(x0); x < px(x1); ++x) pixel(x, y, c);
  }
  void ellipse(double cx, double cy, double rx, double ry, const Rgb& c) {
    for (int y = px(cy - ry); y <= px(cy + ry); ++y)
      for (int x = px(cx - rx); x <= px(cx + rx); ++x) {
        const double dx = (design(x) - cx) / rx, dy = (design(y) - cy) / ry;
        if (dx * dx + dy * dy <= 1.0) pixel(x, y, c);
      }
  }
  /// Triangle with apex at the top: (cx, top) to (cx +- half, bottom).
  void triangle(double cx, double top, double half, double bottom, const Rgb& c) {
    for (int y = px(top); y < px(bottom); ++y) {
      const double t = (design(y) - top) / (bottom - top);
      rect(cx - half * t, design(y), cx + half * t, design(y) + 1.0 / scale_, c);
    }
  }

 private:
  int px(double v) const { return int(std::lround(v * scale_)); }
  double design(int p) const { return (p + 0.5) / scale_; }
  Image& image_;
  double scale_;
};

Rgb mix(const Rgb& a, const Rgb& b, double t) {
  return {int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t), int(a[2] + (b[2] - a[2]) * t)};
}

void draw_scene(Canvas& c, int scene, Rng& rng) {
  auto jitter = [&](int amount) { return double(rng.between(-amount, amount)); };
  switch (scene) {
    case 0:  // beach: sky, sea, sand
      c.rect(0, 0, 64, 30, {120, 190, 240});
      c.rect(0, 30, 64, 40, {30, 100, 190});
      c.rect(0, 40, 64, 64, {230, 210, 150});
      c.ellipse(50 + jitter(8), 10 + jitter(3), 5, 5, {250, 230, 90});
      break;
    case 1:  // forest: trees on grass
      c.rect(0, 0, 64, 64, {60, 120, 60});
      for (int i = 0; i < 6; ++i) {
        const double x = rng.between(0, 60);
        c.rect(x, 20, x + 3, 48, {90, 60, 30});
        c.ellipse(x + 1.5, 18, 7, 9, {20, 90, 30});
      }
      break;
    case 2:  // city street: buildings with windows
      c.rect(0, 0, 64, 64, {170, 170, 180});
      for (int i = 0; i < 5; ++i) {
        const double x = i * 13 + jitter(2), top = 8 + rng.between(0, 16);
        c.rect(x, top, x + 11, 50, {100 + int(rng.below(60)), 100, 110});
        for (double y = top + 3; y < 46; y += 6) c.rect(x + 3, y, x + 6, y + 3, {240, 230, 140});
      }
      c.rect(0, 50, 64, 64, {70, 70, 70});
      break;
    case 3:  // library: shelves of coloured books
      c.rect(0, 0, 64, 64, {120, 80, 50});
      for (double y = 4; y < 60; y += 12) {
        c.rect(0, y + 9, 64, y + 11, {70, 40, 20});
        for (double x = 1; x < 63; x += 3) c.rect(x, y, x + 2, y + 9, kCloth[rng.below(10)]);
      }
      break;
    case 4:  // mountain trail: peaks under a pale sky
      c.rect(0, 0, 64, 64, {190, 210, 230});
      c.triangle(18 + jitter(6), 8, 26, 50, {110, 110, 120});
      c.triangle(46 + jitter(6), 14, 24, 50, {90, 95, 110});
      c.rect(0, 50, 64, 64, {120, 100, 70});
      break;
    case 5:  // desert: dunes
      c.rect(0, 0, 64, 64, {250, 220, 160});
      c.rect(0, 0, 64, 24, {150, 200, 250});
      for (int i = 0; i < 3; ++i) c.ellipse(rng.between(0, 64), 40, 18, 8, {220, 170, 90});
      break;
    case 6:  // snowy field
      c.rect(0, 0, 64, 28, {200, 210, 225});
      c.rect(0, 28, 64, 64, {250, 250, 252});
      for (int i = 0; i < 12; ++i) {
        const double x = rng.between(0, 62), y = rng.between(0, 26);
        c.rect(x, y, x + 2, y + 2, {255, 255, 255});
      }
      break;
    case 7:  // harbor: water with boats
      c.rect(0, 0, 64, 26, {160, 200, 235});
      c.rect(0, 26, 64, 64, {20, 70, 130});
      for (int i = 0; i < 3; ++i) {
        const double x = rng.between(0, 54);
        c.rect(x, 30, x + 10, 34, {230, 230, 230});
        c.rect(x + 4, 20, x + 5, 30, {60, 40, 20});
      }
      break;
    case 8:  // garden: flowers on a lawn
      c.rect(0, 0, 64, 64, {110, 190, 90});
      for (int i = 0; i < 20; ++i)
        c.ellipse(rng.between(0, 63), rng.between(0, 63), 1.5, 1.5, {230, 60 + int(rng.below(150)), 120});
      break;
    default:  // starry night
      c.rect(0, 0, 64, 64, {15, 20, 50});
      for (int i = 0; i < 25; ++i) {
        const double x = rng.between(0, 63), y = rng.between(0, 63);
        c.rect(x, y, x + 1, y + 1, {250, 250, 200});
      }
      c.ellipse(12 + jitter(4), 10, 5, 5, {240, 240, 220});
      break;
  }
}

/// Draws the person's figure around (cx, cy), offsets scaled by `s`: large, so that
/// the identity and not the scene dominates an image.
void draw_person(Canvas& canvas, const Identity& id, double cx, double cy, double s) {
  const Rgb skin = kSkins[id.skin], hair = kHairs[id.hair_color], shirt = kCloth[id.shirt_color];
  const Rgb pattern = kCloth[id.pattern_color], accessory = kCloth[id.accessory_color];
  auto rect = [&](double x0, double y0, double x1, double y1, const Rgb& c) {
    canvas.rect(cx + x0 * s, cy + y0 * s, cx + x1 * s, cy + y1 * s, c);
  };
  auto ellipse = [&](double x, double y, double rx, double ry, const Rgb& c) {
    canvas.ellipse(cx + x * s, cy + y * s, rx * s, ry * s, c);
  };
  auto triangle = [&](double x, double top, double half, double bottom, const Rgb& c) {
    canvas.triangle(cx + x * s, cy + top * s, half * s, cy + bottom * s, c);
  };
  constexpr double kBottom = 64;  // the body runs off the bottom edge
  // Body: the shirt and its pattern.
  rect(-13, 12, 13, kBottom, shirt);
  switch (id.shirt_pattern) {
    case 1:
      for (double y = 15; y < kBottom; y += 5) rect(-13, y, 13, y + 2, pattern);
      break;
    case 2:
      for (double x = -11; x < 13; x += 6) rect(x, 12, x + 2, kBottom, pattern);
      break;
    case 3:
      rect(-4, 12, 4, kBottom, pattern);
      break;
    default:
      break;
  }
  rect(-3, 7, 3, 13, skin);  // neck
  // Head: round, square or oval.
  if (id.head_shape == 0)
    ellipse(0, 0, 10, 10, skin);
  else if (id.head_shape == 1)
    rect(-9, -9, 9, 10, skin);
  else
    ellipse(0, 0, 8, 12, skin);
  // Hair.
  switch (id.hair_style) {
    case 0:
      rect(-10, -12, 10, -5, hair);
      break;
    case 1:
      for (double x = -9; x < 9; x += 4) triangle(x + 2, -16, 2.5, -6, hair);
      break;
    case 2:
      rect(-11, -12, 11, -5, hair);
      rect(-12, -6, -8, 10, hair);
      rect(8, -6, 12, 10, hair);
      break;
    default:
      ellipse(0, -9, 6, 2, hair);
      break;
  }
  // Eyes and mouth.
  rect(-5, -2, -2, 1, kEyes[id.eye_color]);
  rect(2, -2, 5, 1, kEyes[id.eye_color]);
  rect(-3, 5, 3, 6, {150, 50, 50});
  // Accessory: none, glasses, a hat, a scarf.
  if (id.accessory == 1) {
    rect(-7, -3, 7, -2, accessory);
    rect(-7, -3, -6, 2, accessory);
    rect(6, -3, 7, 2, accessory);
  } else if (id.accessory == 2) {
    rect(-13, -11, 13, -9, accessory);
    rect(-8, -19, 8, -10, accessory);
  } else if (id.accessory == 3) {
    rect(-9, 10, 9, 15, accessory);
  }
}

void finish(Image& image, int lighting, int noise, Rng& rng) {
  for (size_t i = 0; i < image.rgb.size(); i += 3) {
    int rgb[3] = {image.rgb[i], image.rgb[i + 1], image.rgb[i + 2]};
    if (lighting == 1) {  // dusk: darker, warmer
      rgb[0] = rgb[0] * 8 / 10 + 25;
      rgb[1] = rgb[1] * 7 / 10 + 10;
      rgb[2] = rgb[2] * 6 / 10;
    }
    for (int& v : rgb) v += int(rng.between(-noise, noise));
    for (int c = 0; c < 3; ++c) image.rgb[i + size_t(c)] = uint8_t(std::clamp(rgb[c], 0, 255));
  }
}

}  // namespace

Identity draw_identity(Rng& rng) {
  Identity id;
  id.skin = uint8_t(rng.below(std::size(kSkins)));
  id.hair_color = uint8_t(rng.below(std::size(kHairs)));
  id.hair_style = uint8_t(rng.below(kHairStyles));
  id.head_shape = uint8_t(rng.below(kHeadShapes));
  id.eye_color = uint8_t(rng.below(std::size(kEyes)));
  id.shirt_color = uint8_t(rng.below(std::size(kCloth)));
  id.shirt_pattern = uint8_t(rng.below(kPatterns));
  id.pattern_color = uint8_t((id.shirt_color + 1 + rng.below(std::size(kCloth) - 1)) % std::size(kCloth));
  id.accessory = uint8_t(rng.below(kAccessories));
  id.accessory_color = uint8_t(rng.below(std::size(kCloth)));
  return id;
}

std::string identity_key(const Identity& id) {
  // The pattern colour only shows with a pattern, the accessory colour with an accessory.
  const int pattern_color = id.shirt_pattern ? id.pattern_color : -1;
  const int accessory_color = id.accessory ? id.accessory_color : -1;
  return std::to_string(id.skin) + "." + std::to_string(id.hair_color) + "." + std::to_string(id.hair_style) + "." +
         std::to_string(id.head_shape) + "." + std::to_string(id.eye_color) + "." + std::to_string(id.shirt_color) +
         "." + std::to_string(id.shirt_pattern) + "." + std::to_string(pattern_color) + "." +
         std::to_string(id.accessory) + "." + std::to_string(accessory_color);
}

Image render_person(const Identity& identity, const SceneSpec& scene, int size, Rng& rng) {
  Image image(size, size);
  Canvas canvas(image);
  draw_scene(canvas, scene.scene, rng);
  const double cx = 32 + (scene.position - 1) * 6 + rng.between(-1, 1);
  const double cy = 24 + rng.between(-1, 1);
  draw_person(canvas, identity, cx, cy, 1.5);
  finish(image, scene.lighting, 6, rng);
  return image;
}

Image render_object(int color, int shape, int size, Rng& rng) {
  Image image(size, size);
  Canvas c(image);
  const Rgb background = mix({200, 200, 200}, {120, 140, 160}, rng.uniform());
  c.rect(0, 0, 64, 64, background);
  const auto& named = world::object_colors()[size_t(color)];
  const Rgb ink{named.rgb[0], named.rgb[1], named.rgb[2]};
  const double cx = 32 + rng.between(-6, 6), cy = 32 + rng.between(-6, 6), r = 14 + rng.between(-3, 3);
  switch (shape) {
    case 0:
      c.ellipse(cx, cy, r, r, ink);
      break;
    case 1:
      c.rect(cx - r, cy - r, cx + r, cy + r, ink);
      break;
    case 2:
      c.triangle(cx, cy - r, r, cy + r, ink);
      break;
    case 3:
      c.ellipse(cx, cy, r, r, ink);
      c.ellipse(cx, cy, r * 0.55, r * 0.55, background);
      break;
    case 4:
      c.rect(cx - r, cy - r / 3, cx + r, cy + r / 3, ink);
      c.rect(cx - r / 3, cy - r, cx + r / 3, cy + r, ink);
      break;
    default:
      for (double dy = -r; dy <= r; dy += 0.5) {
        const double half = r - std::abs(dy);
        c.rect(cx - half, cy + dy, cx + half, cy + dy + 0.5, ink);
      }
      break;
  }
  finish(image, 0, 4, rng);
  return image;
}

}  // namespace clear_sweep
