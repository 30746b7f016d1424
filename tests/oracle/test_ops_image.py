"""Image ops (issue 14): colour conversions and Adjust*, ResizeBicubic, ResizeArea, CropAndResize,
ExtractImagePatches and MaxPoolWithArgmax, each converted at opsets 13, 17 and 21 and compared
with TensorFlow in ONNX Runtime (oracle_lib's case machinery)."""

import numpy as np

from oracle_lib import CaseList, case_tests, get_tf, ints, named, normal

tf = get_tf()
raw = tf.raw_ops
F32 = np.float32
ALL = (13, 17, 21)

CASES = CaseList()
case = CASES.case


def unit(*shape, dtype=F32):
    return lambda r: r.uniform(0, 1, shape).astype(dtype)


def rgb_with_ties(*shape):
    """Colours in [0, 1] where channels often tie (grey, two equal channels)."""
    def gen(r):
        x = r.uniform(0, 1, shape)
        x[..., 0, :] = x[..., 0, :1]
        x[..., 1, 1] = x[..., 1, 0]
        return x.astype(F32)
    return gen


# ---------------------------------------------------------------- colour
case("RGBToHSV", lambda x: raw.RGBToHSV(images=x), named(x=rgb_with_ties(2, 4, 5, 3)), opsets=ALL)
case("RGBToHSV_dynamic", lambda x: tf.image.rgb_to_hsv(x), named(x=unit(3, 7, 3)),
     dynamic={"x": [None, None, 3]}, opsets=ALL, ops=("RGBToHSV",))
case("RGBToHSV_float64", lambda x: tf.image.rgb_to_hsv(x), named(x=unit(6, 3, dtype=np.float64)),
     opsets=ALL, ops=("RGBToHSV",))
case("HSVToRGB", lambda x: raw.HSVToRGB(images=x), named(x=unit(2, 4, 5, 3)), opsets=ALL)
case("HSVToRGB_empty", lambda x: tf.image.hsv_to_rgb(x), named(x=unit(0, 3)), opsets=ALL,
     ops=("HSVToRGB",))
case("AdjustHue", lambda x: raw.AdjustHue(images=x, delta=0.3), named(x=rgb_with_ties(2, 3, 4, 3)),
     opsets=ALL, atol=2e-5)
case("AdjustHue_negative", lambda x: tf.image.adjust_hue(x, -0.45), named(x=unit(5, 4, 3)),
     opsets=ALL, atol=2e-5, ops=("AdjustHue",))
case("AdjustSaturation", lambda x: raw.AdjustSaturation(images=x, scale=1.7),
     named(x=rgb_with_ties(2, 3, 4, 3)), opsets=ALL, atol=2e-5)
case("AdjustSaturation_down", lambda x: tf.image.adjust_saturation(x, 0.4), named(x=unit(1, 6, 5, 3)),
     dynamic={"x": [None, None, None, 3]}, opsets=ALL, atol=2e-5, ops=("AdjustSaturation",))
case("AdjustContrastv2", lambda x: raw.AdjustContrastv2(images=x, contrast_factor=1.8),
     named(x=unit(2, 5, 4, 3)), opsets=ALL)
case("AdjustContrastv2_dynamic", lambda x: tf.image.adjust_contrast(x, 0.5), named(x=unit(6, 5, 2)),
     dynamic={"x": [None, None, 2]}, opsets=ALL, ops=("AdjustContrastv2",))

# ---------------------------------------------------------------- resampling
for _hp in (False, True):
    case(f"ResizeBicubic_half_pixel{int(_hp)}", lambda x, _hp=_hp: raw.ResizeBicubic(
        images=x, size=[7, 9], half_pixel_centers=_hp), named(x=normal(2, 4, 5, 3)), opsets=ALL,
         atol=1e-4)
case("ResizeBicubic_align_corners", lambda x: raw.ResizeBicubic(images=x, size=[3, 8], align_corners=True),
     named(x=normal(1, 5, 4, 2)), opsets=ALL, atol=1e-4)
case("ResizeBicubic_down_dynamic", lambda x: raw.ResizeBicubic(images=x, size=[3, 2], half_pixel_centers=True),
     named(x=normal(2, 6, 5, 3)), dynamic={"x": [None, None, None, 3]}, opsets=ALL, atol=1e-4)
case("ResizeArea_down", lambda x: raw.ResizeArea(images=x, size=[3, 2]), named(x=normal(2, 7, 5, 3)),
     opsets=ALL)
case("ResizeArea_up_uint8", lambda x: raw.ResizeArea(images=x, size=[5, 7]),
     named(x=ints(1, 3, 4, 2, lo=0, hi=255, dtype=np.uint8)), opsets=ALL, atol=1e-4)
case("ResizeArea_align_corners", lambda x: raw.ResizeArea(images=x, size=[4, 3], align_corners=True),
     named(x=normal(2, 6, 5, 1)), dynamic={"x": [None, 6, 5, 1]}, opsets=ALL)


def _crop_inputs(r):
    boxes = np.concatenate([r.uniform(-0.2, 0.6, (5, 2)), r.uniform(0.4, 1.2, (5, 2))], 1)
    boxes = boxes[:, [0, 1, 2, 3]].astype(F32)
    boxes[3] = [0.8, 0.7, 0.1, 0.2]  # flipped box
    return {"img": r.standard_normal((2, 6, 7, 3)).astype(F32), "boxes": boxes,
            "idx": np.array([0, 1, 1, 0, 1], np.int32)}


case("CropAndResize", lambda img, boxes, idx: raw.CropAndResize(
    image=img, boxes=boxes, box_ind=idx, crop_size=[4, 5], extrapolation_value=-1.0),
     _crop_inputs, opsets=ALL, atol=1e-4)
case("CropAndResize_nearest", lambda img, boxes, idx: raw.CropAndResize(
    image=img, boxes=boxes, box_ind=idx, crop_size=[3, 3], method="nearest"), _crop_inputs,
     opsets=ALL, ops=("CropAndResize",))
case("CropAndResize_single_pixel", lambda img, boxes, idx: raw.CropAndResize(
    image=img, boxes=boxes, box_ind=idx, crop_size=[1, 1]), _crop_inputs, opsets=ALL,
     dynamic={"boxes": [None, 4], "idx": [None]}, ops=("CropAndResize",), atol=1e-4)
case("CropAndResize_uint8", lambda img, boxes, idx: raw.CropAndResize(
    image=tf.cast(tf.clip_by_value(img * 40 + 100, 0, 255), tf.uint8), boxes=boxes, box_ind=idx, crop_size=[3, 4]),
     _crop_inputs, opsets=ALL, ops=("CropAndResize",), atol=1e-3)

for _pad in ("VALID", "SAME"):
    case(f"ExtractImagePatches_{_pad}", lambda x, _pad=_pad: raw.ExtractImagePatches(
        images=x, ksizes=[1, 3, 2, 1], strides=[1, 2, 1, 1], rates=[1, 1, 2, 1], padding=_pad),
         named(x=normal(2, 7, 6, 3)), opsets=ALL)
case("ExtractImagePatches_int_dynamic_batch", lambda x: tf.image.extract_patches(
    x, sizes=[1, 2, 2, 1], strides=[1, 2, 2, 1], rates=[1, 1, 1, 1], padding="SAME"),
     named(x=ints(3, 5, 5, 2)), dynamic={"x": [None, 5, 5, 2]}, opsets=ALL, ops=("ExtractImagePatches",))

for _pad in ("VALID", "SAME"):
    for _batch in (False, True):
        case(f"MaxPoolWithArgmax_{_pad}_batch{int(_batch)}", lambda x, _pad=_pad, _batch=_batch:
             raw.MaxPoolWithArgmax(input=x, ksize=[1, 3, 2, 1], strides=[1, 2, 2, 1], padding=_pad,
                                   include_batch_in_index=_batch), named(x=normal(2, 7, 6, 3)), opsets=ALL)
case("MaxPoolWithArgmax_int32_index", lambda x: raw.MaxPoolWithArgmax(
    input=x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME", Targmax=tf.int32),
     named(x=normal(3, 4, 5, 2)), dynamic={"x": [None, None, None, 2]}, opsets=ALL, ops=("MaxPoolWithArgmax",))



def _cnms_inputs(q):
    def gen(r):
        corner = r.uniform(0, 0.8, (2, 30, q, 2))
        size = r.uniform(0.05, 0.4, (2, 30, q, 2))
        return {"b": np.concatenate([corner, corner + size], -1).astype(F32),
                "s": r.uniform(0, 1, (2, 30, 3)).astype(F32)}
    return gen


for _q in (1, 3):
    for _ppc in (False, True):
        CASES.case(f"CombinedNonMaxSuppression_q{_q}_pad{int(_ppc)}", lambda b, s, _ppc=_ppc:
                   raw.CombinedNonMaxSuppression(boxes=b, scores=s, max_output_size_per_class=4,
                                                 max_total_size=10, iou_threshold=0.4, score_threshold=0.2,
                                                 pad_per_class=_ppc),
                   _cnms_inputs(_q), opsets=ALL)
CASES.case("CombinedNonMaxSuppression_large_total_dynamic", lambda b, s: tf.image.combined_non_max_suppression(
    b, s, 20, 200, 0.5, 0.1, clip_boxes=False), _cnms_inputs(1), dynamic={"b": [None, None, 1, 4], "s": [None, None, 3]},
    opsets=ALL, ops=("CombinedNonMaxSuppression",))
test_case_freezes_to_op, test_op = case_tests(CASES, "image")
