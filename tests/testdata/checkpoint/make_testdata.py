"""Regenerates the small TensorBundle checkpoints used by tests/unit/checkpoint_test.cc.

Run once with a Python that has TensorFlow (the files are committed; tests never
need TensorFlow):  python tests/testdata/checkpoint/make_testdata.py

  mixed.*     one shard; one tensor per dtype the reader supports, plus an empty
              tensor and a string tensor (with an empty string)
  sharded.*   two shards merged by MergeV2Checkpoints (entries with shard_id 0 and 1)
  sliced.*    a partitioned variable saved as two slices (the reader refuses it)
"""
import os
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def save(prefix, tensors, slices=None):
    names = list(tensors)
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=names,
        shape_and_slices=[(slices or {}).get(n, "") for n in names],
        tensors=[tensors[n] for n in names],
    )


def clean(prefix):
    for f in os.listdir(HERE):
        if f.startswith(os.path.basename(prefix) + "."):
            os.remove(os.path.join(HERE, f))


def main():
    mixed = os.path.join(HERE, "mixed")
    clean(mixed)
    save(mixed, {
        "dense/kernel": tf.constant([[1.5, -2.0, 3.25], [0.0, 4.0, -0.5]], tf.float32),
        "f64": tf.constant(2.718281828459045, tf.float64),
        "i32": tf.constant([7, -8, 9], tf.int32),
        "i64": tf.constant([1 << 40, -3], tf.int64),
        "u8": tf.constant([0, 255], tf.uint8),
        "i8": tf.constant([-128, 127], tf.int8),
        "i16": tf.constant([-300, 300], tf.int16),
        "flags": tf.constant([True, False, True], tf.bool),
        "half": tf.constant([1.0, -2.5], tf.float16),
        "bf16": tf.constant([1.0, -2.5], tf.bfloat16),
        "empty": tf.zeros([0, 3], tf.float32),
        "words": tf.constant([b"hello", b"", b"checkpoint"]),
        "global_step": tf.constant(42, tf.int64),
    })

    sharded = os.path.join(HERE, "sharded")
    clean(sharded)
    with tempfile.TemporaryDirectory() as tmp:
        p0, p1 = os.path.join(tmp, "part0"), os.path.join(tmp, "part1")
        save(p0, {"alpha": tf.constant([1.0, 2.0], tf.float32)})
        save(p1, {"beta": tf.constant([3, 4, 5], tf.int32)})
        tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=[p0, p1],
                                      destination_prefix=sharded)

    sliced = os.path.join(HERE, "sliced")
    clean(sliced)
    with tempfile.TemporaryDirectory() as tmp:
        p0, p1 = os.path.join(tmp, "part0"), os.path.join(tmp, "part1")
        save(p0, {"part": tf.constant([1.0, 2.0], tf.float32)}, {"part": "4 0,2"})
        save(p1, {"part": tf.constant([3.0, 4.0], tf.float32)}, {"part": "4 2,2"})
        tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=[p0, p1],
                                      destination_prefix=sliced)

    for f in sorted(os.listdir(HERE)):
        print(f, os.path.getsize(os.path.join(HERE, f)))


if __name__ == "__main__":
    main()
