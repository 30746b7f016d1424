"""Loads the extension with RTLD_DEEPBIND.

The extension links Debian's libprotobuf (and libonnx, libhdf5); TensorFlow, onnxruntime or
h5py may already have put other builds of the same libraries' symbols in the process's global
scope. Without DEEPBIND, Debian's libprotobuf would call into another protobuf's functions
(a segfault in RepeatedPtrField code when keras/tensorflow was imported first); with it, the extension
and the libraries it brings resolve their symbols among themselves first.
"""

import os
import sys

_flags = sys.getdlopenflags()
sys.setdlopenflags(_flags | getattr(os, "RTLD_DEEPBIND", 0))
try:
    from . import _native  # noqa: E402
finally:
    sys.setdlopenflags(_flags)
