"""The package's exception (no native code or TensorFlow needed to import it)."""


class ConversionError(RuntimeError):
    """A conversion, optimization, quantization or run failed.

    ``str(error)`` is the message the ``onnxsmith`` CLI prints after ``error:``
    (e.g. the unsupported TF ops with their node names); ``code`` is the
    absl status code name (``"INVALID_ARGUMENT"``, ``"UNIMPLEMENTED"``, ...).
    """

    def __init__(self, message: str, code: str = "UNKNOWN"):
        super().__init__(message)
        self.message = message
        self.code = code
