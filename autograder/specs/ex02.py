"""Exercise 02: creating tensors, reshape and transpose, matmul shapes, flip, NumPy shared memory."""

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor

COPIED = ("the tensor does not see the change: torch.tensor(...) (and .clone(), or a dtype conversion) always "
          "copies the data. torch.from_numpy(a) or torch.as_tensor(a) share the array's memory.")


def L(values):
    """A nested list of numbers in the plain form that Close compares against."""
    if isinstance(values, (list, tuple)):
        return {"type": "list", "items": [L(v) for v in values]}
    return float(values)


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


def _shape(i):
    return f"None if shape_answers[{i}] is None else [int(n) for n in shape_answers[{i}]]"


SPEC = Assignment(
    name="ex02",
    items=(
        Item("q1_create", points=3, title="Tensors of a given dtype and shape", probes=(
            Probe("t32", AllOf((Tensor(dtype="float32", shape=(2, 3)), Close(L([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))), hints=(
                Hint(Tensor(dtype="int64"), "the list holds Python ints, so torch.tensor infers int64: pass dtype=torch.float32."),
                Hint(Tensor(dtype="float64"), "float64 is NumPy's default, not PyTorch's: ask for dtype=torch.float32."),
            )),
            Probe("t64", AllOf((Tensor(dtype="float64", shape=(3,)), Close(L([0.5, 1.5, 2.5]))))),
            Probe("t_scalar", AllOf((Tensor(dtype="int64", shape=()), Close(7.0))), hints=(
                Hint(Tensor(shape=(1,)), "torch.tensor([7]) is a vector with one element (shape (1,)); torch.tensor(7) is 0-d."),
                Hint(Tensor(dtype="float32"), "7.0 is a float; the integer 7 gives int64."),
            )),
        )),
        Item("q2_reshape", points=2, title="reshape is not transpose", probes=(
            Probe("V", AllOf((Tensor(shape=(3, 4)), Close(L([[0.0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]))))),
            Probe("Vt", AllOf((Tensor(shape=(4, 3)), Close(L([[0.0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]])))), hints=(
                Hint(Close(L([[0.0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]])),
                     "that is V.reshape(4, 3): reshape keeps the elements in reading order and only regroups them. "
                     "Swapping rows and columns is a transpose: V.T or V.transpose(0, 1)."),
            )),
        )),
        Item("q3_matmul", points=2, title="A matrix product with the right shapes", probes=(
            Probe("mm_error", Raised("RuntimeError", contains="cannot be multiplied")),
            Probe("PQt", AllOf((Tensor(shape=(2, 2)), Close(L([[-2.0, 1.0], [-2.0, 10.0]])))), hints=(
                Hint(Tensor(shape=(3, 3)), "P.T @ Q has shape (3, 3); the product asked for is P @ Q.T, of shape (2, 2)."),
            )),
        )),
        Item("q4_flip", points=3, title="Reversing along a dimension", probes=(
            Probe("slice_error", Raised("ValueError", contains="step")),
            Probe("reverse_along(torch.arange(6).reshape(2, 3), 1)", Close(L([[2.0, 1, 0], [5, 4, 3]])), weight=1, hints=(
                Hint(Close(L([[5.0, 4, 3], [2, 1, 0]])), "this reversed every dimension; reverse only along dim: torch.flip(x, dims=(dim,))."),
                Hint(Close(L([[3.0, 4, 5], [0, 1, 2]])), "this reversed the rows (dim 0) instead of the given dim."),
            )),
            Probe("reverse_along(torch.arange(6).reshape(2, 3), 0)", Close(L([[3.0, 4, 5], [0, 1, 2]]))),
            Probe("reverse_along(torch.arange(5.0), -1)", Close(L([4.0, 3, 2, 1, 0]))),
            Probe("reverse_along(torch.arange({n}, dtype=torch.float64).reshape({shape}) * {s}, {dim})", Reference(),
                  hidden=True, draw=_reverse_case),
            Probe("reverse_along(torch.arange({n}, dtype=torch.float64).reshape({shape}) * {s}, {dim})", Reference(),
                  hidden=True, draw=_reverse_case),
        )),
        Item("q5_shared", points=2, title="Sharing memory with NumPy", probes=(
            Probe('shared_tensor(__import__("numpy").arange(4.0))', AllOf((Tensor(dtype="float64", shape=(4,)), Close(L([0.0, 1, 2, 3])))), hints=(
                Hint(Tensor(dtype="float32"), "converting the dtype makes a copy: keep the array's dtype (float64 here)."),
            )),
            Probe('(lambda a: (lambda t: (a.__setitem__(0, 42.0), float(t.reshape(-1)[0]))[1])(shared_tensor(a)))(__import__("numpy").ones(3))',
                  Close(42.0), hints=(Hint(Close(1.0), COPIED),)),
            Probe('(lambda a: (lambda t: (t.add_(1.0), float(a[1]))[1])(shared_tensor(a)))(__import__("numpy").ones(3, dtype="float32"))',
                  Close(2.0), hints=(Hint(Close(1.0), COPIED),)),
            Probe('(lambda a: (lambda t: (a.__setitem__({i}, {v}), float(t[{i}]))[1])(shared_tensor(a)))(__import__("numpy").ones({n}, dtype="{dt}"))',
                  Reference(), hidden=True, draw=_shared_case),
        )),
        Item("q6_batched", points=3, title="Shapes of batched matrix products", probes=(
            Probe(_shape(0), Equal([10, 3, 5])),
            Probe(_shape(1), Equal([10, 3, 5]), hints=(
                Hint(Equal(None), "matmul broadcasts: a 2-D second argument is used for every matrix of the batch."),
            )),
            Probe(_shape(2), Equal([2, 10, 5, 4]), hints=(
                Hint(Equal(None), "the batch dimensions (2, 1) and (10,) broadcast to (2, 10), like in elementwise operations."),
            )),
            Probe(_shape(3), Equal(None), hints=(
                Hint(Equal([10, 3, 5]), "torch.mm accepts only 2-D matrices, with no batching or broadcasting: it raises. "
                     "Batched products need torch.matmul (the @ operator) or torch.bmm."),
            )),
            Probe(_shape(4), Equal([5]), hints=(
                Hint(Equal([1, 5]), "a 1-D first argument is treated as a row vector, and that dimension is removed from the result."),
            )),
            Probe(_shape(5), Equal(None), hints=(
                Hint(Equal([10, 3, 4]), "the inner sizes must agree: (3, 4) @ (3, 4) cannot be multiplied, so the product raises."),
            )),
        )),
    ),
)
