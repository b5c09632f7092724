"""clear-sweep's image processing against transformers' CLIPImageProcessor, PIL path
(issue 15): llava-1.5's settings (shortest edge 336, bicubic, center crop 336, CLIP mean
and std) and two others, on scikit-image's photographs of varied sizes and aspect
ratios, some upscaled, and random crops. The resized and cropped pixels must be within
2/255 of the processor's (PIL rounds between its two passes, clear-sweep once), and the
model input as close as that allows after normalisation. A processor config clear-sweep
cannot follow is refused naming the key.

usage: test_clip_processor.py IMAGE_PREPROCESS_DUMP"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("numpy", "PIL", "skimage", "transformers")
import numpy as np  # noqa: E402
import skimage.data  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import CLIPImageProcessorPil  # noqa: E402

DUMP = sys.argv[1]


def photographs():
    """(name, RGB uint8 array) of varied sizes and aspect ratios."""
    shots = {name: getattr(skimage.data, name)() for name in ("astronaut", "coffee", "chelsea", "rocket", "camera")}
    shots["camera"] = np.stack([shots["camera"]] * 3, -1)  # grayscale, as RGB
    shots["coffee, tall crop"] = shots["coffee"][:, 150:330]  # 400 x 180: portrait
    shots["chelsea, small"] = shots["chelsea"][40:140, 60:197]  # 100 x 137: upscaled to 336
    shots["astronaut, thin strip"] = shots["astronaut"][100:160]  # 60 x 512
    # Random crops: PIL's two passes each round to 8 bits, and which comes first depends
    # on the two scale factors; many shapes exercise both orders.
    rng = np.random.default_rng(11)
    for i in range(16):
        source = shots[("astronaut", "coffee", "rocket", "chelsea")[i % 4]]
        h, w = int(rng.integers(20, source.shape[0])), int(rng.integers(20, source.shape[1]))
        shots[f"random crop {i}"] = source[:h, :w]
    return shots


SETTINGS = {
    "llava-1.5 (336)": dict(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}),
    "CLIP default (224)": dict(),
    "shortest edge 48, crop 40": dict(size={"shortest_edge": 48}, crop_size={"height": 40, "width": 40}),
}

with tempfile.TemporaryDirectory() as tmp:
    for setting, kwargs in SETTINGS.items():
        processor = CLIPImageProcessorPil(**kwargs)
        config_path = os.path.join(tmp, "preprocessor_config.json")
        processor.to_json_file(config_path)
        raw = CLIPImageProcessorPil(**kwargs, do_rescale=False, do_normalize=False)
        for name, array in photographs().items():
            path = os.path.join(tmp, "image.png")
            Image.fromarray(array).save(path)
            out = os.path.join(tmp, "out")
            run = subprocess.run([DUMP, config_path, path, out], capture_output=True, text=True)
            if run.returncode != 0:
                check(False, f"{setting}, {name}: processed ({run.stderr.strip()})")
                continue
            image = Image.open(path)
            expected_pixels = np.asarray(raw(image, return_tensors="np")["pixel_values"][0])  # [3, H, W]
            expected_input = np.asarray(processor(image, return_tensors="np")["pixel_values"][0])
            h, w = expected_pixels.shape[1:]
            ours_pixels = np.fromfile(out + ".u8", dtype=np.uint8)
            ours_input = np.fromfile(out + ".f32", dtype=np.float32)
            if ours_pixels.size != 3 * h * w or ours_input.size != 3 * h * w:
                check(False, f"{setting}, {name}: output size {ours_pixels.size} for a {h} x {w} crop")
                continue
            ours_pixels = ours_pixels.reshape(h, w, 3).transpose(2, 0, 1).astype(np.float64)
            pixel_diff = np.abs(ours_pixels - expected_pixels).max()
            input_diff = np.abs(ours_input.reshape(3, h, w) - expected_input).max()
            shape = "x".join(map(str, array.shape[:2]))
            check(pixel_diff <= 2, f"{setting}, {name} ({shape}): pixels within 2/255 (max {pixel_diff:.0f}/255)")
            allowed = 2 / 255 / min(processor.image_std) + 1e-5  # the pixel tolerance, normalised
            check(input_diff <= allowed, f"{setting}, {name} ({shape}): model input within {allowed:.3f} "
                                         f"(max {input_diff:.1e})")

    for key, value in [("resample", 2), ("size", {"height": 336, "width": 336}), ("image_mean", [0.5, 0.5]),
                       ("do_center_crop", False)]:
        config = CLIPImageProcessorPil().to_dict()
        config[key] = value
        path = os.path.join(tmp, "bad.json")
        with open(path, "w") as f:
            json.dump(config, f)
        run = subprocess.run([DUMP, path, path, os.path.join(tmp, "x")], capture_output=True, text=True)
        check(run.returncode != 0 and key in run.stderr, f"{key} = {json.dumps(value)}: refused naming it "
                                                         f"({run.stderr.strip()[:140]})")

finish()
