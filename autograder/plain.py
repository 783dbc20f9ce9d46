"""Turn whatever a probe expression evaluates to into plain JSON data.

This module is the only grading code that runs inside the student's kernel: the grader sends
its source, calls :func:`probe`, and reads back one JSON string. It therefore imports nothing
but the standard library at module level and never trusts the objects it looks at beyond
reading them. Everything it returns is data (numbers, strings, lists, dicts); the decision about
what that data is worth is made elsewhere, in the grader's own process.
"""

import json
import math
import sys

MAX_ELEMENTS = 10_000  # a probe never needs more; bigger answers are summarised
MAX_TEXT = 2_000


def _number(value):
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _tensor(value):
    torch = sys.modules.get("torch")
    data = value.detach()
    out = {
        "type": "tensor",
        "dtype": str(data.dtype).replace("torch.", ""),
        "shape": list(data.shape),
        "device": data.device.type,
        "requires_grad": bool(value.requires_grad),
        "is_leaf": bool(value.is_leaf),
        "grad_fn": type(value.grad_fn).__name__ if value.grad_fn is not None else None,
    }
    if data.numel() > MAX_ELEMENTS:
        out["values"] = None
        return out
    if data.is_complex() or data.dtype == torch.bool or not data.is_floating_point():
        out["values"] = data.cpu().tolist()
    else:
        out["values"] = _floats(data.cpu().double().tolist())
    return out


def _floats(values):
    if isinstance(values, list):
        return [_floats(v) for v in values]
    return _number(values)


def to_plain(value, depth=0):
    """Describe ``value`` as JSON-compatible data (never the object itself)."""
    torch = sys.modules.get("torch")
    if depth > 6:
        return {"type": "too-deep"}
    if value is None or isinstance(value, (bool, str)):
        return value if not isinstance(value, str) else value[:MAX_TEXT]
    if isinstance(value, int) and type(value) is int:
        return value
    if isinstance(value, float) and type(value) is float:
        return _number(value)
    if torch is not None and isinstance(value, torch.Tensor):
        return _tensor(value)
    if torch is not None and isinstance(value, torch.dtype):
        return {"type": "dtype", "name": str(value).replace("torch.", "")}
    if isinstance(value, BaseException):
        return {"type": "exception", "class": type(value).__name__, "message": str(value)[:MAX_TEXT]}
    if type(value) in (list, tuple):
        return {"type": type(value).__name__, "items": [to_plain(v, depth + 1) for v in value[:MAX_ELEMENTS]]}
    if type(value) is dict:
        return {"type": "dict", "items": {str(k): to_plain(v, depth + 1) for k, v in list(value.items())[:100]}}
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return {"type": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape),
                "values": _floats(value.tolist()) if value.dtype.kind == "f" else value.tolist()}
    if numpy is not None and isinstance(value, numpy.generic):
        return to_plain(value.item(), depth + 1)
    # Anything else is described, not converted: its own __eq__ or __float__ is never trusted.
    return {"type": "object", "class": type(value).__name__}


PROBE_SEED = 0  # every probe starts from this random state, in the kernel and in the grader alike


class FixedDefaults:
    """Evaluate a probe under the library defaults, then give the student's settings back.

    A student may legitimately change the default dtype or device, seed or draw from the random
    generators, or change print options; none of that may change the inputs a probe builds, or
    the random numbers a probe's own code draws, so each probe runs under float32, cpu, seed
    ``PROBE_SEED`` and default print options, here and when the reference is evaluated.
    """

    def __enter__(self):
        import random

        self.torch = sys.modules.get("torch")
        self.random_state = random.getstate()
        random.seed(PROBE_SEED)
        numpy = sys.modules.get("numpy")
        self.numpy_state = numpy.random.get_state() if numpy is not None else None
        if numpy is not None:
            numpy.random.seed(PROBE_SEED)
        if self.torch is not None:
            self._enter_torch(self.torch)
        return self

    def _enter_torch(self, torch):
        self.dtype = torch.get_default_dtype()
        # torch.get_default_device is new in torch 2.3; an older torch has no default device to change
        self.device = torch.get_default_device() if hasattr(torch, "get_default_device") else None
        self.torch_state = torch.get_rng_state()
        self.print_options = dict(vars(torch._tensor_str.PRINT_OPTS))
        torch.set_default_dtype(torch.float32)
        if self.device is not None and self.device.type != "cpu":
            torch.set_default_device("cpu")
        # CPU generator only, as saved above; torch.manual_seed would also import torch._dynamo (~0.7 s) on first use
        torch.default_generator.manual_seed(PROBE_SEED)
        torch.set_printoptions(profile="default")

    def __exit__(self, *exc):
        import random

        random.setstate(self.random_state)
        numpy = sys.modules.get("numpy")
        if numpy is not None and self.numpy_state is not None:
            numpy.random.set_state(self.numpy_state)
        torch = self.torch
        if torch is not None:
            torch.set_default_dtype(self.dtype)
            if self.device is not None and self.device.type != "cpu":
                torch.set_default_device(self.device)
            torch.set_rng_state(self.torch_state)
            vars(torch._tensor_str.PRINT_OPTS).update(self.print_options)
        return False


def probe(expressions, namespace):
    """Evaluate each expression in ``namespace``; return a JSON list of plain results."""
    results = []
    for expression in expressions:
        try:
            with FixedDefaults():
                value = eval(expression, namespace)  # noqa: S307 - evaluating the grader's own probe
                results.append({"ok": True, "value": to_plain(value)})
        except BaseException as error:  # a probe must never stop the grader
            results.append({"ok": False, "error": type(error).__name__, "message": str(error)[:MAX_TEXT]})
    return json.dumps(results)
