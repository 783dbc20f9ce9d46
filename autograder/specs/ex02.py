"""Exercise 02: creating tensors, reshape and transpose, matmul shapes, flip, NumPy shared memory."""

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor
from .evidence import nested_list

MODIFIED_X = ("reverse_along changed the caller's x: return a new tensor (torch.flip makes one) and leave x as it was; "
              "do not write the result back into x (x.copy_(...), x[...] = ...).")
COPIED = ("the tensor does not see the change: torch.tensor(...) (and .clone(), or a dtype conversion) always "
          "copies the data. torch.from_numpy(a) or torch.as_tensor(a) share the array's memory.")


def _reverse_case(rng):
    shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
    n = 1
    for size in shape:
        n *= size
    return {"n": n, "shape": tuple(shape), "s": round(rng.uniform(-2, 2), 3),
            "dim": rng.randrange(-len(shape), len(shape))}


def _shared_case(rng):
    n = rng.randint(2, 6)
    return {"n": n, "i": rng.randrange(n), "v": round(rng.uniform(-50, 50), 2),
            "dt": rng.choice(["float32", "float64"])}


def _reverse_edge_cases(rng):
    """Shapes and dims where shortcuts fail: one element, an empty dimension, negative dims of a 3-D tensor."""
    s = round(rng.uniform(0.5, 2), 3)
    return [
        {"x": f"torch.tensor([{s}], dtype=torch.float32)", "dim": 0, "_label": "a one-element tensor"},
        {"x": "torch.zeros(0, 3, dtype=torch.float32)", "dim": -1, "_label": "a tensor with an empty dimension"},
        {"x": f"torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) * {s}", "dim": -1, "_label": "a 3-D tensor, dim -1"},
        {"x": f"torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) * {s}", "dim": -2, "_label": "a 3-D tensor, dim -2"},
    ]


def _shared_2d(rng):
    rows, cols = rng.randint(1, 3), rng.randint(2, 4)
    return {"shape": (rows, cols), "n": rows * cols, "i": rng.randrange(rows * cols), "k": round(rng.uniform(2, 9), 2),
            "dt": rng.choice(["float32", "float64"])}


def _shape(i):
    return f"None if shape_answers[{i}] is None else [int(n) for n in shape_answers[{i}]]"


SPEC = Assignment(
    name="ex02",
    items=(
        Item("q1_create", points=0.25, title="Tensors of a given dtype and shape", probes=(
            Probe("t32", label="t32", expect=AllOf((Tensor(dtype="float32", shape=(2, 3)), Close(nested_list([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))), hints=(
                Hint(Tensor(dtype="int64"), "the list holds Python ints, so torch.tensor infers int64: pass dtype=torch.float32."),
                Hint(Tensor(dtype="float64"), "float64 is NumPy's default, not PyTorch's: ask for dtype=torch.float32."),
            )),
            Probe("t64", AllOf((Tensor(dtype="float64", shape=(3,)), Close(nested_list([0.5, 1.5, 2.5])))), label="t64", hints=(
                Hint(Tensor(dtype="float32"), "arr is float32, and torch.from_numpy / torch.tensor keep its dtype: convert with .to(torch.float64) or dtype=torch.float64."),
            )),
            Probe("t_scalar", label="t_scalar", expect=AllOf((Tensor(dtype="int64", shape=()), Close(7.0))), hints=(
                Hint(Tensor(shape=(1,)), "torch.tensor([7]) is a vector with one element (shape (1,)); torch.tensor(7) is 0-d."),
                Hint(Tensor(dtype="float32"), "7.0 is a float; the integer 7 gives int64."),
            )),
        )),
        Item("q2_reshape", points=0.25, title="reshape is not transpose", probes=(
            Probe("V", AllOf((Tensor(shape=(3, 4)), Close(nested_list([[0.0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])))), label="V", hints=(
                Hint(Tensor(shape=(4, 3)), "V has 3 rows of 4: reshape(3, 4)."),
            )),
            Probe("Vt", label="Vt", expect=AllOf((Tensor(shape=(4, 3)), Close(nested_list([[0.0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]])))), hints=(
                Hint(Close(nested_list([[0.0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]])),
                     "that is V.reshape(4, 3): reshape keeps the elements in reading order and only regroups them. "
                     "Swapping rows and columns is a transpose: V.T or V.transpose(0, 1)."),
            )),
        )),
        Item("q3_matmul", points=0.25, title="A matrix product with the right shapes", probes=(
            Probe("mm_error", Raised("RuntimeError", contains="cannot be multiplied"), label="the exception mm_error", hints=(
                Hint(Equal({"type": "object", "class": "type"}), "mm_error holds the class, not the exception you caught: `except RuntimeError as e: mm_error = e`."),
            )),
            Probe("PQt", label="PQt", expect=AllOf((Tensor(shape=(2, 2)), Close(nested_list([[-2.0, 1.0], [-2.0, 10.0]])))), hints=(
                Hint(Tensor(shape=(3, 3)), "P.T @ Q has shape (3, 3); the product asked for is P @ Q.T, of shape (2, 2)."),
            )),
        )),
        Item("q4_flip", points=8, title="Reversing along a dimension", probes=(
            Probe("slice_error", Raised("ValueError", contains="step"), label="the exception slice_error"),
            Probe("reverse_along(torch.arange(6).reshape(2, 3), 1)", Close(nested_list([[2.0, 1, 0], [5, 4, 3]])), weight=1, label="reverse_along(x, 1) on a 2x3 x", hints=(
                Hint(Close(nested_list([[5.0, 4, 3], [2, 1, 0]])), "this reversed every dimension; reverse only along dim: torch.flip(x, dims=(dim,))."),
                Hint(Close(nested_list([[3.0, 4, 5], [0, 1, 2]])), "this reversed the rows (dim 0) instead of the given dim."),
            )),
            Probe("reverse_along(torch.arange(6).reshape(2, 3), 0)", Close(nested_list([[3.0, 4, 5], [0, 1, 2]])), label="reverse_along(x, 0) on a 2x3 x", hints=(
                Hint(Close(nested_list([[2.0, 1, 0], [5, 4, 3]])), "this reversed the last dimension instead of the given dim 0."),
            )),
            Probe("reverse_along(torch.arange(5.0), -1)", Close(nested_list([4.0, 3, 2, 1, 0])), label="reverse_along with dim -1"),
            # "Return a new tensor; do not modify x": x must look the same after the call, and the result must not be x.
            Probe("(lambda x: (reverse_along(x, 1), x.tolist())[1])(torch.arange(6, dtype=torch.float32).reshape(2, 3))",
                  Close(nested_list([[0.0, 1, 2], [3, 4, 5]])), label="x is unchanged after reverse_along(x, 1)", hints=(
                Hint(Close(nested_list([[2.0, 1, 0], [5, 4, 3]])), MODIFIED_X),)),
            Probe("(lambda x: (lambda r: r is x or r.data_ptr() == x.data_ptr())(reverse_along(x, 0)))(torch.arange(3, dtype=torch.float32))",
                  Equal(False), label="reverse_along returns a new tensor", hints=(
                Hint(Equal(True), "reverse_along returned x itself (or a tensor using x's memory from its start): return a new tensor."),)),
            Probe("(lambda x: (reverse_along(x, {dim}), x.tolist())[1])(torch.arange({n}, dtype=torch.float32).reshape({shape}) * {s})",
                  Reference(), hidden=True, draw=_reverse_case, label="x unchanged after the call, on another shape"),
            Probe("reverse_along({x}, {dim})", Reference(), hidden=True, weight=2, draw=_reverse_edge_cases),
            Probe("reverse_along(torch.arange({n}, dtype=torch.float64).reshape({shape}) * {s}, {dim})", Reference(),
                  hidden=True, draw=_reverse_case, label="a tensor of another shape and dim"),
            Probe("reverse_along(torch.arange({n}, dtype=torch.float64).reshape({shape}) * {s}, {dim})", Reference(),
                  hidden=True, draw=_reverse_case, label="a tensor of another shape and dim"),
        )),
        Item("q5_shared", points=6, title="Sharing memory with NumPy", probes=(
            Probe('shared_tensor(__import__("numpy").arange(4.0))', label="shared_tensor of a float64 array", expect=AllOf((Tensor(dtype="float64", shape=(4,)), Close(nested_list([0.0, 1, 2, 3])))), hints=(
                Hint(Tensor(dtype="float32"), "converting the dtype makes a copy: keep the array's dtype (float64 here)."),
            )),
            Probe('(lambda a: (lambda t: (a.__setitem__(0, 42.0), float(t.reshape(-1)[0]))[1])(shared_tensor(a)))(__import__("numpy").ones(3))',
                  Close(42.0), label="a change to the array shows in the tensor", hints=(Hint(Close(1.0), COPIED),)),
            Probe('(lambda a: (lambda t: (t.add_(1.0), float(a[1]))[1])(shared_tensor(a)))(__import__("numpy").ones(3, dtype="float32"))',
                  Close(2.0), label="a change to the tensor shows in the float32 array", hints=(Hint(Close(1.0), COPIED),)),
            Probe('list(shared_tensor(__import__("numpy").zeros((2, 3), dtype="float32")).shape)', Equal([2, 3]), label="the shape of a 2-D array is kept"),
            Probe('(lambda a: (lambda t: (a.__setitem__({i}, {v}), float(t[{i}]))[1])(shared_tensor(a)))(__import__("numpy").ones({n}, dtype="{dt}"))',
                  Reference(), hidden=True, draw=_shared_case, label="a change to the array, on another array"),
            Probe('(lambda a: (lambda t: (t.mul_({k}), float(a.reshape(-1)[{i}]))[1])(shared_tensor(a)))(__import__("numpy").arange(1, {n} + 1, dtype="{dt}").reshape({shape}))',
                  Reference(), hidden=True, draw=_shared_2d, label="a change to the tensor, on a 2-D array"),
        )),
        Item("q6_batched", points=0.25, title="Shapes of batched matrix products", probes=(
            Probe(_shape(0), label="the shape of torch.matmul(A, B)", expect=Equal([10, 3, 5])),
            Probe(_shape(1), label="the shape of torch.matmul(A, C)", expect=Equal([10, 3, 5]), hints=(
                Hint(Equal(None), "matmul broadcasts: a 2-D second argument is used for every matrix of the batch."),
            )),
            Probe(_shape(2), label="the shape of torch.matmul(D, A)", expect=Equal([2, 10, 5, 4]), hints=(
                Hint(Equal(None), "the batch dimensions (2, 1) and (10,) broadcast to (2, 10), like in elementwise operations."),
                Hint(Equal([2, 1, 5, 4]), "the batch dimensions (2, 1) and (10,) broadcast to (2, 10), like in elementwise operations."),
            )),
            Probe(_shape(3), label="the shape of torch.mm(A, C)", expect=Equal(None), hints=(
                Hint(Equal([10, 3, 5]), "torch.mm accepts only 2-D matrices, with no batching or broadcasting: it raises. "
                     "Batched products need torch.matmul (the @ operator) or torch.bmm."),
            )),
            Probe(_shape(4), label="the shape of torch.matmul(v, C)", expect=Equal([5]), hints=(
                Hint(Equal([4, 5]), "a 1-D first argument is treated as a row vector of length 4: (4,) @ (4, 5) gives shape (5,)."),
                Hint(Equal([1, 5]), "a 1-D first argument is treated as a row vector, and that dimension is removed from the result."),
            )),
            Probe(_shape(5), label="the shape of torch.matmul(A, A)", expect=Equal(None), hints=(
                Hint(Equal([10, 3, 4]), "the inner sizes must agree: (3, 4) @ (3, 4) cannot be multiplied, so the product raises."),
            )),
        )),
    ),
)
