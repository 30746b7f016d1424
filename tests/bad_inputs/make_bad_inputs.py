#!/usr/bin/env python3
"""Writes the hand-made bad inputs of tests/bad_inputs/ (the files are checked
in; run this again only to change them), with the test venv's python:

    $VENV/bin/python tests/bad_inputs/make_bad_inputs.py

Cases already covered by tests/oracle/test_bad_input.py (truncated and
byte-flipped GraphDefs, wrong formats given to --graphdef, bad --inputs
syntax, opset range) are not repeated. MANIFEST.tsv (hand-edited) says what
the CLI must answer for each file; run_bad_inputs.sh checks it.
"""
import pathlib
import struct
import zipfile
import zlib

import numpy as np

here = pathlib.Path(__file__).resolve().parent
repo = here.parent.parent
seeds = repo / "fuzz" / "seeds"


def put(rel, data):
    p = here / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def truncations(name, data, fracs=(0.05, 0.3, 0.6, 0.95), suffix=""):
    for f in fracs:
        off = max(1, int(len(data) * f))
        put(f"{name}_trunc{off}{suffix}", data[:off])


# ----------------------------------------------------------------------------- GraphDef
PLACEHOLDER = """node { name: "x" op: "Placeholder"
  attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "shape" value { shape { dim { size: -1 } dim { size: 4 } } } } }
"""
put("graphdef/cycle.pbtxt", PLACEHOLDER + """
node { name: "a" op: "AddV2" input: "x" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "b" op: "Relu" input: "a" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "y" op: "Identity" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
""")
put("graphdef/self_loop.pbtxt", PLACEHOLDER + """
node { name: "a" op: "AddV2" input: "x" input: "a" attr { key: "T" value { type: DT_FLOAT } } }
""")
put("graphdef/huge_const_dims.pbtxt", PLACEHOLDER + """
node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "value" value { tensor { dtype: DT_FLOAT
    tensor_shape { dim { size: 1099511627776 } dim { size: 1099511627776 } } float_val: 1 } } } }
node { name: "y" op: "AddV2" input: "x" input: "c" attr { key: "T" value { type: DT_FLOAT } } }
""")
put("graphdef/negative_const_dims.pbtxt", PLACEHOLDER + """
node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "value" value { tensor { dtype: DT_FLOAT
    tensor_shape { dim { size: -3 } dim { size: 4 } } float_val: 1 } } } }
node { name: "y" op: "AddV2" input: "x" input: "c" attr { key: "T" value { type: DT_FLOAT } } }
""")
put("graphdef/const_content_short.pbtxt", PLACEHOLDER + """
node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "value" value { tensor { dtype: DT_FLOAT
    tensor_shape { dim { size: 3 } dim { size: 4 } } tensor_content: "\\000\\000\\200?" } } } }
node { name: "y" op: "AddV2" input: "x" input: "c" attr { key: "T" value { type: DT_FLOAT } } }
""")
# 200 levels of nesting, past kMaxGraphDefNesting (100); 100000 levels used to
# overflow the stack of the text parser.
put("graphdef/deep_text_nesting.pbtxt", 'node { name: "c" op: "Const" attr { key: "a" value { '
    + 'func { name: "f" attr { key: "b" value { ' * 200 + "}}}" * 200 + "}}}\n")
put("saved_model/deep_text_nesting/saved_model.pbtxt", "meta_graphs { graph_def { node { name: \"c\" attr { key: \"a\" value { "
    + 'func { name: "f" attr { key: "b" value { ' * 300 + "}}}" * 300 + "}}}}}\n")
put("graphdef/missing_input_node.pbtxt", PLACEHOLDER + """
node { name: "y" op: "AddV2" input: "x" input: "nowhere:3" attr { key: "T" value { type: DT_FLOAT } } }
""")
# A rank-300 Placeholder, past TensorFlow's limit of 254 (kMaxTfRank).
put("graphdef/rank300_placeholder.pbtxt", """node { name: "big" op: "Placeholder"
  attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "shape" value { shape { """ + "dim { size: 1 } " * 300 + """} } } }
node { name: "y" op: "Identity" input: "big" attr { key: "T" value { type: DT_FLOAT } } }
""")

# ----------------------------------------------------------------------------- SavedModel
def saved_model_with_functions(functions, call="f"):
    lib = "".join(functions)
    return """saved_model_schema_version: 1
meta_graphs {
  meta_info_def { tags: "serve" }
  graph_def {
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
      attr { key: "shape" value { shape { dim { size: 2 } } } } }
    node { name: "call" op: "StatefulPartitionedCall" input: "x"
      attr { key: "Tin" value { list { type: DT_FLOAT } } }
      attr { key: "Tout" value { list { type: DT_FLOAT } } }
      attr { key: "f" value { func { name: "%s" } } } }
    library { %s }
  }
  signature_def { key: "serving_default" value {
    inputs { key: "x" value { name: "x:0" dtype: DT_FLOAT tensor_shape { dim { size: 2 } } } }
    outputs { key: "y" value { name: "call:0" dtype: DT_FLOAT tensor_shape { dim { size: 2 } } } }
    method_name: "tensorflow/serving/predict" } }
}
""" % (call, lib)


def function(name, callee):
    return """function {
      signature { name: "%s" input_arg { name: "a" type: DT_FLOAT } output_arg { name: "out" type: DT_FLOAT } }
      node_def { name: "inner" op: "PartitionedCall" input: "a"
        attr { key: "Tin" value { list { type: DT_FLOAT } } }
        attr { key: "Tout" value { list { type: DT_FLOAT } } }
        attr { key: "f" value { func { name: "%s" } } } }
      ret { key: "out" value: "inner:output:0" } }
""" % (name, callee)


put("saved_model/self_recursive/saved_model.pbtxt", saved_model_with_functions([function("f", "f")]))
put("saved_model/mutual_recursion/saved_model.pbtxt",
    saved_model_with_functions([function("f", "g"), function("g", "f")]))
put("saved_model/undefined_function/saved_model.pbtxt", saved_model_with_functions([], call="nope"))
put("saved_model/empty_saved_model_pb/saved_model.pb", b"")

corpus_sm = seeds / "saved_model" / "half_plus_two_cpu"
if corpus_sm.exists():
    raw = corpus_sm.read_bytes()
    parts, i = [], 0
    while i < len(raw):
        (n,) = struct.unpack_from("<I", raw, i)
        parts.append(raw[i + 4:i + 4 + n])
        i += 4 + n
    pb, index, shard = parts

    def sm(name, pb_=pb, index_=index, shard_=shard):
        put(f"saved_model/{name}/saved_model.pb", pb_)
        if index_ is not None:
            put(f"saved_model/{name}/variables/variables.index", index_)
        if shard_ is not None:
            put(f"saved_model/{name}/variables/variables.data-00000-of-00001", shard_)

    sm("index_truncated", index_=index[: len(index) // 2])
    sm("index_wrong_magic", index_=index[:-8] + b"\0" * 8)
    sm("shard_truncated", shard_=shard[: len(shard) // 2])
    sm("shard_flipped", shard_=bytes([shard[0] ^ 0x40]) + shard[1:])
    sm("shard_missing", shard_=None)
    sm("index_zero_length", index_=b"")
    for off in (10, len(pb) // 3, len(pb) - 7):
        sm(f"pb_truncated_{off}", pb_=pb[:off])

# ----------------------------------------------------------------------------- Keras
mlp_keras = (seeds / "keras_zip" / "mlp.keras").read_bytes()
mlp_h5 = (seeds / "keras_h5" / "mlp.h5").read_bytes()
put("keras/empty.keras", b"")
put("keras/empty.h5", b"")
truncations("keras/mlp.h5", mlp_h5, suffix=".h5")
truncations("keras/mlp.keras", mlp_keras, suffix=".keras")
put("keras/h5_wrong_magic.h5", b"\x89HDX\r\n\x1a\n" + mlp_h5[8:])
put("keras/valid_mlp.h5", mlp_h5)  # intact: for the cases where a flag is what is wrong


def rezip(path, members):
    with zipfile.ZipFile(here / path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


with zipfile.ZipFile(seeds / "keras_zip" / "mlp.keras") as z:
    members = {n: z.read(n) for n in z.namelist()}
(here / "keras").mkdir(exist_ok=True)
rezip("keras/no_config.keras", {k: v for k, v in members.items() if k != "config.json"})
rezip("keras/deep_json.keras", dict(members, **{"config.json": b"[" * 100000 + b"]" * 100000}))
rezip("keras/config_not_json.keras", dict(members, **{"config.json": b"{\"class_name\": \"Sequential\", \"config\": {"}))
rezip("keras/weights_not_h5.keras", dict(members, **{"model.weights.h5": b"not an hdf5 file" * 10}))
# A zip bomb: 300 MiB of zeros as config.json (about 300 KB compressed),
# past KerasReadOptions::max_json_bytes (256 MiB).
def deflate_zeros(mib):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    return b"".join(c.compress(chunk) for _ in range(mib)) + c.flush()


def raw_zip(name, payload, crc, declared_size, method=8):
    """One-member zip written by hand, so the declared size can lie."""
    fn = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(payload),
                        declared_size, len(fn), 0) + fn + payload
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc,
                          len(payload), declared_size, len(fn), 0, 0, 0, 0, 0, 0) + fn
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


put("keras/zip_bomb.keras", raw_zip("config.json", deflate_zeros(300), zlib.crc32(b"\0" * (300 << 20)), 300 << 20))
# 16 MiB of zeros declaring 100 bytes: only the actual-size bound can stop it.
put("keras/zip_bomb_lying_size.keras", raw_zip("config.json", deflate_zeros(16), zlib.crc32(b"\0" * (16 << 20)), 100))

import h5py  # noqa: E402

with h5py.File(here / "keras" / "dataset_larger_than_file.h5", "w") as f:
    src = h5py.File(seeds / "keras_h5" / "mlp.h5", "r")
    for k, v in src.attrs.items():
        f.attrs[k] = v
    src.copy("model_weights", f)
    # Replace one kernel by a declared 64 GiB dataset that was never written.
    grp = f["model_weights"]
    def find_kernel(g):
        for k in g:
            if isinstance(g[k], h5py.Group):
                r = find_kernel(g[k])
                if r:
                    return r
            elif "kernel" in k:
                return g[k].name
    name = find_kernel(grp)
    del f[name]
    f.create_dataset(name, shape=(1 << 17, 1 << 17), dtype="float32")
with h5py.File(here / "keras" / "dataset_exceeds_eof.h5", "w") as f:
    src = h5py.File(seeds / "keras_h5" / "mlp.h5", "r")
    for k, v in src.attrs.items():
        f.attrs[k] = v
    src.copy("model_weights", f)
    name = find_kernel(f["model_weights"])
    del f[name]
    # Written, then the file is cut: the dataset's storage ends past EOF.
    f.create_dataset(name, data=np.ones((256, 256), np.float32))
data = (here / "keras" / "dataset_exceeds_eof.h5").read_bytes()
put("keras/dataset_exceeds_eof.h5", data[: len(data) - (128 << 10)])

# ----------------------------------------------------------------------------- ONNX
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def model(nodes, inits=(), inputs=None, outputs=None, opset=17):
    f = TensorProto.FLOAT
    inputs = inputs or [helper.make_tensor_value_info("x", f, [2, 4])]
    outputs = outputs or [helper.make_tensor_value_info("y", f, None)]
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, ir_version=8, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


w = numpy_helper.from_array(np.ones((4, 3), np.float32), "w")
put("onnx/missing_initializer.onnx", model([helper.make_node("MatMul", ["x", "w"], ["y"])]))
put("onnx/cycle.onnx", model([helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                              helper.make_node("Identity", ["b"], ["y"])]))
huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])
put("onnx/initializer_huge_dims.onnx", model([helper.make_node("MatMul", ["x", "w"], ["y"])], [huge]))
neg = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, -3], float_data=[1.0] * 12)
put("onnx/initializer_negative_dims.onnx", model([helper.make_node("MatMul", ["x", "w"], ["y"])], [neg]))
short = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 3], raw_data=b"\0" * 20)
put("onnx/initializer_short_raw_data.onnx", model([helper.make_node("MatMul", ["x", "w"], ["y"])], [short]))
ext = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 3], data_location=TensorProto.EXTERNAL)
ext.external_data.add(key="location", value="../../../../etc/passwd")
put("onnx/initializer_external_data.onnx", model([helper.make_node("MatMul", ["x", "w"], ["y"])], [ext]))
put("onnx/unknown_op.onnx", model([helper.make_node("NoSuchOp", ["x"], ["y"])]))
put("onnx/no_graph.onnx", helper.make_model(helper.make_graph([], "g", [], [])).SerializeToString()[:6])
good = model([helper.make_node("MatMul", ["x", "w"], ["y"])], [w])
put("onnx/empty.onnx", b"")
truncations("onnx/mlp.onnx", (seeds / "onnx_model" / "mlp.onnx").read_bytes(), suffix=".onnx")
put("onnx/graphdef_as_onnx.onnx", (seeds / "graphdef" / "tiny_add_int32_model.pb").read_bytes())
# ----------------------------------------------------------------------------- quantize calibration data
# A tiny model (x [N,3,4,4] -> Conv -> y) and bad .npz calibration files for it.
qw = numpy_helper.from_array(np.ones((2, 3, 1, 1), np.float32), "w")
put("quantize/model.onnx", model([helper.make_node("Conv", ["x", "w"], ["y"])], [qw],
                                 inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4, 4])]))


def npz(rel, **arrays):
    import io
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return put(rel, buf.getvalue())


good_x = np.ones((3, 3, 4, 4), np.float32)
npz("quantize/wrong_name.npz", y=good_x)
npz("quantize/wrong_shape.npz", x=np.ones((3, 3, 5, 4), np.float32))
npz("quantize/wrong_dtype.npz", x=good_x.astype(np.float64))
nan_x = good_x.copy()
nan_x[1, 2, 0, 0] = np.inf
npz("quantize/inf.npz", x=nan_x)
npz("quantize/empty.npz", x=np.ones((0, 3, 4, 4), np.float32))
hdr = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 3, 4, 4), }"
hdr += b" " * (117 - len(hdr)) + b"\n"
npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + b"\0" * 64
buf = __import__("io").BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("x.npy", npy)
put("quantize/huge_shape.npz", buf.getvalue())
data = (here / "quantize" / "wrong_name.npz").read_bytes()
put("quantize/truncated.npz", data[: len(data) // 2])

print("ok")
