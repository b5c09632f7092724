"""clear-sweep's LLaVA-NeXT image processing ("AnyRes") against transformers'
LlavaNextImageProcessor and LlavaNextProcessor: the grid pinpoint each image is tiled at
(select_best_resolution), its crops (pixel_values, the base image first, then the tiles
row by row), image_sizes, and the number of <image> tokens the processor expands it to,
on scikit-image's photographs and gradients of odd sizes chosen so that each pinpoint
wins (wide, tall, square, tiny, larger than the largest pinpoint), under llava-v1.6's
settings (crop 336, the published pinpoints) and small-crop ones (crop 32) that keep the
test fast, including each crop's own resize and center crop where size is not the crop's.

The reference is the PIL backend (LlavaNextImageProcessorPil), the one clear-sweep follows:
  - pixel_values of a batch of all the images, unpadded to each image's own number of
    crops: that number equal ours, the rest of the batch's crops zero padding;
  - image_sizes equal the layout's (crops, height, width) last two;
  - the crops' 8-bit pixels (the processor with do_rescale and do_normalize off) within
    1/255: Pillow rounds to 8 bits after its first pass and clear-sweep does not (see
    test_qwen2_vl_processor.py), and the zero padding is added to the 8-bit image before
    rescaling, as np.pad does it there;
  - pixel_values within that one 8-bit step per channel after normalisation
    (rescale_factor / std[c], plus 1e-5 for float32 rounding).
  Where size is not the crop's, each tile is resized twice in series (to fit the pinpoint,
  then to size before the center crop): the first resize's step reaches the second's
  output through its weights (absolute sum up to 1.25 per pass when enlarging), beside
  the second's own step, so those settings are held to two steps (three in principle;
  these images give two).
The torchvision backend (LlavaNextImageProcessor, AutoImageProcessor's default) resizes
with torch's antialiased bicubic; its differences are printed, not asserted.

The <image> tokens: LlavaNextProcessor built at test time over a word-level tokenizer
(the `tokenizers` library) with an "<image>" special token, with
num_additional_image_tokens = 1 (the CLIP tower's class token, as llava-hf's folders set
it), under both vision_feature_select_strategy "default" and "full" and patch sizes 14
and a small one; its expanded input_ids counted per image equal image_tokens. Then
select_best_resolution, the layout and the token count alone on a sweep of sizes, the
layouts folders store the settings in (values read back from transformers' own
processors), and configs it cannot follow refused naming the file and the key.

usage: test_llava_next_processor.py IMAGE_PREPROCESS_DUMP"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("numpy", "PIL", "skimage", "tokenizers", "transformers")
import numpy as np  # noqa: E402
import skimage.data  # noqa: E402
from PIL import Image  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import (AutoImageProcessor, LlavaNextImageProcessorPil, LlavaNextProcessor,  # noqa: E402
                          PreTrainedTokenizerFast)
from transformers.image_processing_utils import select_best_resolution  # noqa: E402

try:
    from transformers import LlavaNextImageProcessor  # the torchvision backend
    LlavaNextImageProcessor()
except Exception as e:  # torchvision missing: transformers raises on use
    print(f"note: the torchvision backend is not available ({str(e)[:100]}); only PIL's is compared")
    LlavaNextImageProcessor = None

DUMP = sys.argv[1]
warnings.filterwarnings("ignore")

PUBLISHED = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]  # llava-v1.6's image_grid_pinpoints
SMALL = [[32, 64], [64, 32], [64, 64], [96, 32], [32, 96], [96, 96], [32, 128], [128, 64]]


def gradient(h, w, seed):
    """A smooth colour gradient with noise: photograph-like statistics at any size."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    y, x = y / max(h - 1, 1), x / max(w - 1, 1)
    base = np.stack([200 * x + 30 * np.sin(7 * y), 180 * y + 40 * x * y, 120 + 90 * np.cos(5 * x + 3 * y)], -1)
    return np.clip(base + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)


def images():
    """(name, RGB uint8 array): photographs, their crops and gradients, sized so that under
    the published pinpoints each one wins for some image (noted per image)."""
    astronaut, coffee, chelsea = skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()
    shots = {
        "astronaut, square (512 x 512)": astronaut,                            # 672 x 672
        "coffee (400 x 600)": coffee,                                           # 672 x 672
        "chelsea (300 x 451)": chelsea,
        "camera, grey as RGB (512 x 512)": np.stack([skimage.data.camera()] * 3, -1),
        "coffee, wide crop 250 x 500": coffee[50:300, 40:540],                  # 336 x 672
        "astronaut, tall crop 500 x 250": astronaut[:500, 130:380],             # 672 x 336
        "coffee, wide strip 150 x 600": coffee[120:270],                        # 336 x 672
        "astronaut, tall strip 512 x 120": astronaut[:, 200:320],               # 672 x 336
        "coffee and its mirror, wide 300 x 1200":                               # 336 x 1008
            np.concatenate([coffee[100:], coffee[100:, ::-1]], 1),
        "astronaut and its flip, tall 1024 x 300":                              # 1008 x 336
            np.concatenate([astronaut[:, 100:400], astronaut[::-1, 100:400]], 0),
        "chelsea, tiny crop 5 x 7": chelsea[100:105, 200:207],                  # 336 x 672: least waste
        "rocket, crop 333 x 517": skimage.data.rocket()[:333, :517],
        "gradient 1100 x 1300 (larger than every pinpoint)": gradient(1100, 1300, 3),
        "gradient 40 x 900": gradient(40, 900, 2),
        "gradient 97 x 61": gradient(97, 61, 4),
        "gradient 1 x 1": gradient(1, 1, 5),
        # Photographs tiled past the largest pinpoint: shrinking with a wide filter.
        "photographs tiled 1024 x 1051": np.concatenate(
            [np.concatenate([astronaut, astronaut[:, :539]], 1),
             np.concatenate([astronaut, astronaut[:, :539]], 1)[::-1]], 0),
    }
    rng = np.random.default_rng(36)
    for i in range(6):
        source = (astronaut, coffee, chelsea)[i % 3]
        h, w = int(rng.integers(10, source.shape[0])), int(rng.integers(10, source.shape[1]))
        shots[f"random crop {h} x {w}"] = source[:h, :w]
    return shots


CROP32 = {"height": 32, "width": 32}
SETTINGS = {
    "llava-v1.6 (size 336, crop 336, the published pinpoints)":
        dict(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}, image_grid_pinpoints=PUBLISHED),
    "size 32, crop 32, pinpoints multiples of 32":
        dict(size={"shortest_edge": 32}, crop_size=CROP32, image_grid_pinpoints=SMALL),
    "size 40, crop 32 (each crop resized to 40 and center-cropped), mean/std 0.5":
        dict(size={"shortest_edge": 40}, crop_size=CROP32, image_grid_pinpoints=SMALL,
             image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5]),
    "size {height 48, width 40}, crop 32":
        dict(size={"height": 48, "width": 40}, crop_size=CROP32, image_grid_pinpoints=SMALL[:5]),
    "size 32, crop 32, no resize and no center crop":
        dict(size={"shortest_edge": 32}, crop_size=CROP32, image_grid_pinpoints=SMALL, do_resize=False,
             do_center_crop=False),
}


def run_dump(*args):
    return subprocess.run([DUMP, *map(str, args)], capture_output=True, text=True)


def crop_count(crops):
    """The crops of one image in a padded batch: those before the zero padding (a real crop
    is never all zero after normalisation with a non-zero mean)."""
    nonzero = [k for k in range(len(crops)) if np.any(crops[k] != 0)]
    return max(nonzero) + 1 if nonzero else 0


def compare_images(tmp):
    worst = {"PIL pixels (steps)": 0.0, "PIL pixel_values (steps)": 0.0, "PIL pixels, tiles resized twice": 0.0,
             "PIL pixel_values, tiles resized twice": 0.0, "torchvision (steps)": 0.0}
    shots = images()
    chosen = {}
    for setting, kwargs in SETTINGS.items():
        processor = LlavaNextImageProcessorPil(**kwargs)
        folder = os.path.join(tmp, "processor")
        processor.save_pretrained(folder)
        config = os.path.join(folder, "preprocessor_config.json")
        raw = LlavaNextImageProcessorPil(**kwargs, do_rescale=False, do_normalize=False)
        # One 8-bit step after normalisation, per channel; two where tiles are resized twice.
        steps = processor.rescale_factor / np.asarray(processor.image_std, dtype=np.float64)
        base = (kwargs["size"].get("height"), kwargs["size"].get("width")) if "height" in kwargs["size"] else \
            (kwargs["size"]["shortest_edge"],) * 2
        allowed = 2 if kwargs.get("do_resize", True) and base != (kwargs["crop_size"]["height"],) * 2 else 1
        paths = []
        for i, array in enumerate(shots.values()):
            paths.append(os.path.join(tmp, f"image{i}.png"))
            Image.fromarray(array).save(paths[-1])
        pictures = [Image.open(path).convert("RGB") for path in paths]
        batch = processor(pictures, return_tensors="np")  # padded to the most crops
        batch_raw = raw(pictures, return_tensors="np")
        batch_fast = LlavaNextImageProcessor(**kwargs)(pictures, return_tensors="np") \
            if LlavaNextImageProcessor else None
        fast_diff = 0.0
        for i, (name, path) in enumerate(zip(shots, paths)):
            label = f"{setting}, {name}"
            out = os.path.join(tmp, "out")
            run = run_dump(config, path, out)
            if run.returncode != 0:
                check(False, f"{label}: processed ({run.stderr.strip()})")
                continue
            ours_info = json.loads(run.stdout)
            crops, height, width = ours_info["layout"]
            theirs_all = np.asarray(batch["pixel_values"][i], dtype=np.float32)
            count = crop_count(theirs_all)
            size = [int(v) for v in batch["image_sizes"][i]]
            best = list(select_best_resolution(size, processor.image_grid_pinpoints))
            if setting.startswith("llava-v1.6"):
                chosen.setdefault(tuple(best), []).append(name)
            check(count == crops and size == [height, width] and ours_info["best"] == best
                  and ours_info["shape"] == [crops, *theirs_all.shape[1:]],
                  f"{label}: {crops} crops at pinpoint {ours_info['best']}, image_sizes {[height, width]}; "
                  f"transformers {count} at {best}, {size}")
            if count != crops or ours_info["shape"][1:] != list(theirs_all.shape[1:]):
                continue
            expected = theirs_all[:crops]
            check(not np.any(theirs_all[crops:]), f"{label}: the batch's crops past {crops} are zero padding")
            side = ours_info["resized"][0]
            ours_pixels = np.fromfile(out + ".u8", dtype=np.uint8).reshape(crops, side, side, 3).transpose(0, 3, 1, 2)
            expected_raw = np.asarray(batch_raw["pixel_values"][i][:crops], dtype=np.float64)
            pixel_diff = np.abs(ours_pixels - expected_raw).max()
            changed = np.count_nonzero(ours_pixels != expected_raw) / expected_raw.size
            ours_input = np.fromfile(out + ".f32", dtype=np.float32).reshape(expected.shape)
            per_channel = np.abs(ours_input - expected).transpose(1, 0, 2, 3).reshape(3, -1).max(axis=1)
            input_steps = (per_channel / steps).max()
            twice = ", tiles resized twice" if allowed == 2 else " (steps)"
            worst["PIL pixels" + twice] = max(worst["PIL pixels" + twice], pixel_diff)
            worst["PIL pixel_values" + twice] = max(worst["PIL pixel_values" + twice], input_steps)
            check(pixel_diff <= allowed, f"{label}: {crops} crops' pixels within {allowed}/255 of PIL's "
                                         f"(max {pixel_diff:.0f}/255, {100 * changed:.3f}% differ)")
            check(np.all(per_channel <= allowed * steps + 1e-5),
                  f"{label}: pixel_values within {allowed} step(s) per channel (max {input_steps:.3f} steps, "
                  f"{per_channel.max():.2e})")
            if batch_fast is not None:
                fast = np.asarray(batch_fast["pixel_values"][i], dtype=np.float32)
                if crop_count(fast) != crops:
                    print(f"      torchvision backend: {crop_count(fast)} crops, ours {crops}")
                else:
                    diff = (np.abs(ours_input - fast[:crops]).transpose(1, 0, 2, 3).reshape(3, -1).max(axis=1)
                            / steps).max()
                    fast_diff = max(fast_diff, diff)
        if batch_fast is not None:
            worst["torchvision (steps)"] = max(worst["torchvision (steps)"], fast_diff)
            print(f"      torchvision backend (not asserted): pixel_values differ from ours by up to "
                  f"{fast_diff:.1f} steps under {setting}")
    print("pinpoints chosen under the published set: " +
          "; ".join(f"{list(k)}: {len(v)} ({v[0]})" for k, v in sorted(chosen.items())))
    check(sorted(chosen) == sorted(tuple(p) for p in PUBLISHED),
          f"every published pinpoint is chosen by some image ({len(chosen)} of {len(PUBLISHED)})")
    print("largest differences: " + ", ".join(f"{k} {v:.3f}" for k, v in worst.items()))


def word_tokenizer():
    """A word-level tokenizer with "<image>" as a special token: LlavaNextProcessor expands
    each "<image>" of the text to the image's tokens, which stay one id each."""
    vocab = {"<unk>": 0, "<pad>": 1, "<image>": 2, "describe": 3}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>",
                                   extra_special_tokens=["<image>"])


def compare_tokens(tmp):
    """The <image> tokens LlavaNextProcessor's output holds per image, against ours."""
    tokenizer = word_tokenizer()
    image_id = tokenizer.convert_tokens_to_ids("<image>")
    rng = np.random.default_rng(11)
    sizes = [(512, 512), (400, 600), (250, 500), (500, 250), (150, 600), (512, 120), (5, 7), (1, 1), (1100, 1300),
             (40, 900), (900, 40), (97, 61), (336, 672), (672, 336), (1008, 336), (336, 1008), (335, 673), (2, 700),
             (700, 2), (1500, 1499)]
    sizes += [tuple(int(v) for v in rng.integers(1, 1500, 2)) for _ in range(20)]
    pictures = [Image.new("RGB", (w, h), (90, 120, 150)) for h, w in sizes]
    for setting in list(SETTINGS)[:2]:
        kwargs = SETTINGS[setting]
        image_processor = LlavaNextImageProcessorPil(**kwargs)
        folder = os.path.join(tmp, "tokens")
        image_processor.save_pretrained(folder)
        config = os.path.join(folder, "preprocessor_config.json")
        small = 8 if kwargs["crop_size"]["height"] == 336 else 4
        for patch in (14, small):
            for strategy in ("default", "full"):
                processor = LlavaNextProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=patch,
                                               vision_feature_select_strategy=strategy, num_additional_image_tokens=1)
                out = processor(text=["<image> describe"] * len(sizes), images=pictures, padding=True,
                                return_tensors="np")
                theirs = (out["input_ids"] == image_id).sum(axis=1).tolist()
                options = ["--vision-patch-size", patch] + (["--keep-class-token"] if strategy == "full" else [])
                run = run_dump(config, *options, "--sizes", *[v for s in sizes for v in s])
                ours = [json.loads(line).get("tokens") for line in run.stdout.splitlines()]
                wrong = [f"{h} x {w}: theirs {t}, ours {o}" for (h, w), t, o in zip(sizes, theirs, ours) if t != o]
                check(run.returncode == 0 and len(ours) == len(sizes) and not wrong,
                      f"{setting}, patch {patch}, \"{strategy}\": <image> tokens equal LlavaNextProcessor's expansion "
                      f"on {len(sizes)} images ({min(theirs)} to {max(theirs)} tokens)"
                      f"{': ' + '; '.join(wrong[:3]) if wrong else ''} {run.stderr.strip()[:100]}")


def compare_sizes(tmp):
    """select_best_resolution, the crops and the token count alone on a sweep of sizes
    (transformers' own functions: no images needed)."""
    from transformers.models.llava_next.modeling_llava_next import image_size_to_num_patches
    rng = np.random.default_rng(7)
    sizes = [(1, 1), (1, 5000), (5000, 1), (2, 3), (336, 336), (336, 672), (672, 672), (1008, 336), (4000, 3000),
             (3000, 4000), (1000, 1000), (99, 100), (100, 99), (64, 64), (96, 32), (32, 96), (31, 97)]
    sizes += [tuple(int(v) for v in rng.integers(1, 4000, 2)) for _ in range(300)]
    sizes += [tuple(int(v) for v in rng.integers(1, 200, 2)) for _ in range(200)]
    sizes += [(int(h), int(h * r)) for h, r in zip(rng.integers(1, 600, 40), rng.uniform(0.05, 20, 40)) if h * r >= 1]
    tokenizer = word_tokenizer()
    for setting in list(SETTINGS)[:4]:
        kwargs = SETTINGS[setting]
        image_processor = LlavaNextImageProcessorPil(**kwargs)
        folder = os.path.join(tmp, "sizes")
        image_processor.save_pretrained(folder)
        side = kwargs["crop_size"]["height"]
        for patch, strategy in ((14, "default"), (14, "full"), (side // 8, "default")):
            processor = LlavaNextProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=patch,
                                           vision_feature_select_strategy=strategy, num_additional_image_tokens=1)
            options = ["--vision-patch-size", patch] + (["--keep-class-token"] if strategy == "full" else [])
            run = run_dump(os.path.join(folder, "preprocessor_config.json"), *options, "--sizes",
                           *[v for s in sizes for v in s])
            lines = [json.loads(line) for line in run.stdout.splitlines()]
            wrong = []
            for (h, w), ours in zip(sizes, lines):
                best = list(select_best_resolution((h, w), image_processor.image_grid_pinpoints))
                crops = int(image_size_to_num_patches((h, w), image_processor.image_grid_pinpoints, side))
                tokens = processor._get_number_of_features(h, w, side, side) - (strategy == "default")
                if ours.get("best") != best or ours.get("layout") != [crops, h, w] or ours.get("tokens") != tokens:
                    wrong.append(f"{h} x {w}: transformers {best}, {crops} crops, {tokens} tokens; ours {ours}")
            check(run.returncode == 0 and len(lines) == len(sizes) and not wrong,
                  f"{setting}, patch {patch}, \"{strategy}\": best pinpoint, crops and tokens equal transformers' on "
                  f"{len(sizes)} sizes{': ' + '; '.join(wrong[:3]) if wrong else ''} {run.stderr.strip()[:100]}")


def parse_layouts(tmp):
    """The layouts folders hold the settings in, with the values transformers' processors
    read from the same files."""
    saved = os.path.join(tmp, "saved")
    LlavaNextImageProcessorPil(**SETTINGS[list(SETTINGS)[0]]).save_pretrained(saved)
    with open(os.path.join(saved, "preprocessor_config.json")) as f:
        transformers5 = json.load(f)
    nested = os.path.join(tmp, "nested")
    LlavaNextProcessor(image_processor=LlavaNextImageProcessorPil(**SETTINGS[list(SETTINGS)[1]]),
                       tokenizer=word_tokenizer(), patch_size=14, vision_feature_select_strategy="default",
                       num_additional_image_tokens=1).save_pretrained(nested)
    with open(os.path.join(nested, "processor_config.json")) as f:
        processor_config = json.load(f)
    check("image_processor" in processor_config and not os.path.exists(
        os.path.join(nested, "preprocessor_config.json")),
          "transformers 5's LlavaNextProcessor saves its image processor in processor_config.json")
    # llava-hf/llava-v1.6-*-hf's preprocessor_config.json as the hub holds it.
    hub = {"aspect_ratio_setting": "anyres", "crop_size": {"height": 336, "width": 336}, "do_center_crop": True,
           "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
           "image_grid_pinpoints": PUBLISHED, "image_mean": [0.48145466, 0.4578275, 0.40821073],
           "image_processor_type": "LlavaNextImageProcessor", "image_std": [0.26862954, 0.26130258, 0.27577711],
           "processor_class": "LlavaNextProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
           "size": {"shortest_edge": 336}}
    layouts = {
        "transformers 5's preprocessor_config.json": transformers5,
        "transformers 5's processor_config.json (image_processor)": processor_config.get("image_processor", {}),
        "hub's llava-v1.6 preprocessor_config.json": hub,
        "size and crop_size as integers": dict(hub, size=336, crop_size=336),
        "size {height, width}": dict(hub, size={"height": 336, "width": 336}),
        "pinpoints left out (the published ones)": {k: v for k, v in hub.items() if k != "image_grid_pinpoints"},
        "other pinpoints, mean and std": dict(hub, image_grid_pinpoints=[[336, 336], [672, 1344], [1344, 672]],
                                              image_mean=[0.5, 0.5, 0.5], image_std=[0.25, 0.5, 1.0]),
    }
    for type_name in ("LlavaNextImageProcessorFast", "LlavaNextImageProcessorPil"):
        layouts[f"type {type_name}"] = dict(hub, image_processor_type=type_name)
    probe = [(5, 7), (300, 451), (2000, 1500), (40, 900), (900, 40), (512, 512)]
    for name, config in layouts.items():
        folder = os.path.join(tmp, "layout")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "preprocessor_config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        theirs = AutoImageProcessor.from_pretrained(folder, backend="pil")
        side = theirs.crop_size["height"]
        processor = LlavaNextProcessor(image_processor=theirs, tokenizer=word_tokenizer(), patch_size=14,
                                       vision_feature_select_strategy="default", num_additional_image_tokens=1)
        expected = [(list(select_best_resolution((h, w), theirs.image_grid_pinpoints)),
                     processor._get_number_of_features(h, w, side, side) - 1) for h, w in probe]
        run = run_dump(path, "--sizes", *[v for s in probe for v in s])
        ours = [(line.get("best"), line.get("tokens")) for line in map(json.loads, run.stdout.splitlines())] \
            if run.returncode == 0 else None
        # And the pixels of one image, against the processor transformers reads from the file.
        image_path = os.path.join(tmp, "probe.png")
        Image.fromarray(gradient(300, 451, 9)).save(image_path)
        pixels = run_dump(path, image_path, os.path.join(tmp, "probe"))
        reference = np.asarray(theirs(Image.open(image_path), return_tensors="np")["pixel_values"][0], np.float32)
        ours_input = np.fromfile(os.path.join(tmp, "probe.f32"), np.float32) if pixels.returncode == 0 else None
        steps = theirs.rescale_factor / np.min(theirs.image_std)
        close = ours_input is not None and ours_input.size == reference.size and \
            np.abs(ours_input - reference.ravel()).max() <= steps + 1e-5
        check(ours == expected and close,
              f"{name}: read as transformers reads {type(theirs).__name__} (crop {side}, "
              f"{len(theirs.image_grid_pinpoints)} pinpoints): best and tokens {ours == expected}, pixel_values "
              f"within a step {close} ({(run.stderr + pixels.stderr).strip()[:100]})")


def refusals(tmp):
    """Configs clear-sweep cannot follow: refused naming the file and the key."""
    base = LlavaNextImageProcessorPil(**SETTINGS[list(SETTINGS)[0]]).to_dict()
    base["resample"] = 3
    cases = [("resample", 2), ("resample", 1), ("size", {"shortest_edge": 336, "longest_edge": 672}),
             ("size", {"height": 336}), ("size", 0), ("size", "336"), ("crop_size", {"height": 336, "width": 300}),
             ("crop_size", 0), ("image_grid_pinpoints", [[336, 600]]), ("image_grid_pinpoints", [[336]]),
             ("image_grid_pinpoints", []), ("image_grid_pinpoints", "anyres"), ("image_grid_pinpoints", [[0, 336]]),
             ("do_convert_rgb", False), ("image_mean", [0.5, 0.5]), ("image_std", "oops"),
             ("image_processor_type", "LlavaNextImageProcessorSlow")]
    for key, value in cases:
        config = dict(base, **{key: value})
        path = os.path.join(tmp, "bad.json")
        with open(path, "w") as f:
            json.dump(config, f)
        run = run_dump(path, "--sizes", 300, 400)
        check(run.returncode != 0 and key in run.stderr and "bad.json" in run.stderr,
              f"{key} = {json.dumps(config[key])}: refused naming the file and the key ({run.stderr.strip()[-110:]})")
    # Crops of different sizes: no center crop with a base size that is not the crop's.
    path = os.path.join(tmp, "bad.json")
    with open(path, "w") as f:
        json.dump(dict(base, do_center_crop=False, size={"shortest_edge": 300}), f)
    run = run_dump(path, "--sizes", 300, 400)
    check(run.returncode != 0 and "do_center_crop" in run.stderr,
          f"do_center_crop false with size 300 and crop 336: refused ({run.stderr.strip()[-110:]})")
    # transformers' defaults alone (size and crop 224 with pinpoints of 336): it cuts partial
    # tiles, which its processor's token count does not match; refused naming the pinpoints.
    with open(path, "w") as f:
        json.dump({"image_processor_type": "LlavaNextImageProcessor"}, f)
    run = run_dump(path, "--sizes", 300, 400)
    defaults = LlavaNextImageProcessorPil()
    crops = len(defaults(Image.new("RGB", (400, 300)), return_tensors="np")["pixel_values"][0])
    check(run.returncode != 0 and "image_grid_pinpoints" in run.stderr,
          f"transformers' defaults alone refused ({run.stderr.strip()[-90:]}; transformers cuts {crops} crops of a "
          f"300 x 400 image, image_size_to_num_patches counts fewer)")
    # An empty image is refused naming its size.
    good = os.path.join(tmp, "good.json")
    with open(good, "w") as f:
        json.dump(base, f)
    run = run_dump(good, "--sizes", 0, 5)
    line = json.loads(run.stdout) if run.returncode == 0 else {}
    check(line.get("error") == "image size" and "0 x 5" in line.get("message", ""),
          f"a 0 x 5 image is refused naming its size ({line})")


with tempfile.TemporaryDirectory() as tmp:
    compare_images(tmp)
    compare_tokens(tmp)
    compare_sizes(tmp)
    parse_layouts(tmp)
    refusals(tmp)

finish()
