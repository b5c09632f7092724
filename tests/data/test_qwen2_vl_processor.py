"""clear-sweep's Qwen2-VL image processing against transformers' Qwen2VLImageProcessor:
smart_resize, the patch grid (image_grid_thw) and the flattened patches
(pixel_values), on scikit-image's photographs and smooth noisy gradients of odd sizes (a
5 x 7 image min_pixels scales up, a 40 x 900 strip, one above max_pixels, sides that are
not multiples of 28, one that is), under Qwen2-VL's settings and two others.

The reference is the PIL backend (Qwen2VLImageProcessorPil), the one clear-sweep follows:
  - image_grid_thw and the output shape must be equal;
  - the resized 8-bit pixels (the processor with do_rescale and do_normalize off, its
    patches compared with ours cut by its own patchify) within 1/255. Pillow rounds to 8
    bits after its first pass and clear-sweep does not: that half step, carried through
    the second pass's weights (absolute sum at most 1.25 for bicubic a = -0.5), moves the
    sum by under one step, so the final rounding differs by at most one. Both clip to
    [0, 255] after the first pass, in Pillow 13's pass order;
  - pixel_values within that same one step after normalisation: rescale_factor / std[c]
    on channel c's columns (one 8-bit step of x * rescale_factor - mean, over std), plus
    1e-5 for float32 rounding. A single bound of 1/255 / min(std) would let the channels
    with the larger std drift by more than one step.
The torchvision backend (Qwen2VLImageProcessor, AutoImageProcessor's default) resizes
with torch's antialiased uint8 bicubic, which copies Pillow's weights but always runs the
horizontal pass first; Pillow 13 runs the vertical one first where the height shrinks by
more than twice as many pixels as the width. Its grid must be equal; its pixel_values are
held to the same one step where the orders agree, and only reported where they do not.

Then smart_resize alone on a sweep of sizes (half-way rounding, the 200:1 aspect limit,
min and max pixels on both sides), the three layouts in which folders store min_pixels
and max_pixels (values read back from transformers' own processors), and configs it
cannot follow refused naming the key.

usage: test_qwen2_vl_processor.py IMAGE_PREPROCESS_DUMP"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("numpy", "PIL", "skimage", "transformers")
import numpy as np  # noqa: E402
import skimage.data  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import AutoImageProcessor, Qwen2VLImageProcessorPil  # noqa: E402
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize  # noqa: E402

try:
    from transformers import Qwen2VLImageProcessor  # the torchvision backend
    Qwen2VLImageProcessor()
except Exception as e:  # torchvision missing: transformers raises on use
    print(f"note: the torchvision backend is not available ({str(e)[:100]}); only PIL's is compared")
    Qwen2VLImageProcessor = None

DUMP = sys.argv[1]
warnings.filterwarnings("ignore")


def gradient(h, w, seed):
    """A smooth colour gradient with noise: photograph-like statistics at any size."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    y, x = y / max(h - 1, 1), x / max(w - 1, 1)
    base = np.stack([200 * x + 30 * np.sin(7 * y), 180 * y + 40 * x * y, 120 + 90 * np.cos(5 * x + 3 * y)], -1)
    return np.clip(base + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)


def images():
    """(name, RGB uint8 array): photographs, their crops and gradients of odd sizes."""
    astronaut, coffee, chelsea = skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()
    shots = {
        "astronaut (512 x 512)": astronaut,
        "coffee (400 x 600)": coffee,
        "chelsea (300 x 451)": chelsea,
        "camera, grey as RGB (512 x 512)": np.stack([skimage.data.camera()] * 3, -1),
        "rocket, crop 333 x 517": skimage.data.rocket()[:333, :517],
        "astronaut, crop 224 x 308 (multiples of 28)": astronaut[:224, :308],
        "chelsea, tiny crop 5 x 7": chelsea[100:105, 200:207],
        "coffee, strip 40 x 600": coffee[180:220],
        "astronaut, tall strip 512 x 30": astronaut[:, 240:270],
        "gradient 5 x 7": gradient(5, 7, 1),
        "gradient 40 x 900": gradient(40, 900, 2),
        "gradient 1000 x 1100 (over 28 * 28 * 1280 pixels)": gradient(1000, 1100, 3),
        "gradient 97 x 61": gradient(97, 61, 4),
        # Photographs tiled past max_pixels: shrinking with a wide filter.
        "photographs tiled 1024 x 1051": np.concatenate(
            [np.concatenate([astronaut, astronaut[:, :539]], 1),
             np.concatenate([astronaut, astronaut[:, :539]], 1)[::-1]], 0),
    }
    rng = np.random.default_rng(35)
    for i in range(6):
        source = (astronaut, coffee, chelsea)[i % 3]
        h, w = int(rng.integers(10, source.shape[0])), int(rng.integers(10, source.shape[1]))
        shots[f"random crop {h} x {w}"] = source[:h, :w]
    return shots


SETTINGS = {
    # transformers' defaults, what Qwen2-VL's processor does with no settings.
    "Qwen2-VL defaults": dict(),
    # Few pixels: most images shrink, tiny ones grow.
    "min 4, max 64 tokens": dict(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 64),
    # A preset-like encoder: 8-pixel patches, one frame, other statistics.
    "patch 8, merge 2, 1 frame, mean/std 0.5": dict(patch_size=8, merge_size=2, temporal_patch_size=1,
                                                    min_pixels=16 * 16, max_pixels=16 * 16 * 48,
                                                    image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5]),
}


def run_dump(*args):
    return subprocess.run([DUMP, *map(str, args)], capture_output=True, text=True)


def compare_images(tmp):
    worst = {"PIL pixels (steps)": 0.0, "PIL pixel_values (steps)": 0.0, "torchvision (steps)": 0.0,
             "torchvision, other pass order (steps)": 0.0}
    for setting, kwargs in SETTINGS.items():
        processor = Qwen2VLImageProcessorPil(**kwargs)
        folder = os.path.join(tmp, "processor")
        processor.save_pretrained(folder)  # transformers 5's layout: size {shortest_edge, longest_edge}
        config = os.path.join(folder, "preprocessor_config.json")
        raw = Qwen2VLImageProcessorPil(**kwargs, do_rescale=False, do_normalize=False)
        fast = Qwen2VLImageProcessor(**kwargs) if Qwen2VLImageProcessor else None
        P, M, T = processor.patch_size, processor.merge_size, processor.temporal_patch_size
        # One 8-bit step after normalisation, per channel.
        steps = processor.rescale_factor / np.asarray(processor.image_std, dtype=np.float64)
        for name, array in images().items():
            label = f"{setting}, {name}"
            path = os.path.join(tmp, "image.png")
            Image.fromarray(array).save(path)
            out = os.path.join(tmp, "out")
            run = run_dump(config, path, out)
            if run.returncode != 0:
                check(False, f"{label}: processed ({run.stderr.strip()})")
                continue
            ours_info = json.loads(run.stdout)
            image = Image.open(path)
            expected = processor(image, return_tensors="np")
            expected_input = np.asarray(expected["pixel_values"], dtype=np.float32)
            grid = [int(v) for v in expected["image_grid_thw"][0]]
            check(ours_info["grid"] == grid and ours_info["shape"] == list(expected_input.shape)
                  and ours_info["tokens"] == grid[0] * grid[1] * grid[2] // (M * M),
                  f"{label}: grid {ours_info['grid']}, shape {ours_info['shape']} equal transformers' "
                  f"{grid}, {list(expected_input.shape)}")
            if ours_info["shape"] != list(expected_input.shape):
                continue
            h, w = ours_info["resized"]
            ours_pixels = np.fromfile(out + ".u8", dtype=np.uint8).reshape(h, w, 3).transpose(2, 0, 1)
            ours_patched, _, _ = raw.patchify(ours_pixels.astype(np.float32), P, M, T)  # transformers' own order
            expected_raw = np.asarray(raw(image, return_tensors="np")["pixel_values"], dtype=np.float64)
            pixel_diff = np.abs(ours_patched - expected_raw).max()
            changed = np.count_nonzero(ours_patched != expected_raw) / expected_raw.size
            ours_input = np.fromfile(out + ".f32", dtype=np.float32).reshape(expected_input.shape)
            per_channel = np.abs(ours_input - expected_input).reshape(len(ours_input), 3, -1).max(axis=(0, 2))
            input_steps = (per_channel / steps).max()
            worst["PIL pixels (steps)"] = max(worst["PIL pixels (steps)"], pixel_diff)
            worst["PIL pixel_values (steps)"] = max(worst["PIL pixel_values (steps)"], input_steps)
            check(pixel_diff <= 1, f"{label}: {h} x {w} pixels within 1/255 of PIL's "
                                   f"(max {pixel_diff:.0f}/255, {100 * changed:.2f}% differ)")
            check(np.all(per_channel <= steps + 1e-5),
                  f"{label}: pixel_values within one step per channel (max {input_steps:.3f} steps, "
                  f"{per_channel.max():.2e})")
            if fast is not None:
                reference = fast(image, return_tensors="np")
                fast_grid = [int(v) for v in reference["image_grid_thw"][0]]
                check(fast_grid == grid, f"{label}: torchvision backend's grid {fast_grid} is the same")
                fast_input = np.asarray(reference["pixel_values"], dtype=np.float32)
                if fast_input.shape == ours_input.shape:
                    per_channel = np.abs(ours_input - fast_input).reshape(len(ours_input), 3, -1).max(axis=(0, 2))
                    diff = (per_channel / steps).max()
                    shrink_y, shrink_x = array.shape[0] - h, array.shape[1] - w
                    if shrink_y > 0 and shrink_y > 2 * shrink_x:  # Pillow 13 goes vertical first, torch does not
                        worst["torchvision, other pass order (steps)"] = max(
                            worst["torchvision, other pass order (steps)"], diff)
                        print(f"      torchvision backend: pixel_values differ by up to {diff:.0f} steps "
                              f"(it resizes horizontally first, Pillow 13 vertically)")
                    else:
                        worst["torchvision (steps)"] = max(worst["torchvision (steps)"], diff)
                        check(np.all(per_channel <= steps + 1e-5),
                              f"{label}: torchvision backend's pixel_values within one step per channel "
                              f"(max {diff:.3f} steps)")
    print("largest differences: " + ", ".join(f"{k} {v:.3f}" for k, v in worst.items()))


def compare_sizes(tmp):
    """smart_resize, the grid and the token count on sizes chosen to hit each branch."""
    rng = np.random.default_rng(7)
    sizes = [(28, 28), (5, 7), (40, 900), (900, 40), (1000, 1100), (1, 1), (1, 200), (200, 1), (1, 201), (3, 700),
             (10, 2000), (10, 2001), (2001, 10), (14, 14), (42, 42), (70, 70), (42, 70), (98, 126), (4000, 3000),
             (3584, 3584), (1, 5000), (60, 12000)]
    sizes += [(14 * k, 14 * j) for k in range(1, 12) for j in (1, 3, 5, 8)]  # halves: round to even
    sizes += [tuple(int(v) for v in rng.integers(1, 4000, 2)) for _ in range(300)]
    sizes += [(int(h), int(h * r)) for h, r in zip(rng.integers(1, 60, 40), rng.uniform(150, 230, 40))]
    settings = dict(SETTINGS)
    settings["min = max = 224^2 (a preset's square)"] = dict(min_pixels=224 * 224, max_pixels=224 * 224)
    settings["patch 16, merge 1"] = dict(patch_size=16, merge_size=1, min_pixels=32 * 32, max_pixels=512 * 512)
    for setting, kwargs in settings.items():
        processor = Qwen2VLImageProcessorPil(**kwargs)
        folder = os.path.join(tmp, "sizes")
        processor.save_pretrained(folder)
        run = run_dump(os.path.join(folder, "preprocessor_config.json"), "--sizes", *[v for s in sizes for v in s])
        if run.returncode != 0:
            check(False, f"{setting}: sizes ({run.stderr.strip()})")
            continue
        lines = [json.loads(line) for line in run.stdout.splitlines()]
        factor = processor.patch_size * processor.merge_size
        wrong, refused = [], 0
        for (h, w), ours in zip(sizes, lines):
            try:
                expected = smart_resize(h, w, factor, processor.size["shortest_edge"], processor.size["longest_edge"])
            except ValueError:
                refused += 1
                if ours.get("error") != "image size" or f"{h} x {w}" not in ours.get("message", ""):
                    wrong.append(f"{h} x {w}: transformers refuses, ours {ours}")
                continue
            patches = processor.get_number_of_image_patches(h, w)
            grid = [1, expected[0] // processor.patch_size, expected[1] // processor.patch_size]
            if ours.get("resized") != list(expected) or ours.get("grid") != grid or \
                    ours.get("tokens") != patches // processor.merge_size ** 2 or grid[1] * grid[2] != patches:
                wrong.append(f"{h} x {w}: transformers {expected} grid {grid}, ours {ours}")
        check(len(lines) == len(sizes) and not wrong,
              f"{setting}: smart_resize, grid and tokens equal transformers' on {len(sizes)} sizes "
              f"({refused} refused for their aspect by both){': ' + '; '.join(wrong[:3]) if wrong else ''}")


def parse_layouts(tmp):
    """min_pixels / max_pixels in each layout folders hold them, with the values that
    transformers' processors read from the same files."""
    lo, hi = 28 * 28 * 7, 28 * 28 * 90
    saved = os.path.join(tmp, "saved")
    Qwen2VLImageProcessorPil(min_pixels=lo, max_pixels=hi, patch_size=14, merge_size=2).save_pretrained(saved)
    with open(os.path.join(saved, "preprocessor_config.json")) as f:
        transformers5 = json.load(f)
    check(transformers5.get("size") == {"shortest_edge": lo, "longest_edge": hi} and "min_pixels" not in transformers5,
          f"transformers 5 saves size {{shortest_edge, longest_edge}} ({transformers5.get('size')})")
    hub = {k: v for k, v in transformers5.items() if k != "size"}
    layouts = {
        "transformers 5 (size shortest_edge / longest_edge)": transformers5,
        "hub's Qwen2-VL (top-level min_pixels / max_pixels)":
            dict(hub, min_pixels=lo, max_pixels=hi, processor_class="Qwen2VLProcessor"),
        "hub's Qwen2.5-VL (top-level, Qwen2_5_VLProcessor)":
            dict(hub, min_pixels=lo, max_pixels=hi, processor_class="Qwen2_5_VLProcessor"),
        "older hub folders (size min_pixels / max_pixels beside top-level keys)":
            dict(hub, size={"min_pixels": lo, "max_pixels": hi}, min_pixels=lo, max_pixels=hi),
        "top-level keys override size":
            dict(transformers5, size={"shortest_edge": 56 * 56, "longest_edge": 28 * 28 * 10}, min_pixels=lo,
                 max_pixels=hi),
        "size min_pixels / max_pixels alone": dict(hub, size={"min_pixels": lo, "max_pixels": hi}),
    }
    for type_name in ("Qwen2VLImageProcessorFast", "Qwen2VLImageProcessorPil"):
        layouts[f"type {type_name}"] = dict(transformers5, image_processor_type=type_name)
    probe = [(5, 7), (300, 451), (2000, 1500), (40, 900)]
    for name, config in layouts.items():
        folder = os.path.join(tmp, "layout")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "preprocessor_config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        try:  # the values transformers reads from this file
            theirs = AutoImageProcessor.from_pretrained(folder, backend="pil")
            theirs(Image.new("RGB", (7, 5)))  # 5.24 refuses size {min_pixels, max_pixels} alone only when called
            bounds = (theirs.size["shortest_edge"], theirs.size["longest_edge"])
            source = f"transformers reads {type(theirs).__name__} {bounds}"
        except Exception as e:
            bounds = (lo, hi)
            source = f"transformers 5.24 refuses it ({str(e)[:70]}...); the values written"
        run = run_dump(path, "--sizes", *[v for s in probe for v in s])
        expected = [list(smart_resize(h, w, 28, *bounds)) for h, w in probe]
        ours = [json.loads(line).get("resized") for line in run.stdout.splitlines()] if run.returncode == 0 else None
        check(bounds == (lo, hi) and ours == expected,
              f"{name}: min/max pixels read as {source}: resized {ours} ({run.stderr.strip()[:100]})")


def refusals(tmp):
    """Configs clear-sweep cannot follow: refused naming the key."""
    base = Qwen2VLImageProcessorPil().to_dict()
    cases = [("resample", 2), ("resample", 1), ("size", {"height": 336, "width": 336}), ("size", 3136),
             ("size", {"shortest_edge": 3136}), ("patch_size", 0), ("merge_size", "2"), ("image_mean", [0.5, 0.5]),
             ("image_std", "oops"), ("do_convert_rgb", False), ("min_pixels", 0), ("max_pixels", -5),
             ("image_processor_type", "Qwen2VLImageProcessorSlow")]
    for key, value in cases:
        config = dict(base, **{key: value})
        path = os.path.join(tmp, "bad.json")
        with open(path, "w") as f:
            json.dump(config, f)
        run = run_dump(path, "--sizes", 28, 28)
        check(run.returncode != 0 and key in run.stderr and "bad.json" in run.stderr,
              f"{key} = {json.dumps(config[key])}: refused naming the file and the key ({run.stderr.strip()[-110:]})")
    # An image past 200:1 is refused naming its size, as transformers refuses it.
    path = os.path.join(tmp, "strip.png")
    Image.fromarray(gradient(3, 700, 5)).save(path)
    config = os.path.join(tmp, "good.json")
    with open(config, "w") as f:
        json.dump(base, f)
    run = run_dump(config, path, os.path.join(tmp, "x"))
    try:
        Qwen2VLImageProcessorPil()(Image.open(path))
        theirs = "transformers accepts it"
    except ValueError as e:
        theirs = f"transformers: {e}"
    check(run.returncode != 0 and "3 x 700" in run.stderr and "image size" in run.stderr,
          f"a 3 x 700 image is refused naming its size ({run.stderr.strip()[-100:]}; {theirs})")


with tempfile.TemporaryDirectory() as tmp:
    compare_images(tmp)
    compare_sizes(tmp)
    parse_layouts(tmp)
    refusals(tmp)

finish()
